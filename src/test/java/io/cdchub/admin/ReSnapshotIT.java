package io.cdchub.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Issue 15 section 3: a re-snapshot of one table (Debezium incremental snapshot through the signal table cdc-hub
 * creates) while 1,000 changes/s stream to another table. Every row of the re-snapshotted table reaches Kafka as a
 * read event (the source started with snapshot mode no_data, so the re-snapshot is their only way there), no change of
 * the other table is lost, the progress shows tables, chunks and rows, and a filtered re-snapshot sends only the rows
 * its condition selects. Bad requests are refused with the reason; the signal table's own rows are never published.
 */
class ReSnapshotIT {

    private static final int ROWS = 20_000;
    private static final String SOURCE = "it-resnap";

    @Test
    void aTableIsReSnapshottedWhileAnotherStreamsAtAThousandChangesPerSecond() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        Map<String, String> settings = RealServers.sourceSettings("resnap",
                "CREATE TABLE resnap.items (id int PRIMARY KEY, name text NOT NULL)",
                "CREATE TABLE resnap.ticks (id bigint PRIMARY KEY, n int NOT NULL)",
                "CREATE TABLE resnap.keyless (n int)");
        settings.put("cdc.source.snapshot-mode", "no_data");
        settings.put("cdc.source.signal-table", "resnap.signals");
        pg.execute(RealServers.DATABASE, "INSERT INTO resnap.items SELECT g, 'item ' || g FROM generate_series(1, " + ROWS + ") g");
        String items = "resnap.resnap.items";
        String ticks = "resnap.resnap.ticks";

        try (ConfigurableApplicationContext app = InProcessApp.start(settings)) {
            AdminHttp api = new AdminHttp(Integer.parseInt(app.getEnvironment().getProperty("local.server.port")));
            // no snapshot: a change is captured only once the slot exists (the engine makes it after the app started)
            Awaitility.await("the replication slot").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(250))
                    .until(() -> slotActive(pg));
            pg.execute(RealServers.DATABASE, "INSERT INTO resnap.ticks VALUES (0, 0)");
            TopicReader.await(ticks, events -> !events.isEmpty()); // streaming

            // refused with the reason, before anything reaches the engine
            assertThat(api.post("/debezium/connector/" + SOURCE + "/snapshot", "{}").status()).isEqualTo(400);
            assertThat(api.post("/debezium/connector/" + SOURCE + "/snapshot", "{\"tables\": \"resnap.items\"}").status()).isEqualTo(400);
            AdminHttp.Reply missing = api.post("/debezium/connector/" + SOURCE + "/snapshot", "{\"tables\": [\"resnap.nothing\"]}");
            assertThat(missing.status()).isEqualTo(400);
            assertThat(missing.json().path("message").asText()).contains("does not exist");
            assertThat(api.post("/debezium/connector/" + SOURCE + "/snapshot", "{\"tables\": [\"public.other\"]}").json().path("message").asText())
                    .contains("not captured");
            assertThat(api.post("/debezium/connector/" + SOURCE + "/snapshot", "{\"tables\": [\"resnap.keyless\"]}").json().path("message").asText())
                    .contains("no primary key");
            AdminHttp.Reply badFilter = api.post("/debezium/connector/" + SOURCE + "/snapshot", "{\"tables\": [\"resnap.items\"], \"filter\": \"nope >\"}");
            assertThat(badFilter.status()).isEqualTo(400);
            assertThat(badFilter.json().path("field").asText()).isEqualTo("filter");
            assertThat(api.post("/debezium/connector/" + SOURCE + "/snapshot",
                    "{\"tables\": [\"resnap.items\"], \"filter\": \"id > 0; DROP TABLE resnap.items\"}").status()).isEqualTo(400);
            assertThat(api.post("/debezium/connector/nobody/snapshot", "{\"tables\": [\"resnap.items\"]}").status()).isEqualTo(404);
            assertThat(TopicReader.readAll(items)).as("nothing of items before the re-snapshot (snapshot mode no_data)").isEmpty();

            // 1,000 changes/s to ticks: 10 single-row commits every 10 ms, each id logged once its commit returned
            ConcurrentLinkedQueue<Long> committed = new ConcurrentLinkedQueue<>();
            AtomicInteger next = new AtomicInteger(1);
            AtomicReference<Exception> loadFailure = new AtomicReference<>();
            ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor();
            Connection connection = pg.dataSource(RealServers.DATABASE).getConnection();
            PreparedStatement insert = connection.prepareStatement("INSERT INTO resnap.ticks VALUES (?, ?)");
            load.scheduleAtFixedRate(() -> {
                try {
                    for (int i = 0; i < 10; i++) {
                        long id = next.getAndIncrement();
                        insert.setLong(1, id);
                        insert.setInt(2, (int) id);
                        insert.executeUpdate();
                        committed.add(id);
                    }
                } catch (Exception e) {
                    loadFailure.compareAndSet(null, e);
                    throw new IllegalStateException(e);
                }
            }, 0, 10, TimeUnit.MILLISECONDS);
            try {
                AdminHttp.Reply requested = api.post("/debezium/connector/" + SOURCE + "/snapshot", "{\"tables\": [\"resnap.items\"]}");
                assertThat(requested.status()).as(requested.toString()).isEqualTo(202);
                String id = requested.json().path("id").asText();

                JsonNode done = Awaitility.await("the re-snapshot completed").atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(500))
                        .until(() -> snapshot(api, id), s -> s != null && "COMPLETED".equals(s.path("state").asText()));
                assertThat(done.path("chunks").asLong()).as("chunks read: " + done).isGreaterThanOrEqualTo(ROWS / 1024);
                assertThat(done.path("rows").asLong()).isEqualTo(ROWS);
                assertThat(done.path("tables").get(0).path("table").asText()).isEqualTo("resnap.items");
                assertThat(done.path("tables").get(0).path("rows").asLong()).isEqualTo(ROWS);
                assertThat(done.path("tables").get(0).path("state").asText()).isEqualTo("succeeded");
            } finally {
                load.shutdown();
                assertThat(load.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
                connection.close();
            }
            assertThat(loadFailure.get()).isNull();
            assertThat(committed.size()).isGreaterThan(1000);

            List<Event> snapshotted = TopicReader.await(items, events -> TopicReader.rowIds(events).size() == ROWS);
            assertThat(snapshotted).allSatisfy(e -> assertThat(e.value().path("op").asText()).isEqualTo("r"));
            assertThat(snapshotted).allSatisfy(e -> assertThat(e.value().path("source").path("snapshot").asText()).isEqualTo("incremental"));

            Set<Long> expected = new HashSet<>(committed);
            List<Event> streamed = TopicReader.await(ticks, events -> ids(events).containsAll(expected));
            assertThat(ids(streamed)).containsAll(expected);

            // a filtered re-snapshot: only the rows its condition selects, through the Connect-style API on its port
            AdminHttp connect = new AdminHttp(Integer.parseInt(app.getEnvironment().getProperty(ConnectPortConfiguration.LOCAL_PORT_PROPERTY)));
            AdminHttp.Reply filtered = connect.post("/connectors/" + SOURCE + "/snapshot", "{\"tables\": [\"resnap.items\"], \"filter\": \"id <= 100\"}");
            assertThat(filtered.status()).as(filtered.toString()).isEqualTo(202);
            String filteredId = filtered.json().path("id").asText();
            Awaitility.await("the filtered re-snapshot completed").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500))
                    .until(() -> snapshot(api, filteredId), s -> s != null && "COMPLETED".equals(s.path("state").asText()));
            assertThat(connect.get("/connectors/" + SOURCE + "/snapshot").json().path("snapshots")).hasSize(2);
            assertThat(connect.post("/connectors/nobody/snapshot", "{\"tables\": [\"resnap.items\"]}").json().path("error_code").asInt()).isEqualTo(404);
            List<Event> again = TopicReader.await(items, events -> events.size() >= ROWS + 100);
            assertThat(again).hasSize(ROWS + 100);
            Map<Integer, Long> timesRead = again.stream().collect(java.util.stream.Collectors.groupingBy(
                    e -> e.value().path("after").path("id").asInt(), java.util.stream.Collectors.counting()));
            assertThat(timesRead).hasSize(ROWS).allSatisfy((row, times) -> assertThat(times).as("row %d", row).isEqualTo(row <= 100 ? 2L : 1L));

            // the signal table's rows (signals, watermarks) are never published
            assertThat(TopicReader.readAll("resnap.resnap.signals")).isEmpty();
            assertThat(api.get("/actuator/prometheus").body()).contains("cdc_source_resnapshot_chunks_total{server=\"resnap\"}");
        }
    }

    private static boolean slotActive(PostgresServer pg) throws java.sql.SQLException {
        try (Connection c = pg.dataSource(RealServers.DATABASE).getConnection(); java.sql.Statement st = c.createStatement();
                java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'it_resnap' AND active")) {
            return rs.next() && rs.getInt(1) == 1;
        }
    }

    private static JsonNode snapshot(AdminHttp api, String id) {
        for (JsonNode s : api.get("/debezium/connector/" + SOURCE + "/snapshot").json().path("snapshots")) {
            if (s.path("id").asText().equals(id)) {
                return s;
            }
        }
        return null;
    }

    private static Set<Long> ids(List<Event> events) {
        Set<Long> ids = new HashSet<>();
        for (Event e : events) {
            if (e.value() != null && e.value().has("after")) {
                ids.add(e.value().path("after").path("id").asLong());
            }
        }
        return ids;
    }
}
