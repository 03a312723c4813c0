package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import org.junit.jupiter.api.Test;

class ChangeEventsIT extends CaptureContextIT {

    @Test
    void snapshotReadsExistingRowsAsReadEvents() {
        List<Event> events = TopicReader.awaitCount(topic("snapshot_rows"), 3);

        assertThat(events).hasSize(3).allSatisfy(e -> {
            assertThat(e.op()).isEqualTo("r");
            assertThat(e.value().path("before").isNull()).isTrue();
            assertThat(e.value().path("source").path("snapshot").asText()).isIn("true", "first", "last", "first_in_data_collection",
                    "last_in_data_collection");
            assertThat(e.headers()).containsEntry("cdc.op", "r").containsEntry("cdc.table", "snapshot_rows");
        });
        assertThat(events).extracting(e -> e.key().path("id").asInt()).containsExactlyInAnyOrder(1, 2, 3);
        assertThat(events).extracting(e -> e.after().path("label").asText()).containsExactlyInAnyOrder("one", "two", "three");
    }

    @Test
    void insertUpdateDeleteCarryBeforeAfterSourceAndATombstone() {
        sql("INSERT INTO capture.accounts VALUES (7, 'ada', 10.50)");
        sql("UPDATE capture.accounts SET balance = 99.99 WHERE id = 7");
        sql("DELETE FROM capture.accounts WHERE id = 7");

        List<Event> events = TopicReader.awaitCount(topic("accounts"), 4);

        assertThat(events).extracting(Event::op).containsExactly("c", "u", "d", null);
        Event insert = events.get(0);
        assertThat(insert.key().toString()).isEqualTo("{\"id\":7}");
        assertThat(insert.value().path("before").isNull()).isTrue();
        assertThat(insert.after().toString()).isEqualTo("{\"id\":7,\"owner\":\"ada\",\"balance\":10.50}");
        assertThat(insert.value().has("ts_ms")).isTrue();
        var source = insert.value().path("source");
        assertThat(source.path("connector").asText()).isEqualTo("postgresql");
        assertThat(source.path("db").asText()).isEqualTo(DB);
        assertThat(source.path("schema").asText()).isEqualTo("capture");
        assertThat(source.path("table").asText()).isEqualTo("accounts");
        assertThat(source.path("snapshot").asText()).isEqualTo("false");
        assertThat(source.path("lsn").asLong()).isPositive();
        assertThat(source.path("txId").asLong()).isPositive();
        assertThat(source.path("ts_ms").asLong()).isPositive();
        assertThat(source.has("name")).isTrue();

        Event update = events.get(1);
        assertThat(update.before().path("balance").decimalValue()).isEqualByComparingTo("10.50");
        assertThat(update.after().path("balance").decimalValue()).isEqualByComparingTo("99.99");
        assertThat(update.lsn()).isGreaterThan(insert.lsn());

        Event delete = events.get(2);
        assertThat(delete.value().path("after").isNull()).isTrue();
        assertThat(delete.before().path("owner").asText()).isEqualTo("ada");

        Event tombstone = events.get(3);
        assertThat(tombstone.isTombstone()).isTrue();
        assertThat(tombstone.key()).isEqualTo(delete.key());
        assertThat(tombstone.headers()).doesNotContainKey("cdc.op").containsEntry("cdc.table", "accounts");

        assertThat(events.subList(0, 3)).allSatisfy(e -> assertThat(e.headers())
                .containsEntry("cdc.op", e.op())
                .containsEntry("cdc.schema", "capture")
                .containsEntry("cdc.table", "accounts")
                .containsEntry("cdc.lsn", String.valueOf(e.lsn())));
    }

    @Test
    void changesToOneKeyArriveInCommitOrder() {
        sql("INSERT INTO capture.counters VALUES ('a', 0)");
        for (int i = 1; i <= 50; i++) {
            sql("UPDATE capture.counters SET n = " + i + " WHERE name = 'a'");
        }

        List<Event> events = TopicReader.awaitCount(topic("counters"), 51);

        assertThat(events).extracting(e -> e.after().path("n").asInt()).containsExactlyElementsOf(
                java.util.stream.IntStream.rangeClosed(0, 50).boxed().toList());
        assertThat(events).extracting(Event::lsn).isSorted();
    }

    @Test
    void renamedTableGoesToItsConfiguredTopic() {
        sql("INSERT INTO capture.renamed_prices VALUES (1, 12.3456)");

        List<Event> events = TopicReader.awaitCount("it.prices", 1);

        assertThat(events.get(0).after().path("price").decimalValue()).isEqualByComparingTo("12.3456");
        assertThat(TopicReader.readAll(topic("renamed_prices"))).isEmpty();
    }

    @Test
    void heartbeatsLetTheSlotAdvancePastWritesToUncapturedTables() throws Exception {
        sql("INSERT INTO public.not_captured (pad) SELECT repeat('x', 200) FROM generate_series(1, 2000)");
        String walAfterWrites = queryText("SELECT pg_current_wal_lsn()::text");

        org.awaitility.Awaitility.await("slot it_capture confirmed past " + walAfterWrites)
                .atMost(java.time.Duration.ofSeconds(60))
                .until(() -> Boolean.parseBoolean(queryText(
                        "SELECT (confirmed_flush_lsn >= '" + walAfterWrites + "'::pg_lsn)::text FROM pg_replication_slots WHERE slot_name = 'it_capture'")));
        assertThat(queryText("SELECT count(*)::text FROM public.cdc_hub_heartbeat WHERE slot = 'it_capture'")).isEqualTo("1");
        assertThat(TopicReader.readAll("it.public.cdc_hub_heartbeat")).isEmpty();
        assertThat(TopicReader.readAll("it.public.not_captured")).isEmpty();
    }

    private static String queryText(String query) throws java.sql.SQLException {
        try (var c = io.cdchub.testinfra.PostgresServer.shared().dataSource(DB).getConnection();
             var rs = c.createStatement().executeQuery(query)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
