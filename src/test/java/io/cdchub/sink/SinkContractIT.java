package io.cdchub.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.cdchub.deadletter.DeadLetterEnricher;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import io.cdchub.testinfra.TopicWriter;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;

/**
 * The contract every sink passes, on its real target (README "Adding a sink"): a subclass names the sink and says how to
 * read the target's current rows and how to stop and start the target. Each sink has tables of its own,
 * {@code sinks.contract_<sink>_<scenario>} ({@link SinkContextIT} creates them for the sinks in {@code CONTRACT_SINKS}), so the
 * sinks' tests never see each other's rows. Every table is {@code (id int PRIMARY KEY, name text NOT NULL, qty int)}.
 */
abstract class SinkContractIT extends SinkContextIT {

    @org.springframework.beans.factory.annotation.Autowired
    io.micrometer.core.instrument.MeterRegistry registry;

    static final List<String> COLUMNS = List.of("name", "qty");

    /** The sink's name ({@link Sink#name()}). */
    abstract String sink();

    /** The id of the sink's built-in route (its dead letters carry it). */
    abstract String routeId();

    /** The target's current rows of a source table (deleted ones absent): id -> column -> value as text, JSON null as null. */
    abstract Map<String, Map<String, String>> targetRows(String table, List<String> columns);

    abstract void stopTarget();

    abstract void startTarget();

    String table(String scenario) {
        return table(contractName(), scenario);
    }

    /** The name the sink's contract tables carry (CONTRACT_SINKS): the sink's, unless one sink runs the contract twice. */
    String contractName() {
        return sink();
    }

    /** The change topic of a source table in this test's context. */
    String changeTopic(String table) {
        return topic(table);
    }

    /** The renamed topic of a source table in this test's context (cdc.topic-rename). */
    String renamedChangeTopic(String table) {
        return renamedTopic(table);
    }

    /** The dead-letter topic of this test's context. */
    String deadLetterTopic() {
        return DLQ;
    }

    static ConditionFactory await(String what) {
        return Awaitility.await(what).atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(300)).ignoreExceptions();
    }

    /** PostgreSQL's rows of a table in the form of {@link #targetRows}. */
    static Map<String, Map<String, String>> sourceRows(String table, List<String> columns) {
        Map<String, Map<String, String>> rows = new TreeMap<>();
        for (Map<String, String> row : pgRows("SELECT id, " + String.join(", ", columns) + " FROM sinks." + table)) {
            Map<String, String> values = new LinkedHashMap<>();
            columns.forEach(c -> values.put(c, row.get(c)));
            rows.put(row.get("id"), values);
        }
        return rows;
    }

    List<Event> deadLetters(String topic) {
        return TopicReader.readAll(deadLetterTopic()).stream()
                .filter(e -> routeId().equals(e.headers().get(DeadLetterEnricher.ROUTE_ID)))
                .filter(e -> topic.equals(e.headers().get(DeadLetterEnricher.ORIGINAL_TOPIC)))
                .toList();
    }

    SinkMetrics metrics() {
        return runners.metrics(sink());
    }

    @Test
    void theSinksMetersExistFromTheStart() {
        assertThat(registry.find("cdc.sink.records.written").tag("sink", sink()).counter()).isNotNull();
        assertThat(registry.find("cdc.sink.lag").tag("sink", sink()).gauge()).isNotNull();
    }

    @Test
    void replayedTwiceAndOutOfOrderTheTargetStaysEqualToPostgres() {
        String table = table("replay");
        for (int i = 1; i <= 20; i++) {
            sql("INSERT INTO sinks." + table + " VALUES (" + i + ", 'item " + i + "', " + i + ")");
        }
        sql("UPDATE sinks." + table + " SET qty = qty * 10 WHERE id <= 10",
                "UPDATE sinks." + table + " SET name = 'renamed ' || id WHERE id % 3 = 0",
                "DELETE FROM sinks." + table + " WHERE id % 5 = 0");
        Map<String, Map<String, String>> expected = sourceRows(table, COLUMNS);
        await("the table in the target").until(() -> targetRows(table, COLUMNS), expected::equals);

        // the whole topic again, newest first and then in order: every change is older than or as old as what is there
        List<Event> events = TopicReader.readAll(changeTopic(table));
        List<TopicWriter.Out> twice = newestFirstThenInOrder(events);
        long changes = events.stream().filter(e -> !e.isTombstone()).count();
        double handledBefore = metrics().writtenCount() + metrics().alreadyAppliedCount();
        TopicWriter.write(changeTopic(table), twice);

        await("the replay handled").until(() -> metrics().writtenCount() + metrics().alreadyAppliedCount() >= handledBefore + 2 * changes);
        await("still PostgreSQL's rows").during(Duration.ofSeconds(1)).until(() -> targetRows(table, COLUMNS), expected::equals);
        assertThat(deadLetters(changeTopic(table))).isEmpty();
    }

    @Test
    void targetDownThenBackLosesNothingAndDeadLettersNothing() {
        String table = table("outage");
        sql("INSERT INTO sinks." + table + " VALUES (1, 'before the outage', 1)");
        await("the first row").until(() -> targetRows(table, COLUMNS), rows -> rows.equals(sourceRows(table, COLUMNS)));

        double failuresBefore = metrics().failureCount();
        stopTarget();
        try {
            for (int i = 2; i <= 30; i++) {
                sql("INSERT INTO sinks." + table + " VALUES (" + i + ", 'during the outage', " + i + ")");
            }
            sql("UPDATE sinks." + table + " SET qty = -1 WHERE id = 1", "DELETE FROM sinks." + table + " WHERE id = 2");
            await("the sink to meet the outage").until(() -> metrics().failureCount() >= failuresBefore + 2);
            assertThat(metrics().outage()).as("the outage is reported (readiness DOWN)").isNotNull();
        } finally {
            startTarget();
        }

        Map<String, Map<String, String>> expected = sourceRows(table, COLUMNS);
        await("the rows after the target is back").until(() -> targetRows(table, COLUMNS), expected::equals);
        await("the outage over").until(() -> metrics().outage() == null);
        assertThat(deadLetters(changeTopic(table))).isEmpty();
    }

    @Test
    void aRefusedRecordIsDeadLetteredAloneWithItsReasonAndTheRestIsWritten() {
        String table = table("refused");
        sql("INSERT INTO sinks." + table + " VALUES (1, 'shapes the target', 1)"); // qty becomes a number column
        await("the first row").until(() -> targetRows(table, COLUMNS), rows -> rows.containsKey("1"));

        TopicWriter.write(changeTopic(table), List.of(
                TopicWriter.Out.json("{\"id\":1001}", envelope(table, 1001, "\"good one\"", "5")),
                TopicWriter.Out.json("{\"id\":1002}", envelope(table, 1002, "\"refused\"", "\"not a number\"")),
                TopicWriter.Out.json("{\"id\":1003}", envelope(table, 1003, "\"good two\"", "7"))));

        await("the good records").until(() -> targetRows(table, COLUMNS), rows -> rows.containsKey("1001") && rows.containsKey("1003"));
        List<Event> letters = await("the dead letter").until(() -> deadLetters(changeTopic(table)), l -> !l.isEmpty());
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).headers()).containsEntry(DeadLetterEnricher.EXCEPTION_CLASS, RejectedRecordException.class.getName())
                .containsKey(DeadLetterEnricher.ORIGINAL_OFFSET);
        assertThat(letters.get(0).headers().get(DeadLetterEnricher.EXCEPTION_MESSAGE)).isNotBlank();
        assertThat(letters.get(0).value().path("after").path("id").asInt()).isEqualTo(1002);
        assertThat(targetRows(table, COLUMNS)).doesNotContainKey("1002");

        // and the route goes on
        sql("INSERT INTO sinks." + table + " VALUES (2, 'after the refused one', 2)");
        await("a change after it").until(() -> targetRows(table, COLUMNS), rows -> rows.containsKey("2"));
    }

    /** A change event of a table in schema sinks, with an LSN above any the source gives in these tests. */
    static String envelope(String table, int id, String name, String qty) {
        return "{\"before\":null,\"after\":{\"id\":" + id + ",\"name\":" + name + ",\"qty\":" + qty + "},"
                + "\"source\":{\"connector\":\"postgresql\",\"schema\":\"sinks\",\"table\":\"" + table + "\",\"lsn\":" + (900_000_000_000L + id)
                + ",\"ts_ms\":1},\"transaction\":null,\"op\":\"c\",\"ts_ms\":1}";
    }

    @Test
    void aColumnAddedInPostgresReachesTheTarget() {
        String table = table("evolving");
        sql("INSERT INTO sinks." + table + " VALUES (1, 'before the change', 1)");
        await("the first row").until(() -> targetRows(table, COLUMNS), rows -> rows.containsKey("1"));

        sql("ALTER TABLE sinks." + table + " ADD COLUMN note text", "INSERT INTO sinks." + table + " VALUES (2, 'after', 2, 'hello')");

        List<String> withNote = List.of("name", "qty", "note");
        await("the new column").until(() -> targetRows(table, withNote).get("2"), row -> row != null && "hello".equals(row.get("note")));
        assertThat(targetRows(table, withNote).get("2")).isEqualTo(sourceRows(table, withNote).get("2"));
    }

    @Test
    void aRenamedTopicIsReadAtTheDefaults() {
        String table = table("renamed");
        sql("INSERT INTO sinks." + table + " VALUES (1, 'on a renamed topic', 1)", "INSERT INTO sinks." + table + " VALUES (2, 'two', 2)",
                "UPDATE sinks." + table + " SET qty = 20 WHERE id = 2");
        // cdc.topic-rename (SinkContextIT) names it like the quick start's cdc.commodity_prices: <prefix>.<table>
        await("the renamed topic").until(() -> TopicReader.readAll(renamedChangeTopic(table)).size() >= 3);
        Map<String, Map<String, String>> expected = sourceRows(table, COLUMNS);
        await("the rows in the target").until(() -> targetRows(table, COLUMNS), expected::equals);
    }

    static String renamedTopic(String table) {
        return "sit." + table;
    }
}
