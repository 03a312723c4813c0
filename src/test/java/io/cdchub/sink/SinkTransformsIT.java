package io.cdchub.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.deadletter.DeadLetterEnricher;
import io.cdchub.sink.transform.SinkTransforms;
import io.cdchub.testinfra.TopicReader;
import org.junit.jupiter.api.Test;

/**
 * Declared transforms end to end, PostgreSQL to real ClickHouse and Elasticsearch, in the sinks' shared context
 * ({@link SinkContextIT} declares them): the README's block for the quick start's customers table
 * (config/transforms/customers.yaml) on both sinks, and on ClickHouse one with filter, rename, drop, metadata and a
 * derive that fails on one row.
 */
class SinkTransformsIT extends SinkContextIT {

    @org.springframework.beans.factory.annotation.Autowired
    SinkTransforms transforms;

    @Test
    void theReadmeBlockGivesCustomersFullNameLocationAndOperationInClickHouseAndElasticsearch() {
        assertThat(transforms.elasticsearch()).isEqualTo("customers");
        sql("INSERT INTO sinks.customers (customer_id, email, first_name, last_name, city, state, country) VALUES"
                        + " (1, 'ada@example.com', 'Ada', 'Lovelace', 'London', NULL, 'UK'),"
                        + " (2, 'alan@example.com', 'Alan', 'Turing', 'Wilmslow', 'Cheshire', 'UK'),"
                        + " (3, 'gone@example.com', 'Gone', NULL, NULL, NULL, NULL)",
                "UPDATE sinks.customers SET city = 'Manchester' WHERE customer_id = 2",
                "DELETE FROM sinks.customers WHERE customer_id = 3");

        List<Map<String, String>> expected = List.of(
                Map.of("customer_id", "1", "full_name", "Ada Lovelace", "location", "London, UK", "_cdc_operation", "INSERT"),
                Map.of("customer_id", "2", "full_name", "Alan Turing", "location", "Manchester, Cheshire, UK", "_cdc_operation", "UPDATE"));
        ClickHouseSinkIT.await("customers in ClickHouse").until(() -> ClickHouseSinkIT.chRows(
                "SELECT customer_id, full_name, location, _cdc_operation FROM " + CLICKHOUSE_DB + ".customers_current ORDER BY customer_id"),
                expected::equals);
        assertThat(ClickHouseSinkIT.chRows("SELECT _cdc_operation, _is_deleted FROM " + CLICKHOUSE_DB + ".customers FINAL WHERE customer_id = 3"))
                .as("the delete's row").containsExactly(Map.of("_cdc_operation", "DELETE", "_is_deleted", "1"));
        assertThat(ClickHouseSinkIT.columnType("customers", "full_name")).isEqualTo("Nullable(String)");

        Map<String, JsonNode> docs = ElasticsearchSinkIT.await("customers in Elasticsearch").until(() -> ElasticsearchSinkIT.es().documents("cdc-customers"),
                d -> d.keySet().equals(java.util.Set.of("1", "2")) && "Manchester, Cheshire, UK".equals(d.get("2").path("location").asText()));
        assertThat(docs.get("1").path("full_name").asText()).isEqualTo("Ada Lovelace");
        assertThat(docs.get("1").path("location").asText()).isEqualTo("London, UK");
        assertThat(docs.get("1").path("_cdc_operation").asText()).isEqualTo("INSERT");
        assertThat(docs.get("2").path("full_name").asText()).isEqualTo("Alan Turing");
        assertThat(docs.get("2").path("_cdc_operation").asText()).isEqualTo("UPDATE");
        assertThat(docs.get("1").path("email").asText()).as("the captured columns stay").isEqualTo("ada@example.com");
    }

    @Test
    void filterRenameDropMetadataAndADeadLetterForTheRowAnExpressionFailsOn() {
        sql("INSERT INTO sinks.transformed VALUES (1, 'one', 1, 's1', 'eu'), (2, 'two', 2, 's2', 'skip'), (3, NULL, 3, 's3', 'eu'),"
                        + " (4, 'four', 4, 's4', 'eu')",
                "UPDATE sinks.transformed SET qty = 40 WHERE id = 4",
                "DELETE FROM sinks.transformed WHERE id = 4");

        List<Map<String, String>> rows = ClickHouseSinkIT.await("the transformed rows").until(() -> ClickHouseSinkIT.chRows(
                "SELECT id, title, name_upper, region_of, qty, _cdc_operation, _source_system, _pipeline_id, _source_lsn, _event_timestamp_ms,"
                        + " _kafka_timestamp, _ingestion_timestamp FROM " + CLICKHOUSE_DB + ".transformed FINAL ORDER BY id"),
                r -> r.size() == 2 && "4".equals(r.get(1).get("id")));
        Map<String, String> one = rows.get(0);
        assertThat(one).containsEntry("id", "1").containsEntry("title", "one").containsEntry("name_upper", "ONE")
                .containsEntry("region_of", "transformed in eu").containsEntry("_cdc_operation", "INSERT")
                .containsEntry("_source_system", "it-postgres").containsEntry("_pipeline_id", "it-pipeline");
        assertThat(Long.parseLong(one.get("_source_lsn"))).isPositive();
        assertThat(Long.parseLong(one.get("_event_timestamp_ms"))).isPositive();
        assertThat(Long.parseLong(one.get("_kafka_timestamp"))).isGreaterThanOrEqualTo(Long.parseLong(one.get("_event_timestamp_ms")));
        assertThat(java.time.Instant.parse(one.get("_ingestion_timestamp"))).isAfter(java.time.Instant.ofEpochMilli(Long.parseLong(one.get("_event_timestamp_ms")) - 1));
        assertThat(rows.get(1)).as("the delete of 4, renamed and with the operation").containsEntry("_cdc_operation", "DELETE")
                .containsEntry("_pipeline_id", "it-pipeline");
        assertThat(runners.metrics("clickhouse").filteredCount()).as("row 2, filtered out").isGreaterThanOrEqualTo(1);
        assertThat(ClickHouseSinkIT.columnType("transformed", "secret")).as("dropped: never a column").isEmpty();
        assertThat(ClickHouseSinkIT.columnType("transformed", "name")).as("renamed: never a column").isEmpty();

        var letters = ClickHouseSinkIT.await("the dead letter of 3").until(() -> TopicReader.readAll(DLQ).stream()
                .filter(e -> topic("transformed").equals(e.headers().get(DeadLetterEnricher.ORIGINAL_TOPIC))).toList(), l -> !l.isEmpty());
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).headers().get(DeadLetterEnricher.EXCEPTION_MESSAGE)).startsWith("Transform audited: derive.name_upper failed");
        assertThat(letters.get(0).headers()).containsEntry(DeadLetterEnricher.ROUTE_ID, "kafka-to-clickhouse");
        assertThat(letters.get(0).value().path("after").path("secret").asText()).as("the original record").isEqualTo("s3");
    }
}
