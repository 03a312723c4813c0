package io.cdchub.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.deadletter.DeadLetterEnricher;
import io.cdchub.sink.search.ElasticsearchSink;
import io.cdchub.testinfra.ElasticsearchServer;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import io.cdchub.testinfra.TopicWriter;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** PostgreSQL -> Kafka -> Elasticsearch, end to end on real servers (README: "Elasticsearch sink"). */
class ElasticsearchSinkIT extends SinkContextIT {

    @Autowired
    ElasticsearchSink sink;
    @Autowired
    org.springframework.boot.actuate.health.HealthEndpoint health;

    static ConditionFactory await(String what) {
        return Awaitility.await(what).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).ignoreExceptions();
    }

    static ElasticsearchServer es() {
        return ElasticsearchServer.shared();
    }

    /** PostgreSQL rows as documents would hold them: id -> {name, qty}. */
    static Map<String, Map<String, String>> pgDocs(String table) {
        Map<String, Map<String, String>> docs = new TreeMap<>();
        for (Map<String, String> row : pgRows("SELECT id, name, qty FROM sinks." + table)) {
            docs.put(row.get("id"), Map.of("name", row.get("name"), "qty", String.valueOf(row.get("qty"))));
        }
        return docs;
    }

    static Map<String, Map<String, String>> esDocs(String index) {
        Map<String, Map<String, String>> docs = new TreeMap<>();
        es().documents(index).forEach((id, doc) -> docs.put(id, Map.of("name", doc.path("name").asText(), "qty", doc.path("qty").asText("null"))));
        return docs;
    }

    static List<Event> sinkDeadLetters(String originalTopic) {
        return TopicReader.readAll(DLQ).stream()
                .filter(e -> ElasticsearchSink.ROUTE_ID.equals(e.headers().get(DeadLetterEnricher.ROUTE_ID)))
                .filter(e -> originalTopic.equals(e.headers().get(DeadLetterEnricher.ORIGINAL_TOPIC)))
                .toList();
    }

    @Test
    void everyMappedTypeIsIndexedAsTheRowAndDeletesDelete() {
        sql("""
                INSERT INTO sinks.all_types VALUES (11,
                    1, 2, 3, 12345678901234567890.123456789012, 3.5, 1.5, 2.25, 12.34,
                    'text', 'vc', 'ab', false,
                    '2024-02-29', '13:45:30.123456', '13:45:30+02', '2024-02-29 13:45:30.123456', '2024-02-29 13:45:30.123456+02', '1 day',
                    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2]}', '{"k": "v"}',
                    '{1,2,3}', '{"a","b c"}', '{1.10,2.25}', '\\xdeadbeef', 'ok', NULL, NULL)""",
                "INSERT INTO sinks.all_types (id, c_text) VALUES (12, 'to be deleted')",
                "UPDATE sinks.all_types SET c_text = 'changed' WHERE id = 11",
                "DELETE FROM sinks.all_types WHERE id = 12");

        Map<String, JsonNode> docs = await("all_types in Elasticsearch").until(() -> es().documents("cdc-all_types"),
                d -> d.containsKey("11") && "changed".equals(d.get("11").path("c_text").asText()) && !d.containsKey("12"));

        List<Event> events = TopicReader.readAll(topic("all_types"));
        Event last = events.stream().filter(e -> !e.isTombstone() && e.key().path("id").asInt() == 11).reduce((a, b) -> b).orElseThrow();
        assertThat(docs.get("11")).isEqualTo(last.after());
        JsonNode stored = es().request("GET", "/cdc-all_types/_doc/11", null);
        assertThat(stored.path("_version").asLong()).isEqualTo(last.lsn());
        assertThat(docs.get("11").path("c_numeric").decimalValue()).isEqualByComparingTo("12345678901234567890.123456789012");
        // the example template was put before the first write
        assertThat(es().request("GET", "/cdc-all_types/_settings", null).path("cdc-all_types").path("settings").path("index").path("gc_deletes").asText())
                .isEqualTo("1d");
    }

    @Test
    void compositeKeysAreJoinedStablyAndIndicesCanBeNamedPerTable() {
        sql("INSERT INTO sinks.composite VALUES ('eu', 42, 'x'), ('a|b', 7, 'pipe')",
                "INSERT INTO sinks.renamed_for_search VALUES (1, 'elsewhere')");

        await("composite ids").until(() -> es().documents("cdc-composite").keySet(), ids -> ids.containsAll(List.of("eu|42", "a\\|b|7")));
        await("the index named for the table").until(() -> es().documents("search-renamed").keySet(), ids -> ids.contains("1"));
    }

    @Test
    void replayedTwiceAndOutOfOrderTheFinalStateStaysPostgres() {
        for (int i = 1; i <= 30; i++) {
            sql("INSERT INTO sinks.search_replay VALUES (" + i + ", 'item " + i + "', " + i + ")");
        }
        sql("UPDATE sinks.search_replay SET qty = qty * 10 WHERE id <= 15",
                "UPDATE sinks.search_replay SET name = 'renamed ' || id WHERE id % 3 = 0",
                "DELETE FROM sinks.search_replay WHERE id % 5 = 0");
        Map<String, Map<String, String>> expected = pgDocs("search_replay");
        await("search_replay in Elasticsearch").until(() -> esDocs("cdc-search_replay"), expected::equals);

        List<Event> events = TopicReader.readAll(topic("search_replay"));
        List<TopicWriter.Out> twice = newestFirstThenInOrder(events);
        TopicWriter.write(topic("search_replay"), twice);

        await("the replay consumed").until(() -> runners.metrics(ElasticsearchSink.NAME).lagValue() == 0 && es().documents("cdc-search_replay").size() == expected.size());
        await("still PostgreSQL's state").during(Duration.ofSeconds(2)).until(() -> esDocs("cdc-search_replay"), expected::equals);
        assertThat(sinkDeadLetters(topic("search_replay"))).isEmpty();
    }

    @Test
    void elasticsearchDownForAWhileLosesNothingAndDeadLettersNothing() {
        sql("INSERT INTO sinks.search_outage VALUES (1, 'before the outage', 1)");
        await("first document").until(() -> esDocs("cdc-search_outage"), d -> d.equals(pgDocs("search_outage")));

        double failuresBefore = runners.metrics(ElasticsearchSink.NAME).failureCount();
        es().stop();
        try {
            for (int i = 2; i <= 50; i++) {
                sql("INSERT INTO sinks.search_outage VALUES (" + i + ", 'during the outage', " + i + ")");
            }
            sql("UPDATE sinks.search_outage SET qty = -1 WHERE id = 1", "DELETE FROM sinks.search_outage WHERE id = 2");
            await("the sink to meet the outage").until(() -> runners.metrics(ElasticsearchSink.NAME).failureCount() >= failuresBefore + 2);
        } finally {
            es().start();
        }

        Map<String, Map<String, String>> expected = pgDocs("search_outage");
        Awaitility.await("documents after Elasticsearch is back").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> esDocs("cdc-search_outage"), expected::equals);
        assertThat(sinkDeadLetters(topic("search_outage"))).isEmpty();
    }

    @Test
    void refusedItemsAreDeadLetteredAloneAndTheRestOfTheBulkIsWritten() {
        TopicWriter.write(topic("composite"), List.of(
                TopicWriter.Out.json("{\"id\":1001}", envelope(1001, "1")),
                TopicWriter.Out.json("{\"id\":1000}", "[\"not\", \"an event\"]"),
                TopicWriter.Out.json("{\"id\":1002}", envelope(1002, "{\"nested\": \"object where a number was mapped\"}")),
                TopicWriter.Out.json("{\"id\":1003}", envelope(1003, "3"))));

        await("the good documents").until(() -> es().documents("cdc-search_poison").keySet(), ids -> ids.equals(java.util.Set.of("1001", "1003")));
        List<Event> letters = await("two dead letters").until(() -> sinkDeadLetters(topic("composite")), l -> l.size() >= 2);

        assertThat(letters).hasSize(2);
        assertThat(letters.get(0).headers().get(DeadLetterEnricher.EXCEPTION_MESSAGE)).startsWith("Not a change event");
        assertThat(letters.get(1).headers().get(DeadLetterEnricher.EXCEPTION_MESSAGE)).contains("Elasticsearch refused the document");
        assertThat(letters.get(1).headers()).containsEntry(DeadLetterEnricher.EXCEPTION_CLASS, RejectedRecordException.class.getName());

        sql("INSERT INTO sinks.composite VALUES ('after', 1, 'the poison')");
        await("a change after the poison").until(() -> es().documents("cdc-composite").keySet(), ids -> ids.contains("after|1"));
    }

    static String envelope(int id, String qty) {
        return "{\"before\":null,\"after\":{\"id\":" + id + ",\"qty\":" + qty + "},"
                + "\"source\":{\"connector\":\"postgresql\",\"schema\":\"sinks\",\"table\":\"search_poison\",\"lsn\":" + (100 + id) + ",\"ts_ms\":1},"
                + "\"transaction\":null,\"op\":\"c\",\"ts_ms\":1}";
    }

    @Test
    void aColumnAddedInPostgresAppearsInTheDocuments() {
        sql("INSERT INTO sinks.evolving_search VALUES (1, 'before the change')");
        await("first document").until(() -> es().documents("cdc-evolving_search").keySet(), ids -> ids.contains("1"));

        sql("ALTER TABLE sinks.evolving_search ADD COLUMN note text", "INSERT INTO sinks.evolving_search VALUES (2, 'after', 'hello')");

        await("the new field").until(() -> es().documents("cdc-evolving_search"), d -> d.containsKey("2") && "hello".equals(d.get("2").path("note").asText()));
    }

    static final String GROUP = "cdc-hub-elasticsearch";

    org.springframework.boot.actuate.health.Status elasticsearchHealth() {
        return ((org.springframework.boot.actuate.health.HealthComponent) health.healthForPath("elasticsearch")).getStatus();
    }

    /**
     * The outage the sink meets: it retries (its failures grow), commits nothing past what was written, dead-letters
     * nothing, and readiness says Elasticsearch is DOWN.
     */
    void awaitTheSinkStuckBehind(String table, long committed, double failuresBefore) {
        Awaitility.await("the sink to meet the outage").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> runners.metrics(ElasticsearchSink.NAME).failureCount() >= failuresBefore + 3);
        assertThat(sinkDeadLetters(topic(table))).isEmpty();
        assertThat(committedOffset(GROUP, topic(table))).isEqualTo(committed);
        assertThat(elasticsearchHealth()).isEqualTo(org.springframework.boot.actuate.health.Status.DOWN);
    }

    @Test
    void aReadOnlyIndexIsAnOutageNotADeadLetter() {
        sql("INSERT INTO sinks.search_blocked VALUES (1, 'before the block', 1)");
        await("first document").until(() -> esDocs("cdc-search_blocked"), d -> d.equals(pgDocs("search_blocked")));
        await("its offset committed").until(() -> committedOffset(GROUP, topic("search_blocked")), offset -> offset >= 1);
        long committed = committedOffset(GROUP, topic("search_blocked"));

        // a read-only index (403 cluster_block_exception per item), as after a flood-stage disk watermark or an admin's block
        es().request("PUT", "/cdc-search_blocked/_settings", "{\"index.blocks.write\": true}");
        double failuresBefore = runners.metrics(ElasticsearchSink.NAME).failureCount();
        try {
            sql("INSERT INTO sinks.search_blocked VALUES (2, 'during the block', 2), (3, 'during the block', 3)",
                    "UPDATE sinks.search_blocked SET qty = 10 WHERE id = 1");
            awaitTheSinkStuckBehind("search_blocked", committed, failuresBefore);
        } finally {
            es().request("PUT", "/cdc-search_blocked/_settings", "{\"index.blocks.write\": null}");
        }

        Map<String, Map<String, String>> expected = pgDocs("search_blocked");
        await("every document once the block is lifted").until(() -> esDocs("cdc-search_blocked"), expected::equals);
        await("the offsets committed").until(() -> committedOffset(GROUP, topic("search_blocked")), offset -> offset > committed);
        await("ready again").until(this::elasticsearchHealth, org.springframework.boot.actuate.health.Status.UP::equals);
        assertThat(sinkDeadLetters(topic("search_blocked"))).isEmpty();
    }

    @Test
    void aMissingOrClosedIndexIsAnOutageNotADeadLetter() {
        // the index cannot be created (404 index_not_found_exception per item), as when an admin turned auto-creation off
        es().request("PUT", "/_cluster/settings", "{\"persistent\": {\"action.auto_create_index\": \"-cdc-search_missing,+*\"}}");
        double failuresBefore = runners.metrics(ElasticsearchSink.NAME).failureCount();
        try {
            sql("INSERT INTO sinks.search_missing VALUES (1, 'no index yet', 1), (2, 'no index yet', 2)");
            awaitTheSinkStuckBehind("search_missing", -1, failuresBefore);
        } finally {
            es().request("PUT", "/_cluster/settings", "{\"persistent\": {\"action.auto_create_index\": null}}");
        }
        await("the documents once the index can be made").until(() -> esDocs("cdc-search_missing"), pgDocs("search_missing")::equals);
        await("their offsets committed").until(() -> committedOffset(GROUP, topic("search_missing")), offset -> offset >= 2);
        long committed = committedOffset(GROUP, topic("search_missing"));

        // a closed index (400 index_closed_exception per item)
        es().request("POST", "/cdc-search_missing/_close", null);
        failuresBefore = runners.metrics(ElasticsearchSink.NAME).failureCount();
        try {
            sql("INSERT INTO sinks.search_missing VALUES (3, 'index closed', 3)", "DELETE FROM sinks.search_missing WHERE id = 1");
            awaitTheSinkStuckBehind("search_missing", committed, failuresBefore);
        } finally {
            es().request("POST", "/cdc-search_missing/_open?wait_for_active_shards=1", null);
        }
        Map<String, Map<String, String>> expected = pgDocs("search_missing");
        await("every change once the index is open").until(() -> esDocs("cdc-search_missing"), expected::equals);
        await("ready again").until(this::elasticsearchHealth, org.springframework.boot.actuate.health.Status.UP::equals);
        assertThat(sinkDeadLetters(topic("search_missing"))).isEmpty();
    }
}
