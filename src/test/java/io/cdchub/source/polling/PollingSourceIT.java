package io.cdchub.source.polling;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The polling source against a PostgreSQL with the default wal_level (replica), where logical replication is not
 * possible: first load, inserts, updates, soft deletes, ties on the watermark across batches, late commits inside
 * the margin (and, honestly, one beyond it), key watermarks, and a restart with each offset store.
 */
class PollingSourceIT {

    private static final String DB = "polled";
    private static final PostgresServer PG = startServer();

    private static PostgresServer startServer() {
        PostgresServer server = PostgresServer.startNewWithoutLogicalReplication();
        server.createDatabase(DB);
        return server;
    }

    /** Settings for an app polling the second server: the logical source off, topics {@code <prefix>.<schema>.<table>}. */
    private static Map<String, String> settings(String prefix) {
        Map<String, String> settings = RealServers.settings();
        settings.put("cdc.topic-prefix", prefix);
        settings.put("cdc.dlq.topic", prefix + ".dlq");
        settings.put("cdc.source.enabled", "false");
        settings.put("cdc.polling.enabled", "true");
        settings.put("cdc.polling.name", "it-" + prefix);
        settings.put("cdc.polling.database.hostname", PG.host());
        settings.put("cdc.polling.database.port", String.valueOf(PG.port()));
        settings.put("cdc.polling.database.dbname", DB);
        settings.put("cdc.polling.database.user", PostgresServer.USER);
        settings.put("cdc.polling.database.sslmode", "disable");
        settings.put("cdc.polling.poll-interval", "200ms");
        return settings;
    }

    private static void sql(String... statements) {
        PG.execute(DB, statements);
    }

    private static List<Event> changes(String topic, Predicate<List<Event>> condition) {
        return TopicReader.await(topic, condition);
    }

    private static boolean hasRow(List<Event> events, int id) {
        return events.stream().anyMatch(e -> !e.isTombstone() && e.after().path("id").asInt(-1) == id);
    }

    private static long count(List<Event> events, String op, int id) {
        return events.stream().filter(e -> op.equals(e.op()))
                .filter(e -> ("d".equals(op) ? e.before() : e.after()).path("id").asInt(-1) == id).count();
    }

    @Test
    void loadsThenPublishesInsertsUpdatesSoftDeletesAndLateCommitsInsideTheMargin() {
        sql("CREATE SCHEMA shop",
                "CREATE TABLE shop.items (id int PRIMARY KEY, label text, created_at timestamptz NOT NULL DEFAULT now(),"
                        + " updated_at timestamptz NOT NULL DEFAULT now(), deleted boolean NOT NULL DEFAULT false)",
                // five rows of one transaction: the same updated_at, more than a batch (2): pages through ties by key
                "INSERT INTO shop.items (id, label) SELECT g, 'first ' || g FROM generate_series(1, 5) g",
                "CREATE TABLE shop.events (id bigserial PRIMARY KEY, body text)",
                "INSERT INTO shop.events (body) VALUES ('a'), ('b'), ('c')");
        Map<String, String> settings = settings("pl");
        settings.put("cdc.polling.batch-size", "2");
        settings.put("cdc.polling.margin", "10s");
        settings.put("cdc.polling.tables[0].table", "shop.items");
        settings.put("cdc.polling.tables[0].watermark-column", "updated_at");
        settings.put("cdc.polling.tables[0].created-column", "created_at");
        settings.put("cdc.polling.tables[0].soft-delete-column", "deleted");
        settings.put("cdc.polling.tables[1].table", "shop.events");
        settings.put("cdc.polling.tables[1].watermark-column", "id");
        String items = "pl.shop.items";
        String events = "pl.shop.events";

        try (ConfigurableApplicationContext app = InProcessApp.start(settings)) {
            List<Event> loaded = changes(items, all -> all.size() >= 5);
            assertThat(loaded).extracting(Event::op).containsOnly("r");
            assertThat(loaded).extracting(e -> e.after().get("id").asInt()).containsExactly(1, 2, 3, 4, 5);
            Event first = loaded.get(0);
            assertThat(first.key().toString()).isEqualTo("{\"id\":1}");
            assertThat(first.value().path("source").path("connector").asText()).isEqualTo("cdc-hub-polling");
            assertThat(first.value().path("source").path("lsn").isNull()).isTrue();
            assertThat(first.value().path("source").path("txId").isIntegralNumber()).as("the row's xmin").isTrue();
            assertThat(first.value().path("source").path("snapshot").asText()).isEqualTo("true");
            assertThat(first.headers()).containsEntry("cdc.op", "r").containsEntry("cdc.schema", "shop").containsEntry("cdc.table", "items");

            sql("INSERT INTO shop.items (id, label) VALUES (6, 'new')");
            sql("UPDATE shop.items SET label = 'changed', updated_at = clock_timestamp() WHERE id = 1");
            sql("UPDATE shop.items SET deleted = true, updated_at = clock_timestamp() WHERE id = 2");
            List<Event> changed = changes(items, all -> count(all, "d", 2) == 1 && hasRow(all, 6) && count(all, "u", 1) == 1);
            assertThat(count(changed, "c", 6)).isEqualTo(1);
            assertThat(changed.stream().filter(e -> "u".equals(e.op())).findFirst().orElseThrow().after().get("label").asText())
                    .isEqualTo("changed");
            Event delete = changed.stream().filter(e -> "d".equals(e.op())).findFirst().orElseThrow();
            assertThat(delete.after().isNull()).isTrue();
            assertThat(changed.get(changed.indexOf(delete) + 1).isTombstone()).as("a tombstone follows the delete").isTrue();

            // a late commit: a row whose updated_at is 3 s older than rows already published, inside the 10 s margin
            sql("INSERT INTO shop.items (id, label) VALUES (7, 'marker')");
            changes(items, all -> hasRow(all, 7));
            sql("INSERT INTO shop.items (id, label, created_at, updated_at) SELECT 8, 'late', max(updated_at) - interval '3 seconds',"
                    + " max(updated_at) - interval '3 seconds' FROM shop.items");
            // and one an hour older: beyond the margin it is missed (README "Polling source": limits)
            sql("INSERT INTO shop.items (id, label, created_at, updated_at) SELECT 9, 'too late', max(updated_at) - interval '1 hour',"
                    + " max(updated_at) - interval '1 hour' FROM shop.items");
            List<Event> late = changes(items, all -> hasRow(all, 8));
            assertThat(count(late, "c", 8)).isEqualTo(1);

            sql("INSERT INTO shop.items (id, label, updated_at) VALUES (10, 'last', clock_timestamp() + interval '1 second')");
            List<Event> all = changes(items, a -> hasRow(a, 10));
            assertThat(hasRow(all, 9)).as("a row committed later than the margin with an older watermark is missed").isFalse();
            // rows read again in the overlap of later passes are not published again
            for (int id = 1; id <= 5; id++) {
                assertThat(count(all, "r", id)).as("first load of row %d", id).isEqualTo(1);
            }
            assertThat(count(all, "c", 6)).isEqualTo(1);
            assertThat(count(all, "c", 7)).isEqualTo(1);

            List<Event> keyed = changes(events, e -> e.size() >= 3);
            assertThat(keyed).extracting(Event::op).containsOnly("r");
            sql("INSERT INTO shop.events (body) VALUES ('d'), ('e')");
            keyed = changes(events, e -> e.size() >= 5);
            assertThat(keyed).extracting(e -> e.after().get("id").asInt()).containsExactly(1, 2, 3, 4, 5);
            assertThat(keyed.subList(3, 5)).extracting(Event::op).containsOnly("c");

            MeterRegistry registry = app.getBean(MeterRegistry.class);
            assertThat(registry.get("cdc.polling.rows").tag("table", "shop.items").counter().count()).isGreaterThanOrEqualTo(10);
            assertThat(registry.get("cdc.polling.watermark.lag.seconds").tag("table", "shop.items").gauge().value()).isGreaterThanOrEqualTo(0);
            assertThat(app.getBean("polling", HealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "kafka"})
    void aRestartResumesFromTheStoredWatermarkWithoutLossAndResendsOnlyTheMargin(String offsetStore) {
        String schema = "restart_" + offsetStore;
        sql("CREATE SCHEMA " + schema,
                "CREATE TABLE " + schema + ".items (id int PRIMARY KEY, label text, updated_at timestamptz NOT NULL)",
                "INSERT INTO " + schema + ".items SELECT g, 'old ' || g, now() - interval '1 hour' FROM generate_series(1, 5) g");
        String prefix = "pr" + offsetStore;
        Map<String, String> settings = settings(prefix);
        settings.put("cdc.polling.margin", "5s");
        settings.put("cdc.polling.offset-store", offsetStore);
        settings.put("cdc.polling.offset-topic", "it-polling-offsets-" + offsetStore);
        settings.put("cdc.polling.tables[0].table", schema + ".items");
        settings.put("cdc.polling.tables[0].watermark-column", "updated_at");
        String topic = prefix + "." + schema + ".items";

        try (ConfigurableApplicationContext first = InProcessApp.start(settings)) {
            changes(topic, all -> all.size() >= 5);
            sql("INSERT INTO " + schema + ".items VALUES (6, 'live', clock_timestamp())");
            changes(topic, all -> hasRow(all, 6));
        }
        sql("INSERT INTO " + schema + ".items VALUES (7, 'offline', clock_timestamp()), (8, 'offline', clock_timestamp())",
                "UPDATE " + schema + ".items SET label = 'changed offline', updated_at = clock_timestamp() WHERE id = 3");

        if ("kafka".equals(offsetStore)) {
            // another host, as it were: nothing local, the watermarks come from Kafka (the file store keeps the data dir)
            settings.put("cdc.data-dir", RealServers.settings().get("cdc.data-dir"));
        }
        try (ConfigurableApplicationContext second = InProcessApp.start(settings)) {
            List<Event> all = changes(topic, a -> hasRow(a, 7) && hasRow(a, 8) && count(a, "c", 3) == 1);
            assertThat(all.stream().filter(e -> "r".equals(e.op()))).as("the first load is not taken again").hasSize(5);
            for (int id = 1; id <= 5; id++) {
                assertThat(count(all, "r", id) + count(all, "c", id) - (id == 3 ? 1 : 0)).as("row %d: not sent again (older than the margin)", id)
                        .isEqualTo(1);
            }
            assertThat(count(all, "c", 6)).as("inside the margin: sent again at most once").isBetween(1L, 2L);
        }
    }

    @Test
    void pollsAgainOnceTheDatabaseIsBackWithoutSkippingAnything() {
        sql("CREATE SCHEMA outage",
                "CREATE TABLE outage.items (id int PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now())",
                "INSERT INTO outage.items VALUES (1)");
        Map<String, String> settings = settings("po");
        settings.put("cdc.polling.tables[0].table", "outage.items");
        settings.put("cdc.polling.tables[0].watermark-column", "updated_at");
        String topic = "po.outage.items";

        try (ConfigurableApplicationContext app = InProcessApp.start(settings)) {
            changes(topic, all -> hasRow(all, 1));
            HealthIndicator health = app.getBean("polling", HealthIndicator.class);
            PG.stopServer();
            try {
                org.awaitility.Awaitility.await("polling health DOWN").atMost(Duration.ofSeconds(60))
                        .until(() -> health.health().getStatus().equals(Status.DOWN));
            } finally {
                PG.startServer();
            }
            sql("INSERT INTO outage.items VALUES (2)");
            changes(topic, all -> hasRow(all, 2));
            org.awaitility.Awaitility.await("polling health UP").atMost(Duration.ofSeconds(60))
                    .until(() -> health.health().getStatus().equals(Status.UP));
        }
    }
}
