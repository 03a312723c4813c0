package io.cdchub.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.admin.ApiException;
import io.cdchub.config.InvalidConfigurationException;
import io.cdchub.connections.ConnectionsProperties;
import io.cdchub.connections.ConnectionsProperties.TargetConnection;
import io.cdchub.connections.JdbcTargetsAccess;
import io.cdchub.connections.RowChange;
import io.cdchub.connections.SqlNames;
import io.cdchub.connections.TargetRefusedException;
import io.cdchub.connections.TargetUnavailableException;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

/** The pieces of aggregation that compute: request validation, event parsing, SQL statements, error classes. */
class AggregationUnitsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ConnectionsProperties CONNECTIONS = new ConnectionsProperties(Map.of(
            "string", new TargetConnection("jdbc:postgresql://db:5432/dw", "u", "p", Map.of()),
            "maria", new TargetConnection("jdbc:mariadb://db:3306/dw", "", "", Map.of("src.orders", "dw.orders_copy")),
            "hook", new TargetConnection("https://hooks.example.com/x", "", "", Map.of())));
    private static final AggregationProperties LIMITS = new AggregationProperties(true, "cdc-hub:aggregation", java.time.Duration.ofSeconds(5),
            java.time.Duration.ofSeconds(1), 1000, java.time.Duration.ofSeconds(30), 20, new AggregationProperties.Retry(500, 30000), 100000, 604800, 30000);
    private static final String ISSUE_BODY = """
            {"consumer_id": "1", "kafka_topic": "db.public.person12", "pipeline_name": "first pipeline", "connection_id": "string", "max_event": 10, "max_time": 3600, "job_type": "sync", "auto_offset_reset": "earliest"}""";

    @Test
    void theIssuesBodyIsAValidDefinition() throws Exception {
        ConsumerDefinition definition = ConsumerDefinition.fromRequest(JSON.readTree(ISSUE_BODY), CONNECTIONS, LIMITS);
        assertThat(definition.consumerId()).isEqualTo("1");
        assertThat(definition.kafkaTopic()).isEqualTo("db.public.person12");
        assertThat(definition.maxEvent()).isEqualTo(10);
        assertThat(definition.maxTime()).isEqualTo(3600);
        assertThat(definition.job()).isEqualTo(JobType.SYNC);
        assertThat(definition.routeId()).isEqualTo("aggregation-consumer-1");
        assertThat(definition.groupId()).isEqualTo("cdc-hub-consumer-1");
        // stored and read back as the same JSON shape
        assertThat(JSON.readValue(JSON.writeValueAsString(definition), ConsumerDefinition.class)).isEqualTo(definition);
    }

    @Test
    void badRequestsNameTheirField() {
        assertRefused(ISSUE_BODY.replace("\"1\"", "\"a b\""), HttpStatus.BAD_REQUEST, "consumer_id");
        assertRefused(ISSUE_BODY.replace("db.public.person12", "db/person"), HttpStatus.BAD_REQUEST, "kafka_topic");
        assertRefused(ISSUE_BODY.replace("10,", "100001,"), HttpStatus.BAD_REQUEST, "max_event");
        assertRefused(ISSUE_BODY.replace("10,", "\"10\","), HttpStatus.BAD_REQUEST, "max_event");
        assertRefused(ISSUE_BODY.replace("3600", "0"), HttpStatus.BAD_REQUEST, "max_time");
        assertRefused(ISSUE_BODY.replace("3600", "99999999999"), HttpStatus.BAD_REQUEST, "max_time");
        assertRefused(ISSUE_BODY.replace("\"sync\"", "\"SYNC\""), HttpStatus.BAD_REQUEST, "job_type");
        assertRefused(ISSUE_BODY.replace("\"earliest\"", "1"), HttpStatus.BAD_REQUEST, "auto_offset_reset");
        assertRefused(ISSUE_BODY.replace("\"first pipeline\"", "\"\""), HttpStatus.BAD_REQUEST, "pipeline_name");
        assertRefused(ISSUE_BODY.replace("\"first pipeline\"", "null"), HttpStatus.BAD_REQUEST, "pipeline_name");
        assertRefused(ISSUE_BODY.replace("\"string\"", "\"other\""), HttpStatus.UNPROCESSABLE_ENTITY, "connection_id");
        assertRefused(ISSUE_BODY.replace("\"string\"", "\"hook\""), HttpStatus.UNPROCESSABLE_ENTITY, "connection_id");
        assertRefused(ISSUE_BODY.replace("\"sync\"", "\"webhook\""), HttpStatus.UNPROCESSABLE_ENTITY, "connection_id");
        assertRefused(ISSUE_BODY.replace("{", "{\"surprise\": true, "), HttpStatus.BAD_REQUEST, "surprise");
        assertRefused("42", HttpStatus.BAD_REQUEST, null);
    }

    private static void assertRefused(String body, HttpStatus status, String field) {
        assertThatThrownBy(() -> ConsumerDefinition.fromRequest(JSON.readTree(body), CONNECTIONS, LIMITS))
                .as(body)
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(status);
                    assertThat(e.field()).isEqualTo(field);
                });
    }

    @Test
    void changeRecordsAreParsedAndNonChangesRefused() {
        CamelContext camel = new DefaultCamelContext();
        String value = AggregationTestSupport.change("public", "t", "u", 1, "x", 123456789012L);
        AggregationEvent event = new WindowEvents().parse(record(camel, "{\"id\":1}", value));
        assertThat(event.key()).isEqualTo("{\"id\":1}");
        assertThat(event.lsn()).isEqualTo("123456789012");
        assertThat(event.partitionKey()).isEqualTo("topic/0");
        assertThat(WindowEvents.fromStored(WindowEvents.stored(event)).value()).isEqualTo(value);

        assertThat(new WindowEvents().parse(record(camel, "{\"id\":1}", null))).as("tombstone").isNull();
        assertThatThrownBy(() -> new WindowEvents().parse(record(camel, "{\"id\":1}", "nope"))).isInstanceOf(NotAChangeEventException.class);
        assertThatThrownBy(() -> new WindowEvents().parse(record(camel, null, value))).isInstanceOf(NotAChangeEventException.class);
        assertThatThrownBy(() -> new WindowEvents().parse(record(camel, "{\"id\":1}", "{\"op\":\"c\",\"source\":{}}")))
                .isInstanceOf(NotAChangeEventException.class).hasMessageContaining("lsn");
    }

    private static Exchange record(CamelContext camel, String key, String value) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setBody(value == null ? null : value.getBytes(StandardCharsets.UTF_8));
        exchange.getMessage().setHeader(KafkaConstants.KEY, key == null ? null : key.getBytes(StandardCharsets.UTF_8));
        exchange.getMessage().setHeader(KafkaConstants.TOPIC, "topic");
        exchange.getMessage().setHeader(KafkaConstants.PARTITION, 0);
        exchange.getMessage().setHeader(KafkaConstants.OFFSET, 7L);
        return exchange;
    }

    @Test
    void syncTurnsEventsIntoExactRowChanges() {
        String value = """
                {"before":null,"after":{"id":1,"price":12345678901234567890.123456789012,"doc":{"a":[1,2]},"big":"__debezium_unavailable_value","ok":true},
                 "source":{"schema":"shop","table":"orders","lsn":5},"op":"u"}""";
        String deleted = """
                {"before":{"id":2},"after":null,"source":{"schema":"shop","table":"orders","lsn":6},"op":"d"}""";
        List<RowChange> changes = SyncJob.changes(List.of(new AggregationEvent("t", 0, 1, "{\"id\":1}", "5", value),
                new AggregationEvent("t", 0, 2, "{\"id\":2}", "6", deleted)));
        RowChange upsert = changes.get(0);
        assertThat(upsert.delete()).isFalse();
        assertThat(upsert.row()).containsEntry("price", new BigDecimal("12345678901234567890.123456789012"))
                .containsEntry("doc", "{\"a\":[1,2]}").containsEntry("ok", true).doesNotContainKey("big");
        assertThat(changes.get(1).delete()).isTrue();
        assertThat(changes.get(1).key()).containsEntry("id", 2L);
    }

    @Test
    void upsertsAndDeletesAreDialectSpecificAndQuoted() {
        RowChange row = new RowChange("src", "orders", false, Map.of("id", 1), new java.util.LinkedHashMap<>(Map.of("id", 1, "name", "x")));
        RowChange gone = new RowChange("src", "orders", true, Map.of("id", 2), null);
        List<String> pg = JdbcTargetsAccess.sql(CONNECTIONS.connections().get("string"), List.of(row, gone));
        assertThat(pg).anySatisfy(sql -> assertThat(sql).startsWith("INSERT INTO \"orders\" (").contains("ON CONFLICT (\"id\") DO UPDATE SET \"name\" = EXCLUDED.\"name\""));
        assertThat(pg).contains("DELETE FROM \"orders\" WHERE \"id\" = ?");
        List<String> maria = JdbcTargetsAccess.sql(CONNECTIONS.connections().get("maria"), List.of(row, gone));
        assertThat(maria).anySatisfy(sql -> assertThat(sql).startsWith("INSERT INTO `dw`.`orders_copy` (").contains("ON DUPLICATE KEY UPDATE `name` = VALUES(`name`)"));
        assertThat(maria).contains("DELETE FROM `dw`.`orders_copy` WHERE `id` = ?");

        RowChange evil = new RowChange("src", "orders\"; DROP TABLE x; --", false, Map.of("id", 1), Map.of("id", 1));
        assertThatThrownBy(() -> JdbcTargetsAccess.sql(CONNECTIONS.connections().get("string"), List.of(evil))).isInstanceOf(TargetRefusedException.class);
        RowChange evilColumn = new RowChange("src", "orders", false, Map.of("id", 1), Map.of("id", 1, "a\"b", 2));
        assertThatThrownBy(() -> JdbcTargetsAccess.sql(CONNECTIONS.connections().get("string"), List.of(evilColumn))).isInstanceOf(TargetRefusedException.class);
        RowChange keyless = new RowChange("src", "orders", false, Map.of(), Map.of("id", 1));
        assertThatThrownBy(() -> JdbcTargetsAccess.sql(CONNECTIONS.connections().get("string"), List.of(keyless)))
                .isInstanceOf(TargetRefusedException.class).hasMessageContaining("primary key");
        assertThat(SqlNames.quote("Mixed_Case$1", ConnectionsProperties.Kind.POSTGRESQL)).isEqualTo("\"Mixed_Case$1\"");
        assertThat(JdbcTargetsAccess.postgresArray("[1.50,null,[2]]")).isEqualTo("{1.50,NULL,{2}}");
        assertThat(JdbcTargetsAccess.postgresArray("[\"a\\\"b\",\"c\\\\d\",{\"x\":1}]")).isEqualTo("{\"a\\\"b\",\"c\\\\d\",\"{\\\"x\\\":1}\"}");
    }

    @Test
    void clickHouseGetsOneVersionedInsertPerTable() {
        TargetConnection clickHouse = new TargetConnection("clickhouse://ch:8123/dw", "", "", Map.of());
        Map<String, String> inserts = JdbcTargetsAccess.clickHouseInserts(clickHouse, List.of(
                new RowChange("src", "orders", false, Map.of("id", 1), new java.util.LinkedHashMap<>(Map.of("id", 1, "total", new BigDecimal("10.50"))), "99"),
                new RowChange("src", "orders", true, Map.of("id", 2), null, "100")));
        assertThat(inserts).containsOnlyKeys("INSERT INTO `dw`.`orders` FORMAT JSONEachRow");
        String body = inserts.values().iterator().next();
        assertThat(body).contains("\"total\":10.50").contains("\"_version\":99,\"_is_deleted\":0")
                .contains("{\"id\":2,\"_version\":100,\"_is_deleted\":1}");
        assertThatThrownBy(() -> JdbcTargetsAccess.clickHouseInserts(clickHouse, List.of(new RowChange("src", "x`y", true, Map.of("id", 2), null, "1"))))
                .isInstanceOf(TargetRefusedException.class);
    }

    @Test
    void failuresAreSortedIntoUnavailableAndRefused() {
        assertThat(JdbcTargetsAccess.classify(new SQLException("refused", "08001"))).isInstanceOf(TargetUnavailableException.class);
        assertThat(JdbcTargetsAccess.classify(new SQLException("no db", "3D000"))).isInstanceOf(TargetUnavailableException.class);
        assertThat(JdbcTargetsAccess.classify(new SQLException("deadlock", "40P01"))).isInstanceOf(TargetUnavailableException.class);
        assertThat(JdbcTargetsAccess.classify(new SQLException("duplicate", "23505"))).isInstanceOf(TargetRefusedException.class);
        assertThat(JdbcTargetsAccess.classify(new SQLException("bad value", "22P02"))).isInstanceOf(TargetRefusedException.class);
        assertThat(JdbcTargetsAccess.classify(new SQLException("check", "23514"))).isInstanceOf(TargetRefusedException.class);
        assertThat(JdbcTargetsAccess.classify(new SQLException("datatype mismatch", "42804"))).isInstanceOf(TargetRefusedException.class);
        assertThat(JdbcTargetsAccess.classify(new SQLException("MariaDB: incorrect integer value", "HY000", 1366))).isInstanceOf(TargetRefusedException.class);
        // the target's state, never the window's data: retried, the window kept
        for (String state : List.of("42P01", "42703", "3F000", "42501", "25006", "55P03", "57014", "42P10", "42601", "XX000", "42S02", "42000")) {
            assertThat(JdbcTargetsAccess.classify(new SQLException("state " + state, state))).as(state).isInstanceOf(TargetUnavailableException.class);
        }
        assertThat(JdbcTargetsAccess.classify(new SQLException("MariaDB: read-only", "HY000", 1290))).isInstanceOf(TargetUnavailableException.class);
        assertThat(JdbcTargetsAccess.classify(new SQLException("MariaDB: lock wait timeout", "HY000", 1205))).isInstanceOf(TargetUnavailableException.class);
    }

    @Test
    void connectionsAreValidatedAtStartUp() {
        assertThatThrownBy(() -> new ConnectionsProperties(Map.of("dw", new TargetConnection("ftp://x", "", "", Map.of()))))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("cdc.connections.dw.url");
        assertThatThrownBy(() -> new ConnectionsProperties(Map.of("dw", new TargetConnection(null, "", "", Map.of()))))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("cdc.connections.dw.url");
        assertThatThrownBy(() -> new ConnectionsProperties(Map.of("dw", new TargetConnection("jdbc:postgresql://x/y", "", "", Map.of("t", "a.b.c")))))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("cdc.connections.dw.tables.t");
        assertThatThrownBy(() -> new AggregationProperties(true, "bad prefix", java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(1),
                1000, java.time.Duration.ofSeconds(30), 20, new AggregationProperties.Retry(500, 30000), 1, 1, 1))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("cdc.aggregation.key-prefix");
        assertThat(CONNECTIONS.connections().get("string").toString()).doesNotContain("p");
        TargetConnection clickHouse = new ConnectionsProperties(Map.of("ch", new TargetConnection("clickhouses://ch.example:8443/dw", "", "", Map.of())))
                .connections().get("ch");
        assertThat(clickHouse.kind()).isEqualTo(ConnectionsProperties.Kind.CLICKHOUSE);
        assertThat(clickHouse.clickHouseHttpUrl()).isEqualTo("https://ch.example:8443");
        assertThat(clickHouse.clickHouseDatabase()).isEqualTo("dw");
        assertThatThrownBy(() -> new ConnectionsProperties(Map.of("ch", new TargetConnection("clickhouse://h:8123/bad-db", "", "", Map.of()))))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("cdc.connections.ch.url");
    }

    @Test
    void aWebhookSummaryCountsOperationsOfTheLatestChanges() throws Exception {
        ConsumerDefinition definition = ConsumerDefinition.fromRequest(JSON.readTree(ISSUE_BODY.replace("\"string\"", "\"hook\"")
                .replace("\"sync\"", "\"webhook\"")), CONNECTIONS, LIMITS);
        String summary = WebhookJob.summary(definition, "w1", Map.of("first", "1000", "completed", "2000", "count", "5"), List.of(
                new AggregationEvent("t", 0, 1, "{\"id\":1}", "5", AggregationTestSupport.change("s", "a", "u", 1, "x", 5)),
                new AggregationEvent("t", 0, 2, "{\"id\":2}", "6", AggregationTestSupport.change("s", "a", "d", 2, null, 6))));
        JsonNode json = JSON.readTree(summary);
        assertThat(json.path("events").asInt()).isEqualTo(5);
        assertThat(json.path("keys").asInt()).isEqualTo(2);
        assertThat(json.path("counts").path("u").asInt()).isEqualTo(1);
        assertThat(json.path("counts").path("d").asInt()).isEqualTo(1);
        assertThat(json.path("tables").path("s.a").asInt()).isEqualTo(2);
        assertThat(json.path("changes").get(1).path("key").path("id").asInt()).isEqualTo(2);
    }
}
