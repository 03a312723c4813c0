package io.cdchub.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.cdchub.testinfra.ClickHouseServer;
import io.cdchub.testinfra.ElasticsearchServer;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.ContextConfiguration;

/**
 * The polling source's changes end to end into ClickHouse and Elasticsearch (README "Polling source"): its events carry
 * no LSN, so the sinks version them by {@code source.ts_us}; a later change of a row must win in both, a soft delete
 * must remove the row. A context of its own (the logical source off, the polling source on, sinks in their own consumer
 * groups and ClickHouse database), so the shared sink context ({@link SinkContextIT}) is not disturbed; the servers are
 * the JVM's shared ones.
 */
@CamelSpringBootTest
@SpringBootTest(properties = {
    "cdc.topic-prefix=pts",
    "cdc.dlq.topic=pts.dlq",
    "cdc.source.enabled=false",
    "cdc.polling.enabled=true",
    "cdc.polling.name=it-polling-to-sinks",
    "cdc.polling.poll-interval=100ms",
    "cdc.polling.margin=5s",
    "cdc.polling.tables[0].table=" + PollingToSinksIT.SCHEMA + ".polled_orders",
    "cdc.polling.tables[0].watermark-column=updated_at",
    "cdc.polling.tables[0].created-column=created_at",
    "cdc.polling.tables[0].soft-delete-column=deleted",
    "cdc.sink.retry.initial-delay-ms=100",
    "cdc.sink.retry.max-delay-ms=1000",
    "cdc.sink.topic-refresh-ms=500",
    "cdc.sink.lag-interval-ms=1000",
    "cdc.sink.clickhouse.enabled=true",
    "cdc.sink.clickhouse.group-id=it-polling-to-clickhouse",
    "cdc.sink.clickhouse.database=" + PollingToSinksIT.CLICKHOUSE_DB,
    "cdc.sink.clickhouse.username=" + ClickHouseServer.USER,
    "cdc.sink.clickhouse.password=" + ClickHouseServer.PASSWORD,
    "cdc.sink.clickhouse.linger-ms=100",
    "cdc.sink.elasticsearch.enabled=true",
    "cdc.sink.elasticsearch.group-id=it-polling-to-elasticsearch",
    "cdc.sink.elasticsearch.linger-ms=100",
})
@ContextConfiguration(initializers = {RealServers.class, SinkContextIT.SinkServers.class})
class PollingToSinksIT {

    static final String SCHEMA = "polled_sinks";
    static final String CLICKHOUSE_DB = "polling_it";
    static final String TOPIC = "pts." + SCHEMA + ".polled_orders";

    static {
        // the polled table exists before the context starts (the polling source reads its columns at start-up)
        PostgresServer pg = PostgresServer.shared();
        pg.createDatabase(RealServers.DATABASE);
        pg.execute(RealServers.DATABASE, "CREATE SCHEMA IF NOT EXISTS " + SCHEMA,
                "CREATE TABLE IF NOT EXISTS " + SCHEMA + ".polled_orders (id int PRIMARY KEY, label text NOT NULL, qty int,"
                        + " created_at timestamptz NOT NULL DEFAULT clock_timestamp(), updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
                        + " deleted boolean NOT NULL DEFAULT false)");
        ClickHouseServer.shared().query("CREATE DATABASE IF NOT EXISTS " + CLICKHOUSE_DB);
    }

    static ConditionFactory await(String what) {
        return Awaitility.await(what).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).ignoreExceptions();
    }

    static void sql(String... statements) {
        PostgresServer.shared().execute(RealServers.DATABASE, statements);
    }

    /** The rows a sink must hold: the table's rows that are not soft-deleted, id -> label/qty. */
    static Map<String, Map<String, String>> liveRows() {
        Map<String, Map<String, String>> rows = new TreeMap<>();
        for (Map<String, String> row : SinkContextIT.pgRows("SELECT id, label, qty FROM " + SCHEMA + ".polled_orders WHERE NOT deleted")) {
            rows.put(row.get("id"), Map.of("label", row.get("label"), "qty", String.valueOf(row.get("qty"))));
        }
        return rows;
    }

    static Map<String, Map<String, String>> clickHouseRows() {
        Map<String, Map<String, String>> rows = new TreeMap<>();
        ClickHouseServer.shared().rows("SELECT id, label, qty FROM " + CLICKHOUSE_DB + ".polled_orders_current").forEach(row ->
                rows.put(row.path("id").asText(), Map.of("label", row.path("label").asText(), "qty", row.path("qty").asText("null"))));
        return rows;
    }

    static Map<String, Map<String, String>> elasticsearchRows() {
        Map<String, Map<String, String>> rows = new TreeMap<>();
        ElasticsearchServer.shared().documents("cdc-polled_orders").forEach((id, doc) ->
                rows.put(id, Map.of("label", doc.path("label").asText(), "qty", doc.path("qty").asText("null"))));
        return rows;
    }

    static long updates(List<Event> events, int id, String label) {
        return events.stream().filter(e -> "u".equals(e.op()) && e.after().path("id").asInt(-1) == id
                && label.equals(e.after().path("label").asText())).count();
    }

    @Test
    void insertsUpdatesAndSoftDeletesLandInBothSinksAndTheLaterChangeWins() {
        sql("INSERT INTO " + SCHEMA + ".polled_orders (id, label, qty) VALUES (1, 'first', 1)");
        await("the insert in ClickHouse and Elasticsearch").until(() -> clickHouseRows().equals(liveRows()) && elasticsearchRows().equals(liveRows()));

        // two updates of one row in quick succession, each its own event (the second as soon as the first is published),
        // so both reach the sinks, most likely in one batch: the later must win in both
        sql("UPDATE " + SCHEMA + ".polled_orders SET label = 'second', qty = 2, updated_at = clock_timestamp() WHERE id = 1");
        TopicReader.await(TOPIC, all -> updates(all, 1, "second") == 1);
        sql("UPDATE " + SCHEMA + ".polled_orders SET label = 'third', qty = 3, updated_at = clock_timestamp() WHERE id = 1");
        List<Event> events = TopicReader.await(TOPIC, all -> updates(all, 1, "third") == 1);
        long secondVersion = events.stream().filter(e -> updates(List.of(e), 1, "second") == 1).findFirst().orElseThrow()
                .value().path("source").path("ts_us").asLong();
        long thirdVersion = events.stream().filter(e -> updates(List.of(e), 1, "third") == 1).findFirst().orElseThrow()
                .value().path("source").path("ts_us").asLong();
        assertThat(thirdVersion).as("the later change's version (source.ts_us)").isGreaterThan(secondVersion);
        sql("INSERT INTO " + SCHEMA + ".polled_orders (id, label, qty) VALUES (2, 'other', 20)");
        await("the later update and the second row in both sinks")
                .until(() -> clickHouseRows().equals(liveRows()) && elasticsearchRows().equals(liveRows()));
        assertThat(clickHouseRows().get("1")).containsEntry("label", "third");
        assertThat(elasticsearchRows().get("1")).containsEntry("label", "third");

        // a soft delete removes the row from both sinks; the other row stays
        sql("UPDATE " + SCHEMA + ".polled_orders SET deleted = true, updated_at = clock_timestamp() WHERE id = 1");
        await("the soft delete in both sinks").until(() -> !clickHouseRows().containsKey("1") && !elasticsearchRows().containsKey("1"));
        assertThat(liveRows()).containsOnlyKeys("2");
        assertThat(clickHouseRows()).isEqualTo(liveRows());
        assertThat(elasticsearchRows()).isEqualTo(liveRows());
        // the overlap of later passes (margin) publishes nothing again that would bring an older state back
        await("still the table's rows").during(Duration.ofSeconds(2))
                .until(() -> clickHouseRows().equals(liveRows()) && elasticsearchRows().equals(liveRows()));

        // the topic written again, newest first and then in order: older versions (by source.ts_us) arriving after newer
        // ones change nothing in either sink, and are no dead letters
        List<Event> all = TopicReader.readAll(TOPIC);
        List<io.cdchub.testinfra.TopicWriter.Out> replay = SinkContextIT.newestFirstThenInOrder(all);
        io.cdchub.testinfra.TopicWriter.write(TOPIC, replay);
        long end = all.size() + replay.size();
        await("the replay consumed by both sinks").until(() -> SinkContextIT.committedOffset("it-polling-to-clickhouse", TOPIC) == end
                && SinkContextIT.committedOffset("it-polling-to-elasticsearch", TOPIC) == end);
        assertThat(clickHouseRows()).isEqualTo(liveRows());
        assertThat(elasticsearchRows()).isEqualTo(liveRows());
        assertThat(TopicReader.readAll("pts.dlq")).isEmpty();
    }
}
