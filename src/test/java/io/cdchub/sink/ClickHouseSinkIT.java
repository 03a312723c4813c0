package io.cdchub.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.deadletter.DeadLetterEnricher;
import io.cdchub.sink.clickhouse.ClickHouseClient;
import io.cdchub.sink.clickhouse.ClickHouseSink;
import io.cdchub.testinfra.ClickHouseServer;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import io.cdchub.testinfra.TopicWriter;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** PostgreSQL -> Kafka -> ClickHouse, end to end on real servers (README: "ClickHouse sink"). */
class ClickHouseSinkIT extends SinkContextIT {

    @Autowired
    ClickHouseSink sink;
    @Autowired
    org.apache.camel.CamelContext camel;
    @Autowired
    SinkProperties sinkProperties;

    static ConditionFactory await(String what) {
        return Awaitility.await(what).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).ignoreExceptions();
    }

    static ClickHouseServer clickhouse() {
        return ClickHouseServer.shared();
    }

    /** Rows of a ClickHouse query, each as column -> text, like {@link #pgRows}. */
    static List<Map<String, String>> chRows(String select) {
        List<Map<String, String>> rows = new ArrayList<>();
        for (JsonNode row : clickhouse().rows(select)) {
            Map<String, String> out = new LinkedHashMap<>();
            row.fields().forEachRemaining(f -> out.put(f.getKey(), f.getValue().isNull() ? null : f.getValue().isContainerNode() ? f.getValue().toString() : f.getValue().asText()));
            rows.add(out);
        }
        return rows;
    }

    static String columnType(String table, String column) {
        return clickhouse().query("SELECT type FROM system.columns WHERE database = '" + CLICKHOUSE_DB + "' AND table = '" + table
                + "' AND name = '" + column + "' FORMAT TabSeparatedRaw").trim();
    }

    static List<Event> sinkDeadLetters(String originalTopic) {
        return TopicReader.readAll(DLQ).stream()
                .filter(e -> ClickHouseSink.ROUTE_ID.equals(e.headers().get(DeadLetterEnricher.ROUTE_ID)))
                .filter(e -> originalTopic.equals(e.headers().get(DeadLetterEnricher.ORIGINAL_TOPIC)))
                .toList();
    }

    @Test
    void everyMappedTypeIsWrittenUpdatesReplaceAndDeletesDelete() {
        sql("""
                INSERT INTO sinks.all_types VALUES (1,
                    32767, -2147483648, 9223372036854775807,
                    12345678901234567890.123456789012, 3.5, 1.5, 2.25, 12.34,
                    'héllo "world"', 'vc', 'ab', true,
                    '2024-02-29', '13:45:30.123456', '13:45:30+02', '2024-02-29 13:45:30.123456', '2024-02-29 13:45:30.123456+02',
                    '1 year 2 mons 3 days 04:05:06.78',
                    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50, {"b": null}]}', '{"k": "v", "n": 1.10}',
                    '{1,2,3}', '{"a","b c"}', '{1.10,2.25}',
                    '\\xdeadbeef', 'happy', NULL, NULL)""",
                "INSERT INTO sinks.all_types (id, c_text) VALUES (2, 'to be deleted')",
                "UPDATE sinks.all_types SET c_text = 'changed', c_integer = 42 WHERE id = 1",
                "DELETE FROM sinks.all_types WHERE id = 2");

        await("all_types in ClickHouse").until(() -> chRows("SELECT id, c_text FROM " + CLICKHOUSE_DB + ".all_types_current WHERE id IN (1, 2)"),
                rows -> rows.size() == 1 && "changed".equals(rows.get(0).get("c_text")));

        Map<String, String> row = chRows("SELECT * FROM " + CLICKHOUSE_DB + ".all_types_current WHERE id = 1").get(0);
        assertThat(row).containsEntry("id", "1")
                .containsEntry("c_smallint", "32767")
                .containsEntry("c_integer", "42")
                .containsEntry("c_bigint", "9223372036854775807")
                .containsEntry("c_numeric", "12345678901234567890.123456789012")
                .containsEntry("c_numeric_free", "3.5")
                .containsEntry("c_real", "1.5")
                .containsEntry("c_double", "2.25")
                .containsEntry("c_money", "12.34")
                .containsEntry("c_text", "changed")
                .containsEntry("c_varchar", "vc")
                .containsEntry("c_char", "ab ")
                .containsEntry("c_boolean", "1")
                .containsEntry("c_date", "2024-02-29")
                .containsEntry("c_time", "13:45:30.123456")
                .containsEntry("c_timestamp", "2024-02-29 13:45:30")
                .containsEntry("c_timestamptz", "2024-02-29 11:45:30")
                .containsEntry("c_interval", "P1Y2M3DT4H5M6.78S")
                .containsEntry("c_uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
                .containsEntry("c_json", "{\"a\":[1,2.50,{\"b\":null}]}")
                .containsEntry("c_jsonb", "{\"k\":\"v\",\"n\":1.10}")
                .containsEntry("c_int_array", "[1,2,3]")
                .containsEntry("c_text_array", "[\"a\",\"b c\"]")
                .containsEntry("c_numeric_array", "[1.1,2.25]")
                .containsEntry("c_bytea", "3q2+7w==")
                .containsEntry("c_enum", "happy")
                .containsEntry("c_null_text", null)
                .containsEntry("c_null_int", null)
                .containsEntry("_op", "u")
                .containsEntry("_is_deleted", "0");

        assertThat(columnType("all_types", "id")).isEqualTo("Int32");
        assertThat(columnType("all_types", "c_smallint")).isEqualTo("Nullable(Int16)");
        assertThat(columnType("all_types", "c_bigint")).isEqualTo("Nullable(Int64)");
        assertThat(columnType("all_types", "c_numeric")).isEqualTo("Nullable(Decimal(38, 12))");
        assertThat(columnType("all_types", "c_numeric_free")).isEqualTo("Nullable(Float64)");
        assertThat(columnType("all_types", "c_real")).isEqualTo("Nullable(Float32)");
        assertThat(columnType("all_types", "c_money")).isEqualTo("Nullable(Decimal(19, 2))");
        assertThat(columnType("all_types", "c_boolean")).isEqualTo("Nullable(UInt8)");
        assertThat(columnType("all_types", "c_date")).isEqualTo("Nullable(Date)");
        assertThat(columnType("all_types", "c_timestamptz")).isEqualTo("Nullable(DateTime('UTC'))");
        assertThat(columnType("all_types", "c_uuid")).isEqualTo("Nullable(UUID)");
        assertThat(columnType("all_types", "c_int_array")).isEqualTo("Array(Nullable(Int32))");
        assertThat(columnType("all_types", "c_jsonb")).isEqualTo("Nullable(String)");
        assertThat(columnType("all_types", "_version")).isEqualTo("UInt64");
        assertThat(columnType("all_types", "_synced_at")).isEqualTo("DateTime('UTC')");
        assertThat(clickhouse().query("SELECT engine FROM system.tables WHERE database = '" + CLICKHOUSE_DB + "' AND name = 'all_types' FORMAT TabSeparated").trim())
                .isEqualTo("ReplacingMergeTree");

        // the delete is a row with _is_deleted = 1 and the highest version of its key
        assertThat(chRows("SELECT id, _op, _is_deleted FROM " + CLICKHOUSE_DB + ".all_types FINAL WHERE id = 2"))
                .containsExactly(Map.of("id", "2", "_op", "d", "_is_deleted", "1"));
    }

    @Test
    void replayedTwiceAndOutOfOrderTheFinalStateStaysPostgres() {
        for (int i = 1; i <= 30; i++) {
            sql("INSERT INTO sinks.replay VALUES (" + i + ", 'item " + i + "', " + i + ")");
        }
        sql("UPDATE sinks.replay SET qty = qty * 10 WHERE id <= 15",
                "UPDATE sinks.replay SET name = 'renamed ' || id WHERE id % 3 = 0",
                "DELETE FROM sinks.replay WHERE id % 5 = 0");
        String pg = "SELECT id, name, qty FROM sinks.replay ORDER BY id";
        String ch = "SELECT id, name, qty FROM " + CLICKHOUSE_DB + ".replay_current ORDER BY id";
        List<Map<String, String>> expected = pgRows(pg);
        await("replay table in ClickHouse").until(() -> chRows(ch), expected::equals);

        List<Event> events = TopicReader.readAll(topic("replay"));
        List<TopicWriter.Out> replay = new ArrayList<>();
        for (Event e : events) {
            replay.add(TopicWriter.Out.json(e.key() == null ? null : e.key().toString(), e.value() == null ? null : e.value().toString()));
        }
        List<TopicWriter.Out> reversed = new ArrayList<>(replay);
        Collections.reverse(reversed);
        long changes = events.stream().filter(e -> !e.isTombstone()).count();
        double writtenBefore = runners.metrics(ClickHouseSink.NAME).writtenCount();

        List<TopicWriter.Out> twice = new ArrayList<>(reversed);
        twice.addAll(replay);
        TopicWriter.write(topic("replay"), twice);

        await("replay written").until(() -> runners.metrics(ClickHouseSink.NAME).writtenCount() >= writtenBefore + 2 * changes && runners.metrics(ClickHouseSink.NAME).lagValue() == 0);
        assertThat(chRows(ch)).isEqualTo(expected);
    }

    @Test
    void clickHouseDownForAWhileLosesNothingAndDeadLettersNothing() {
        sql("INSERT INTO sinks.outage VALUES (1, 'before the outage', 1)");
        String pg = "SELECT id, name, qty FROM sinks.outage ORDER BY id";
        String ch = "SELECT id, name, qty FROM " + CLICKHOUSE_DB + ".outage_current ORDER BY id";
        await("outage table in ClickHouse").until(() -> chRows(ch), rows -> rows.equals(pgRows(pg)));

        double failuresBefore = runners.metrics(ClickHouseSink.NAME).failureCount();
        clickhouse().stop();
        try {
            for (int i = 2; i <= 50; i++) {
                sql("INSERT INTO sinks.outage VALUES (" + i + ", 'during the outage', " + i + ")");
            }
            sql("UPDATE sinks.outage SET qty = -1 WHERE id = 1", "DELETE FROM sinks.outage WHERE id = 2");
            await("the sink to meet the outage").until(() -> runners.metrics(ClickHouseSink.NAME).failureCount() >= failuresBefore + 2);
        } finally {
            clickhouse().start();
        }

        List<Map<String, String>> expected = pgRows(pg);
        await("outage table after ClickHouse is back").until(() -> chRows(ch), expected::equals);
        assertThat(sinkDeadLetters(topic("outage"))).isEmpty();
    }

    @Test
    void refusedRecordsAreDeadLetteredAloneAndTheRestOfTheBatchIsWritten() {
        String good1 = envelope(1001, "\"good one\"", "1");
        String refused = envelope(1002, "\"refused\"", "\"not a number\""); // qty is an integer column
        String good2 = envelope(1003, "\"good two\"", "3");
        TopicWriter.write(topic("items"), List.of(
                TopicWriter.Out.json("{\"id\":1001}", good1),
                TopicWriter.Out.json("{\"id\":1000}", "{this is not json"),
                TopicWriter.Out.json("{\"id\":1002}", refused),
                TopicWriter.Out.json("{\"id\":1003}", good2)));

        await("the good records").until(() -> chRows("SELECT id FROM " + CLICKHOUSE_DB + ".poison_target_current ORDER BY id"),
                rows -> rows.equals(List.of(Map.of("id", "1001"), Map.of("id", "1003"))));
        List<Event> letters = await("two dead letters").until(() -> sinkDeadLetters(topic("items")), l -> l.size() >= 2);

        assertThat(letters).hasSize(2);
        assertThat(letters).allSatisfy(l -> assertThat(l.headers()).containsEntry(DeadLetterEnricher.EXCEPTION_CLASS, RejectedRecordException.class.getName())
                .containsKey(DeadLetterEnricher.ORIGINAL_OFFSET));
        assertThat(letters.get(0).headers().get(DeadLetterEnricher.EXCEPTION_MESSAGE)).startsWith("Not JSON");
        assertThat(letters.get(1).headers().get(DeadLetterEnricher.EXCEPTION_MESSAGE)).contains("ClickHouse answered");
        assertThat(letters.get(1).value().path("after").path("qty").asText()).isEqualTo("not a number");

        // and the route goes on
        sql("INSERT INTO sinks.items VALUES (5000, 'after the poison', 1)");
        await("a change after the poison").until(() -> chRows("SELECT id FROM " + CLICKHOUSE_DB + ".items_current WHERE id = 5000"), r -> r.size() == 1);
    }

    /** A change event for a table only these records write to (so other tests' comparisons with PostgreSQL hold). */
    static String envelope(int id, String name, String qty) {
        return "{\"before\":null,\"after\":{\"id\":" + id + ",\"name\":" + name + ",\"qty\":" + qty + "},"
                + "\"source\":{\"connector\":\"postgresql\",\"schema\":\"sinks\",\"table\":\"poison_target\",\"lsn\":" + (100 + id) + ",\"ts_ms\":1},"
                + "\"transaction\":null,\"op\":\"c\",\"ts_ms\":1}";
    }

    @Test
    void aColumnAddedInPostgresIsAddedInClickHouse() {
        sql("INSERT INTO sinks.evolving VALUES (1, 'before the change')");
        await("first row").until(() -> chRows("SELECT id FROM " + CLICKHOUSE_DB + ".evolving_current"), r -> r.size() == 1);

        sql("ALTER TABLE sinks.evolving ADD COLUMN note text, ADD COLUMN amount numeric(10,2)",
                "INSERT INTO sinks.evolving VALUES (2, 'after', 'hello', 12.50)");

        await("the new columns").until(() -> chRows("SELECT id, note, amount FROM " + CLICKHOUSE_DB + ".evolving_current ORDER BY id"),
                r -> r.size() == 2 && "hello".equals(r.get(1).get("note")));
        assertThat(columnType("evolving", "note")).isEqualTo("Nullable(String)");
        assertThat(columnType("evolving", "amount")).isEqualTo("Nullable(Decimal(10, 2))");
        assertThat(new java.math.BigDecimal(chRows("SELECT amount FROM " + CLICKHOUSE_DB + ".evolving_current WHERE id = 2").get(0).get("amount")))
                .isEqualByComparingTo("12.50");
    }

    @Test
    void aUserSuppliedTableIsUsedAsItIs() {
        sql("INSERT INTO sinks.user_supplied VALUES (1, 'mine', 'no column for this')",
                "UPDATE sinks.user_supplied SET name = 'still mine' WHERE id = 1");

        await("the user's table").until(() -> chRows("SELECT id, name FROM " + CLICKHOUSE_DB + ".curated_rows FINAL WHERE _is_deleted = 0"),
                r -> r.equals(List.of(Map.of("id", "1", "name", "still mine"))));
        assertThat(columnType("curated_rows", "ignored_here")).isEmpty();
    }

    @Test
    void aRecordInTheDebeziumValueFormIsDeadLetteredNeverMisread() {
        // cdc.source.value-format=debezium writes dates as epoch days and decimals as base64: never read as cdc-hub's form
        TopicWriter.write(topic("items"), List.of(new TopicWriter.Out("{\"id\":2001}".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                envelope(2001, "\"other form\"", "1").getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.of("cdc.format", "debezium"))));

        List<Event> letters = await("the dead letter").until(() -> sinkDeadLetters(topic("items")).stream()
                .filter(l -> String.valueOf(l.headers().get(DeadLetterEnricher.EXCEPTION_MESSAGE)).contains("value form")).toList(), l -> !l.isEmpty());

        assertThat(letters.get(0).headers()).containsEntry(DeadLetterEnricher.EXCEPTION_CLASS, RejectedRecordException.class.getName());
        assertThat(letters.get(0).headers().get(DeadLetterEnricher.EXCEPTION_MESSAGE)).contains("'debezium' value form", "cdc.source.value-format");
        assertThat(chRows("SELECT id FROM " + CLICKHOUSE_DB + ".poison_target_current WHERE id = 2001")).isEmpty();
    }

    @Test
    void aRequestCutShortIsAnOutageNotADataError() {
        clickhouse().query("CREATE TABLE IF NOT EXISTS " + CLICKHOUSE_DB + ".cut_short (id Int32, name Nullable(String)) ENGINE = MergeTree ORDER BY id");
        ClickHouseClient client = new ClickHouseClient(sinkProperties.clickhouse());
        // what the real server answers to a body that ends early (a connection or proxy cutting the request):
        // code 33 (CANNOT_READ_ALL_DATA) and 32 (ATTEMPT_TO_READ_AFTER_EOF). The rows are good: sent again whole, they go in.
        for (String cut : List.of("{\"id\":1,\"name\":\"a\"}\n{\"id\":12", "{\"id\":1,\"name\":\"a\"}\n{\"id\":")) {
            assertThatThrownBy(() -> client.insert("`cut_short`", cut.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                    .isInstanceOf(SinkUnavailableException.class).hasMessageMatching("(?s).*\\(code 3[23]\\).*");
        }
        client.insert("`cut_short`", "{\"id\":1,\"name\":\"a\"}\n{\"id\":12,\"name\":\"b\"}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(chRows("SELECT id FROM " + CLICKHOUSE_DB + ".cut_short ORDER BY id")).extracting(r -> r.get("id")).containsExactly("1", "12");
    }
}
