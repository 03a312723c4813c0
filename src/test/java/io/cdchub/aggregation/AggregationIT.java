package io.cdchub.aggregation;

import static io.cdchub.aggregation.AggregationTestSupport.call;
import static io.cdchub.aggregation.AggregationTestSupport.consumerBody;
import static io.cdchub.aggregation.AggregationTestSupport.createTargetTable;
import static io.cdchub.aggregation.AggregationTestSupport.event;
import static io.cdchub.aggregation.AggregationTestSupport.rows;
import static io.cdchub.aggregation.AggregationTestSupport.runs;
import static io.cdchub.aggregation.AggregationTestSupport.tombstone;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.cdchub.aggregation.AggregationTestSupport.Response;
import io.cdchub.connections.JdbcTargets;
import io.cdchub.connections.RowChange;
import io.cdchub.connections.TargetRefusedException;
import io.cdchub.testinfra.ClickHouseServer;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Threshold aggregation end to end on real servers (Redis, Kafka, PostgreSQL as the sync target, a JDK HTTP server
 * as the webhook receiver), through the consumers API of one running app. Each test has its own consumer and topic.
 */
class AggregationIT {

    private static final String DLQ = "agg-it.dlq";
    private static ConfigurableApplicationContext app;
    private static HttpServer receiver;
    private static final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private static final AtomicInteger receiverStatus = new AtomicInteger(200);

    @BeforeAll
    static void start() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            int status = receiverStatus.get();
            if (status == 200) {
                received.add(AggregationTestSupport.JSON.readTree(body));
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        receiver.start();
        Map<String, String> settings = AggregationTestSupport.appSettings(DLQ);
        settings.put("cdc.connections.hook.url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook");
        settings.put("cdc.connections.flaky.url", PostgresServer.shared().jdbcUrl("agg_flaky"));
        settings.put("cdc.connections.flaky.username", PostgresServer.USER);
        settings.put("cdc.connections.mapped.url", PostgresServer.shared().jdbcUrl(AggregationTestSupport.TARGET_DB));
        settings.put("cdc.connections.mapped.username", PostgresServer.USER);
        settings.put("cdc.connections.mapped.tables.src.orders", "public.orders_copy");
        ClickHouseServer clickHouse = ClickHouseServer.shared();
        clickHouse.query("CREATE DATABASE IF NOT EXISTS agg_ch");
        settings.put("cdc.connections.ch.url", clickHouse.url().replace("http://", "clickhouse://") + "/agg_ch");
        settings.put("cdc.connections.ch.username", "default");
        // targets in the states an outage leaves them in (each test puts its target in that state and back)
        settings.put("cdc.connections.ch-wrong-password.url", clickHouse.url().replace("http://", "clickhouse://") + "/agg_ch");
        settings.put("cdc.connections.ch-wrong-password.username", ClickHouseServer.USER);
        settings.put("cdc.connections.ch-wrong-password.password", "not-" + ClickHouseServer.PASSWORD);
        PostgresServer pg = PostgresServer.shared();
        pg.createDatabase("agg_read_only");
        settings.put("cdc.connections.read-only.url", pg.jdbcUrl("agg_read_only"));
        settings.put("cdc.connections.read-only.username", PostgresServer.USER);
        pg.execute("postgres", "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'agg_limited') THEN CREATE ROLE agg_limited LOGIN; END IF; END $$");
        settings.put("cdc.connections.limited.url", pg.jdbcUrl(AggregationTestSupport.TARGET_DB));
        settings.put("cdc.connections.limited.username", "agg_limited");
        // a target that gives up waiting for a lock after 300 ms (55P03 lock_not_available)
        settings.put("cdc.connections.impatient.url", pg.jdbcUrl(AggregationTestSupport.TARGET_DB) + "?options=-c%20lock_timeout=300");
        settings.put("cdc.connections.impatient.username", PostgresServer.USER);
        app = InProcessApp.start(settings);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        if (receiver != null) {
            receiver.stop(0);
        }
    }

    @Test
    void sizeTriggerAppliesTheLatestChangePerKey() {
        createTargetTable("size_rows");
        String topic = "agg-it.size";
        assertThat(call(app, "POST", "/consumer/start", consumerBody("size", topic, "target", 6, 3600, "sync")).status()).isEqualTo(201);
        TopicWriter.write(topic, List.of(
                event("src", "size_rows", "c", 1, "first", 100),
                event("src", "size_rows", "c", 2, "two", 110),
                event("src", "size_rows", "u", 1, "second", 120),
                event("src", "size_rows", "u", 2, "stale", 105), // an older LSN of key 2 arriving late: ignored
                event("src", "size_rows", "c", 3, "three", 130),
                event("src", "size_rows", "d", 3, null, 140),
                tombstone(3)));

        await().atMost(Duration.ofSeconds(30)).until(() -> !runs(app, "size").isEmpty());
        assertThat(rows("size_rows")).isEqualTo(Map.of(1, "second", 2, "two"));
        JsonNode run = runs(app, "size").get(0);
        assertThat(run.path("status").asText()).isEqualTo("ok");
        assertThat(run.path("events").asInt()).isEqualTo(6);
        assertThat(run.path("keys").asInt()).isEqualTo(3);
        assertThat(run.path("job_type").asText()).isEqualTo("sync");
        JsonNode info = call(app, "GET", "/consumer/info/size", null).body();
        assertThat(info.path("window").path("events").asInt()).isZero();
        assertThat(info.path("pending_windows").asInt()).isZero();
        String metrics = prometheus();
        assertThat(metrics).contains("cdc_aggregation_runs_total{consumer=\"size\",status=\"ok\"} 1.0")
                .contains("cdc_aggregation_events_total{consumer=\"size\"} 6.0")
                .contains("cdc_aggregation_windows_completed_total{consumer=\"size\"} 1.0");
    }

    @Test
    void aPollIsSplitExactlyWhereItsWindowsReachMaxEvent() {
        createTargetTable("split_rows");
        String topic = "agg-it.split";
        // on the topic before the consumer starts: one poll reads all 10, and so 4 + 4 complete two windows and 2 stay open
        List<TopicWriter.Out> records = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            records.add(event("src", "split_rows", "c", i, "v" + i, 100 + i));
        }
        TopicWriter.write(topic, records);
        assertThat(call(app, "POST", "/consumer/start", consumerBody("split", topic, "target", 4, 3600, "sync")).status()).isEqualTo(201);

        await().atMost(Duration.ofSeconds(30)).until(() -> runs(app, "split").size() == 2
                && call(app, "GET", "/consumer/info/split", null).body().path("pending_windows").asInt() == 0);
        assertThat(runs(app, "split")).allSatisfy(run -> {
            assertThat(run.path("status").asText()).isEqualTo("ok");
            assertThat(run.path("events").asInt()).isEqualTo(4);
        });
        assertThat(rows("split_rows")).containsOnlyKeys(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(call(app, "GET", "/consumer/info/split", null).body().path("window").path("events").asInt()).isEqualTo(2);
    }

    @Test
    void timeTriggerCompletesAWindowMaxTimeAfterItsFirstEvent() {
        createTargetTable("time_rows");
        String topic = "agg-it.time";
        assertThat(call(app, "POST", "/consumer/start", consumerBody("time", topic, "target", 1000, 5, "sync")).status()).isEqualTo(201);
        TopicWriter.write(topic, List.of(event("src", "time_rows", "c", 1, "a", 100), event("src", "time_rows", "c", 2, "b", 101)));

        // the window is open (far below max_event) until 5 s after its first event
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> call(app, "GET", "/consumer/info/time", null).body().path("window").path("events").asInt() == 2);
        assertThat(rows("time_rows")).isEmpty();

        await().atMost(Duration.ofSeconds(20)).until(() -> rows("time_rows").size() == 2);
        JsonNode run = runs(app, "time").get(0);
        assertThat(run.path("status").asText()).isEqualTo("ok");
        assertThat(run.path("events").asInt()).isEqualTo(2);
    }

    @Test
    void webhookReceivesAWindowSummary() {
        String topic = "agg-it.webhook";
        assertThat(call(app, "POST", "/consumer/start", consumerBody("hooked", topic, "hook", 4, 3600, "webhook")).status()).isEqualTo(201);
        TopicWriter.write(topic, List.of(
                event("src", "people", "c", 1, "a", 100),
                event("src", "people", "u", 1, "b", 101),
                event("src", "people", "c", 2, "c", 102),
                event("src", "people", "d", 3, null, 103)));

        await().atMost(Duration.ofSeconds(30)).until(() -> received.stream().anyMatch(s -> s.path("consumer_id").asText().equals("hooked")));
        JsonNode summary = received.stream().filter(s -> s.path("consumer_id").asText().equals("hooked")).findFirst().orElseThrow();
        assertThat(summary.path("events").asInt()).isEqualTo(4);
        assertThat(summary.path("keys").asInt()).isEqualTo(3);
        assertThat(summary.path("counts").path("u").asInt()).isEqualTo(1);
        assertThat(summary.path("counts").path("c").asInt()).isEqualTo(1);
        assertThat(summary.path("counts").path("d").asInt()).isEqualTo(1);
        assertThat(summary.path("pipeline_name").asText()).isEqualTo("pipeline hooked");
        assertThat(summary.path("changes")).hasSize(3);
        await().atMost(Duration.ofSeconds(10)).until(() -> !runs(app, "hooked").isEmpty());
        assertThat(runs(app, "hooked").get(0).path("status").asText()).isEqualTo("ok");
    }

    @Test
    void aWebhookAnswering503IsRetriedAnd400FailsTheRun() {
        String topic = "agg-it.webhook-status";
        receiverStatus.set(503);
        try {
            assertThat(call(app, "POST", "/consumer/start", consumerBody("hook-status", topic, "hook", 1, 3600, "webhook")).status()).isEqualTo(201);
            TopicWriter.write(topic, List.of(event("src", "people", "c", 1, "a", 100)));
            await().atMost(Duration.ofSeconds(30)).until(() -> runs(app, "hook-status").stream().anyMatch(r -> r.path("status").asText().equals("retrying")));
            assertThat(runs(app, "hook-status").get(0).path("error").asText()).contains("503");
            receiverStatus.set(200);
            await().atMost(Duration.ofSeconds(30)).until(() -> runs(app, "hook-status").get(0).path("status").asText().equals("ok"));

            receiverStatus.set(400);
            TopicWriter.write(topic, List.of(event("src", "people", "c", 2, "b", 101)));
            await().atMost(Duration.ofSeconds(30)).until(() -> runs(app, "hook-status").get(0).path("status").asText().equals("failed"));
            assertThat(runs(app, "hook-status")).hasSize(2);
            TopicReader.await(DLQ, events -> events.stream().anyMatch(e -> topic.equals(e.headers().get("cdc.dlq.original-topic"))));
        } finally {
            receiverStatus.set(200);
        }
    }

    @Test
    void aTargetThatIsDownIsRetriedAndTheWindowKept() {
        PostgresServer pg = PostgresServer.shared();
        pg.createDatabase("agg_flaky");
        pg.execute("agg_flaky", "CREATE TABLE flaky_rows (id int PRIMARY KEY, name text)");
        // the target goes away: its database is renamed (connections fail with "database does not exist")
        pg.takeAway("agg_flaky");
        String topic = "agg-it.flaky";
        assertThat(call(app, "POST", "/consumer/start", consumerBody("flaky", topic, "flaky", 2, 3600, "sync")).status()).isEqualTo(201);
        TopicWriter.write(topic, List.of(event("src", "flaky_rows", "c", 1, "a", 100), event("src", "flaky_rows", "c", 2, "b", 101)));

        await().atMost(Duration.ofSeconds(30)).until(() -> runs(app, "flaky").stream().anyMatch(r -> r.path("status").asText().equals("retrying")));
        JsonNode info = call(app, "GET", "/consumer/info/flaky", null).body();
        assertThat(info.path("pending_windows").asInt()).isEqualTo(1);
        assertThat(runs(app, "flaky").get(0).path("error").asText()).contains("agg_flaky");

        pg.bringBack("agg_flaky");
        await().atMost(Duration.ofSeconds(30)).until(() -> runs(app, "flaky").get(0).path("status").asText().equals("ok"));
        try (var c = pg.dataSource("agg_flaky").getConnection(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM flaky_rows")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(2);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        assertThat(runs(app, "flaky")).hasSize(1);
        assertThat(call(app, "GET", "/consumer/info/flaky", null).body().path("pending_windows").asInt()).isZero();
    }

    @Test
    void aWindowTheTargetRefusesForItsDataIsDeadLetteredAndTheConsumerGoesOn() {
        String topic = "agg-it.refused";
        PostgresServer.shared().execute(AggregationTestSupport.TARGET_DB,
                "CREATE TABLE refused_rows (id int PRIMARY KEY, name text CHECK (name IS NULL OR name <> 'bad'))");
        assertThat(call(app, "POST", "/consumer/start", consumerBody("refused", topic, "target", 2, 3600, "sync")).status()).isEqualTo(201);
        // a value the table's check constraint refuses (23514): this window's data, so the run fails for good
        TopicWriter.write(topic, List.of(event("src", "refused_rows", "c", 1, "bad", 100), event("src", "refused_rows", "c", 2, "b", 101)));

        await().atMost(Duration.ofSeconds(30)).until(() -> runs(app, "refused").stream().anyMatch(r -> r.path("status").asText().equals("failed")));
        List<TopicReader.Event> letters = TopicReader.await(DLQ, events -> events.stream()
                .filter(e -> topic.equals(e.headers().get("cdc.dlq.original-topic"))).count() >= 2);
        TopicReader.Event letter = letters.stream().filter(e -> topic.equals(e.headers().get("cdc.dlq.original-topic"))).findFirst().orElseThrow();
        assertThat(letter.headers().get("cdc.dlq.route-id")).isEqualTo("aggregation-consumer-refused");
        assertThat(letter.headers().get("cdc.dlq.exception-message")).contains("refused_rows");
        assertThat(runs(app, "refused").get(0).path("error").asText()).contains("refused_rows");

        // the consumer goes on with the next window
        TopicWriter.write(topic, List.of(event("src", "refused_rows", "c", 3, "c", 102), event("src", "refused_rows", "c", 4, "d", 103)));
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("refused_rows").size() == 2);
        assertThat(rows("refused_rows")).containsOnlyKeys(3, 4);
    }

    private static double retries(String consumerId) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("cdc_aggregation_run_retries_total\\{consumer=\"" + consumerId + "\"} (\\S+)")
                .matcher(prometheus());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** Dead letters of a consumer's topic now. */
    private static List<TopicReader.Event> deadLetters(String topic) {
        return TopicReader.readAll(DLQ).stream().filter(e -> topic.equals(e.headers().get("cdc.dlq.original-topic"))).toList();
    }

    /**
     * The consumer's target is unavailable: its window's run is retried (recorded as retrying, never failed), the window
     * is kept, nothing is dead-lettered, and readiness is DOWN naming the consumer.
     */
    private static void awaitWaitingForItsTarget(String consumerId, String topic, String reason) {
        await().atMost(Duration.ofSeconds(30)).until(() -> runs(app, consumerId).stream().anyMatch(r -> r.path("status").asText().equals("retrying")));
        await().atMost(Duration.ofSeconds(10)).until(() -> retries(consumerId) >= 3);
        List<JsonNode> runs = runs(app, consumerId);
        assertThat(runs).hasSize(1);
        assertThat(runs.get(0).path("status").asText()).isEqualTo("retrying");
        assertThat(runs.get(0).path("error").asText()).contains(reason);
        assertThat(call(app, "GET", "/consumer/info/" + consumerId, null).body().path("pending_windows").asInt()).isEqualTo(1);
        assertThat(deadLetters(topic)).isEmpty();
        Response readiness = call(app, "GET", "/actuator/health/readiness", null);
        assertThat(readiness.status()).isEqualTo(503);
        assertThat(readiness.body().path("components").path("aggregation").path("details").path("targetUnavailable").path(consumerId).asText())
                .contains(reason);
    }

    /** The window was applied once its target came back: one run, ok, nothing dead-lettered. */
    private static void awaitAppliedOnceBack(String consumerId, String topic) {
        await().atMost(Duration.ofSeconds(30)).until(() -> runs(app, consumerId).get(0).path("status").asText().equals("ok"));
        assertThat(runs(app, consumerId)).hasSize(1);
        assertThat(deadLetters(topic)).isEmpty();
        assertThat(call(app, "GET", "/consumer/info/" + consumerId, null).body().path("pending_windows").asInt()).isZero();
    }

    @Test
    void aMissingTargetTableIsAnOutageAndTheWindowWaitsForIt() {
        String topic = "agg-it.no-table";
        // no table "late_rows" in the target yet (42P01): an outage of the target, not this window's data
        assertThat(call(app, "POST", "/consumer/start", consumerBody("no-table", topic, "target", 2, 3600, "sync")).status()).isEqualTo(201);
        TopicWriter.write(topic, List.of(event("src", "late_rows", "c", 1, "a", 100), event("src", "late_rows", "c", 2, "b", 101)));
        awaitWaitingForItsTarget("no-table", topic, "late_rows");

        createTargetTable("late_rows");
        awaitAppliedOnceBack("no-table", topic);
        assertThat(rows("late_rows")).isEqualTo(Map.of(1, "a", 2, "b"));
    }

    @Test
    void aReadOnlyTargetIsAnOutageAndTheWindowWaitsForIt() {
        PostgresServer pg = PostgresServer.shared();
        pg.execute("agg_read_only", "CREATE TABLE ro_rows (id int PRIMARY KEY, name text)");
        // as after a failover to a standby: every transaction is read-only (25006)
        pg.execute("postgres", "ALTER DATABASE agg_read_only SET default_transaction_read_only = on");
        String topic = "agg-it.read-only";
        try {
            assertThat(call(app, "POST", "/consumer/start", consumerBody("read-only", topic, "read-only", 2, 3600, "sync")).status()).isEqualTo(201);
            TopicWriter.write(topic, List.of(event("src", "ro_rows", "c", 1, "a", 100), event("src", "ro_rows", "c", 2, "b", 101)));
            awaitWaitingForItsTarget("read-only", topic, "read-only transaction");
        } finally {
            pg.execute("postgres", "ALTER DATABASE agg_read_only SET default_transaction_read_only = off");
        }
        awaitAppliedOnceBack("read-only", topic);
        try (var c = pg.dataSource("agg_read_only").getConnection(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM ro_rows")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(2);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void missingRightsOnTheTargetAreAnOutageAndTheWindowWaitsForThem() {
        createTargetTable("limited_rows");
        // the connection's user may not write the table (42501 insufficient_privilege)
        String topic = "agg-it.limited";
        assertThat(call(app, "POST", "/consumer/start", consumerBody("limited", topic, "limited", 2, 3600, "sync")).status()).isEqualTo(201);
        TopicWriter.write(topic, List.of(event("src", "limited_rows", "c", 1, "a", 100), event("src", "limited_rows", "c", 2, "b", 101)));
        awaitWaitingForItsTarget("limited", topic, "permission denied");

        PostgresServer.shared().execute(AggregationTestSupport.TARGET_DB, "GRANT SELECT, INSERT, UPDATE, DELETE ON limited_rows TO agg_limited");
        awaitAppliedOnceBack("limited", topic);
        assertThat(rows("limited_rows")).isEqualTo(Map.of(1, "a", 2, "b"));
    }

    @Test
    void aLockTimeoutOnTheTargetIsAnOutageAndTheWindowWaitsForTheLock() throws Exception {
        createTargetTable("locked_rows");
        String topic = "agg-it.impatient";
        try (var holder = PostgresServer.shared().dataSource(AggregationTestSupport.TARGET_DB).getConnection()) {
            holder.setAutoCommit(false);
            try (var st = holder.createStatement()) {
                st.execute("LOCK TABLE locked_rows IN ACCESS EXCLUSIVE MODE");
            }
            // the target waits 300 ms for the lock, then gives up (55P03 lock_not_available)
            assertThat(call(app, "POST", "/consumer/start", consumerBody("impatient", topic, "impatient", 2, 3600, "sync")).status()).isEqualTo(201);
            TopicWriter.write(topic, List.of(event("src", "locked_rows", "c", 1, "a", 100), event("src", "locked_rows", "c", 2, "b", 101)));
            awaitWaitingForItsTarget("impatient", topic, "lock");
            holder.commit();
        }
        awaitAppliedOnceBack("impatient", topic);
        assertThat(rows("locked_rows")).isEqualTo(Map.of(1, "a", 2, "b"));
    }

    @Test
    void aWebhookRefusingTheCredentialsOrGoneIsAnOutageAndTheWindowWaits() {
        String topic = "agg-it.webhook-outage";
        receiverStatus.set(401);
        try {
            assertThat(call(app, "POST", "/consumer/start", consumerBody("hook-outage", topic, "hook", 1, 3600, "webhook")).status()).isEqualTo(201);
            TopicWriter.write(topic, List.of(event("src", "people", "c", 7, "a", 100)));
            awaitWaitingForItsTarget("hook-outage", topic, "HTTP 401");
            for (int status : new int[] {403, 404}) {
                receiverStatus.set(status);
                await().atMost(Duration.ofSeconds(30)).until(() -> runs(app, "hook-outage").get(0).path("error").asText().contains("HTTP " + status));
                assertThat(runs(app, "hook-outage").get(0).path("status").asText()).isEqualTo("retrying");
            }
        } finally {
            receiverStatus.set(200);
        }
        awaitAppliedOnceBack("hook-outage", topic);
        assertThat(received.stream().filter(r -> r.path("consumer_id").asText().equals("hook-outage"))).hasSize(1);
    }

    @Test
    void clickHouseAuthenticationFailuresAndMissingTablesAreOutages() {
        ClickHouseServer clickHouse = ClickHouseServer.shared();
        // a wrong password (ClickHouse code 193; 516 on current versions): retried, never dead-lettered
        clickHouse.query("CREATE TABLE agg_ch.ch_auth_rows (id Int32, name Nullable(String), _version UInt64, _is_deleted UInt8)"
                + " ENGINE = ReplacingMergeTree(_version) ORDER BY id");
        String authTopic = "agg-it.ch-auth";
        assertThat(call(app, "POST", "/consumer/start", consumerBody("ch-auth", authTopic, "ch-wrong-password", 1, 3600, "sync")).status()).isEqualTo(201);
        TopicWriter.write(authTopic, List.of(event("src", "ch_auth_rows", "c", 1, "a", 100)));
        awaitWaitingForItsTarget("ch-auth", authTopic, "code 193");
        assertThat(call(app, "POST", "/consumer/stop?consumer_id=ch-auth", null).status()).isEqualTo(200);

        // a missing table (code 60): the window waits until it is there
        String topic = "agg-it.ch-late";
        assertThat(call(app, "POST", "/consumer/start", consumerBody("ch-late", topic, "ch", 2, 3600, "sync")).status()).isEqualTo(201);
        TopicWriter.write(topic, List.of(event("src", "ch_late_rows", "c", 1, "a", 100), event("src", "ch_late_rows", "c", 2, "b", 101)));
        awaitWaitingForItsTarget("ch-late", topic, "code 60");
        clickHouse.query("CREATE TABLE agg_ch.ch_late_rows (id Int32, name Nullable(String), _version UInt64, _is_deleted UInt8)"
                + " ENGINE = ReplacingMergeTree(_version) ORDER BY id");
        awaitAppliedOnceBack("ch-late", topic);
        assertThat(clickHouse.rows("SELECT id FROM agg_ch.ch_late_rows FINAL ORDER BY id")).hasSize(2);
    }

    @Test
    void aRunThatLostItsLockCannotWriteAnOlderWindowOverANewerOne() throws Exception {
        createTargetTable("fenced_rows");
        PostgresServer pg = PostgresServer.shared();
        pg.execute(AggregationTestSupport.TARGET_DB, "INSERT INTO fenced_rows VALUES (1, 'base')");
        String topic = "agg-it.fenced";
        var redis = app.getBean(org.springframework.data.redis.core.StringRedisTemplate.class);
        String lockKey = "cdc-hub:aggregation:{fenced}:lock";
        // two runs racing: run A (the app's) stalls in its write for longer than its lease; run B (this test, standing in
        // for the run on another instance) takes the lock over and writes the newer value; then A wakes up
        try (var runB = pg.dataSource(AggregationTestSupport.TARGET_DB).getConnection()) {
            runB.setAutoCommit(false);
            try (var st = runB.createStatement()) {
                st.execute("UPDATE fenced_rows SET name = 'newer' WHERE id = 1"); // holds the row: A's write waits for it
            }
            assertThat(call(app, "POST", "/consumer/start", consumerBody("fenced", topic, "target", 1, 3600, "sync")).status()).isEqualTo(201);
            TopicWriter.write(topic, List.of(event("src", "fenced_rows", "u", 1, "older", 100)));
            await().atMost(Duration.ofSeconds(30)).until(() -> waitingForALock(AggregationTestSupport.TARGET_DB));
            // A's lease runs out and B takes the lock (what a pause longer than the lease gives), B commits its write
            redis.opsForValue().set(lockKey, "run-b", Duration.ofSeconds(60));
            runB.commit();
        }
        try {
            // A's write goes on once the row is free, but must not commit over B's
            await().atMost(Duration.ofSeconds(30)).until(() -> runs(app, "fenced").stream().anyMatch(r -> r.path("error").asText().contains("lost its run lock")));
            assertThat(rows("fenced_rows")).isEqualTo(Map.of(1, "newer"));
            assertThat(call(app, "GET", "/consumer/info/fenced", null).body().path("pending_windows").asInt()).isEqualTo(1);
            assertThat(deadLetters(topic)).isEmpty();
        } finally {
            redis.delete(lockKey);
        }
        // the window is left to the lock's next holder (B would have applied it before its own newer window; here the app
        // takes the lock again and applies it)
        await().atMost(Duration.ofSeconds(30)).until(() -> runs(app, "fenced").get(0).path("status").asText().equals("ok"));
        assertThat(deadLetters(topic)).isEmpty();
    }

    /** Whether a session of the database waits for a (row or table) lock. */
    private static boolean waitingForALock(String database) throws java.sql.SQLException {
        try (var c = PostgresServer.shared().dataSource("postgres").getConnection();
             var st = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE datname = ? AND wait_event_type = 'Lock'")) {
            st.setString(1, database);
            try (var rs = st.executeQuery()) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        }
    }

    @Test
    void aTopicDeletedAndMadeAgainIsAggregatedFromItsStart() throws Exception {
        createTargetTable("reborn_rows");
        String topic = "agg-it.reborn";
        AggregationTestSupport.createTopic(topic, 1);
        assertThat(call(app, "POST", "/consumer/start", consumerBody("reborn", topic, "target", 3, 3600, "sync")).status()).isEqualTo(201);
        TopicWriter.write(topic, List.of(event("src", "reborn_rows", "c", 1, "a", 100), event("src", "reborn_rows", "c", 2, "b", 101),
                event("src", "reborn_rows", "c", 3, "c", 102)));
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("reborn_rows").size() == 3);

        // the topic is deleted and made again while the consumer is stopped (the consumer's offsets in Redis stay: 0..2)
        assertThat(call(app, "POST", "/consumer/stop?consumer_id=reborn", null).status()).isEqualTo(200);
        java.util.Properties props = new java.util.Properties();
        props.put("bootstrap.servers", io.cdchub.testinfra.KafkaServer.shared().bootstrapServers());
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(props)) {
            admin.deleteTopics(List.of(topic)).all().get();
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 1, (short) 1))).all().get();
                return true;
            });
        }
        TopicWriter.write(topic, List.of(event("src", "reborn_rows", "c", 4, "d", 200), event("src", "reborn_rows", "c", 5, "e", 201),
                event("src", "reborn_rows", "c", 6, "f", 202)));
        assertThat(call(app, "POST", "/consumer/start", consumerBody("reborn", topic, "target", 3, 3600, "sync")).status()).isEqualTo(201);

        // the new topic's records (offsets 0..2 again) are aggregated, not skipped as already seen
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("reborn_rows").size() == 6);
        assertThat(rows("reborn_rows")).containsOnlyKeys(1, 2, 3, 4, 5, 6);
    }

    @Test
    void aWindowIsOneTransactionAcrossItsCamelSqlStatements() {
        createTargetTable("tx_first");
        PostgresServer.shared().execute(AggregationTestSupport.TARGET_DB,
                "CREATE TABLE tx_second (id int PRIMARY KEY, name text CHECK (name IS NULL OR name <> 'bad'))");
        JdbcTargets targets = app.getBean(JdbcTargets.class);
        RowChange first = new RowChange("src", "tx_first", false, Map.of("id", 1), AggregationTestSupport.map("id", 1, "name", "a"), "100");
        RowChange refused = new RowChange("src", "tx_second", false, Map.of("id", 1), AggregationTestSupport.map("id", 1, "name", "bad"), "101");

        // the first statement (tx_first) runs, the second is refused: the whole window is rolled back
        assertThatThrownBy(() -> targets.apply("target", List.of(first, refused)))
                .isInstanceOf(TargetRefusedException.class).hasMessageContaining("tx_second");
        assertThat(rows("tx_first")).isEmpty();
        assertThat(rows("tx_second")).isEmpty();

        // both applied once both are accepted; a value with a comma and a null each stay one bound value
        targets.apply("target", List.of(first,
                new RowChange("src", "tx_second", false, Map.of("id", 2), AggregationTestSupport.map("id", 2, "name", "x, y"), "102"),
                new RowChange("src", "tx_second", false, Map.of("id", 3), AggregationTestSupport.map("id", 3, "name", null), "103")));
        assertThat(rows("tx_first")).containsExactly(Map.entry(1, "a"));
        assertThat(rows("tx_second")).containsOnlyKeys(2, 3).containsEntry(2, "x, y").containsEntry(3, null);
    }

    @Test
    void recordsThatAreNotChangeEventsAreDeadLettered() {
        String topic = "agg-it.poison";
        createTargetTable("poison_rows");
        assertThat(call(app, "POST", "/consumer/start", consumerBody("poison", topic, "target", 2, 3600, "sync")).status()).isEqualTo(201);
        TopicWriter.write(topic, List.of(TopicWriter.Out.json("{\"id\":9}", "not json"), event("src", "poison_rows", "c", 1, "a", 100),
                TopicWriter.Out.json(null, "{\"op\":\"c\"}"), event("src", "poison_rows", "c", 2, "b", 101)));
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("poison_rows").size() == 2);
        TopicReader.await(DLQ, events -> events.stream().filter(e -> topic.equals(e.headers().get("cdc.dlq.original-topic"))).count() == 2);
    }

    @Test
    void clickHouseTargetsGetTheLatestVersionOfEachKey() {
        ClickHouseServer clickHouse = ClickHouseServer.shared();
        clickHouse.query("CREATE TABLE agg_ch.ch_rows (id Int32, name Nullable(String), _version UInt64, _is_deleted UInt8)"
                + " ENGINE = ReplacingMergeTree(_version) ORDER BY id");
        String topic = "agg-it.clickhouse";
        assertThat(call(app, "POST", "/consumer/start", consumerBody("clickhouse", topic, "ch", 4, 3600, "sync")).status()).isEqualTo(201);
        TopicWriter.write(topic, List.of(
                event("src", "ch_rows", "c", 1, "a", 100),
                event("src", "ch_rows", "c", 2, "b", 101),
                event("src", "ch_rows", "u", 1, "a2", 102),
                event("src", "ch_rows", "d", 2, null, 103)));

        await().atMost(Duration.ofSeconds(30)).until(() -> runs(app, "clickhouse").stream().anyMatch(r -> r.path("status").asText().equals("ok")));
        List<JsonNode> rows = clickHouse.rows("SELECT id, name, _version, _is_deleted FROM agg_ch.ch_rows FINAL ORDER BY id");
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).path("name").asText()).isEqualTo("a2");
        assertThat(rows.get(0).path("_version").asLong()).isEqualTo(102);
        assertThat(rows.get(0).path("_is_deleted").asInt()).isZero();
        assertThat(rows.get(1).path("id").asInt()).isEqualTo(2);
        assertThat(rows.get(1).path("_is_deleted").asInt()).isEqualTo(1);
    }

    @Test
    void targetTablesCanBeMapped() {
        PostgresServer.shared().execute(AggregationTestSupport.TARGET_DB, "CREATE TABLE orders_copy (id int PRIMARY KEY, name text)");
        String topic = "agg-it.mapped";
        assertThat(call(app, "POST", "/consumer/start", consumerBody("mapped", topic, "mapped", 1, 3600, "sync")).status()).isEqualTo(201);
        TopicWriter.write(topic, List.of(event("src", "orders", "c", 7, "seven", 100)));
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("orders_copy").size() == 1);
    }

    @Test
    void theIssuesRequestBodyWorksVerbatim() throws Exception {
        // the management API's test publishes its own person12 changes to this topic (the issue's bodies name the same
        // topic): start from an empty one, so the consumer's window holds this test's ten events only
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(Map.of(
                "bootstrap.servers", io.cdchub.testinfra.KafkaServer.shared().bootstrapServers()))) {
            if (admin.listTopics().names().get().contains("db.public.person12")) {
                admin.deleteTopics(List.of("db.public.person12")).all().get();
                await().atMost(Duration.ofSeconds(30)).until(() -> !admin.listTopics().names().get().contains("db.public.person12"));
            }
        }
        createTargetTable("person12");
        String body = """
                {"consumer_id": "1", "kafka_topic": "db.public.person12", "pipeline_name": "first pipeline", "connection_id": "string", "max_event": 10, "max_time": 3600, "job_type": "sync", "auto_offset_reset": "earliest"}""";
        Response started = call(app, "POST", "/consumer/start", body);
        assertThat(started.status()).isEqualTo(201);
        assertThat(started.body().path("consumer_id").asText()).isEqualTo("1");
        assertThat(call(app, "POST", "/consumer/start", body).status()).isEqualTo(409);

        List<TopicWriter.Out> events = new java.util.ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            events.add(event("public", "person12", "c", i, "person " + i, 1000 + i));
        }
        TopicWriter.write("db.public.person12", events);
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("person12").size() == 10);
        assertThat(runs(app, "1")).hasSize(1);

        Response stopped = call(app, "POST", "/consumer/stop?consumer_id=1", null);
        assertThat(stopped.status()).isEqualTo(200);
        assertThat(call(app, "GET", "/consumer/info/1", null).status()).isEqualTo(404);
    }

    @Test
    void everyConsumerEndpointAnswersItsCodes() {
        String ok = consumerBody("api", "agg-it.api", "target", 5, 60, "sync");
        assertThat(call(app, "POST", "/consumer/start", ok).status()).isEqualTo(201);
        assertThat(call(app, "POST", "/consumer/start", ok).status()).isEqualTo(409);

        assertBad(consumerBody("bad id!", "t", "target", 5, 60, "sync"), 400, "consumer_id");
        assertBad(consumerBody("b1", "bad topic", "target", 5, 60, "sync"), 400, "kafka_topic");
        assertBad(consumerBody("b1", "t", "target", 0, 60, "sync"), 400, "max_event");
        assertBad(consumerBody("b1", "t", "target", 5, -1, "sync"), 400, "max_time");
        assertBad(consumerBody("b1", "t", "target", 5, 60, "ftp"), 400, "job_type");
        assertBad(consumerBody("b1", "t", "nowhere", 5, 60, "sync"), 422, "connection_id");
        assertBad(consumerBody("b1", "t", "hook", 5, 60, "sync"), 422, "connection_id");
        assertBad(consumerBody("b1", "t", "target", 5, 60, "webhook"), 422, "connection_id");
        assertBad(ok.replace("\"max_event\": 5", "\"max_event\": \"five\""), 400, "max_event");
        assertBad(ok.replace("\"max_event\": 5", "\"max_event\": 5.5"), 400, "max_event");
        assertBad(ok.replace("\"earliest\"", "\"sometime\""), 400, "auto_offset_reset");
        assertBad(ok.replace("\"consumer_id\": \"api\",", "\"consumer_id\": \"b2\", \"extra\": 1,"), 400, "extra");
        assertBad(ok.replace("\"pipeline_name\": \"pipeline api\",", ""), 400, "pipeline_name");
        assertBad("[1,2]", 400, null);
        assertBad("{not json", 400, null);

        Response list = call(app, "GET", "/consumer/list", null);
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body().path("consumers").findValuesAsText("consumer_id")).contains("api");

        Response info = call(app, "GET", "/consumer/info/api", null);
        assertThat(info.status()).isEqualTo(200);
        assertThat(info.body().path("max_event").asInt()).isEqualTo(5);
        assertThat(info.body().path("group_id").asText()).isEqualTo("cdc-hub-consumer-api");
        assertThat(info.body().path("window").has("events")).isTrue();
        assertThat(info.body().path("window").has("age_seconds")).isTrue();
        assertThat(info.body().path("runs").isArray()).isTrue();
        assertThat(call(app, "GET", "/consumer/info/nobody", null).status()).isEqualTo(404);
        assertThat(call(app, "GET", "/consumer/info/bad!id", null).status()).isEqualTo(400);

        assertThat(call(app, "POST", "/consumer/stop?consumer_id=api", null).status()).isEqualTo(200);
        assertThat(call(app, "POST", "/consumer/stop?consumer_id=api", null).status()).isEqualTo(404);
        assertThat(call(app, "POST", "/consumer/stop", null).status()).isEqualTo(400);
        assertThat(call(app, "POST", "/consumer/stop?consumer_id=bad!id", null).status()).isEqualTo(400);
        assertThat(call(app, "GET", "/consumer/list", null).body().path("consumers").findValuesAsText("consumer_id")).doesNotContain("api");
        await().atMost(Duration.ofSeconds(10)).until(() -> app.getBean(org.apache.camel.CamelContext.class).getRoute("aggregation-consumer-api") == null);
    }

    private static String prometheus() {
        try {
            var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + AggregationTestSupport.port(app) + "/actuator/prometheus"))
                    .header("Authorization", "Bearer " + AggregationTestSupport.TOKEN).build();
            return java.net.http.HttpClient.newHttpClient().send(request, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void assertBad(String body, int status, String field) {
        Response response = call(app, "POST", "/consumer/start", body);
        assertThat(response.status()).as(body).isEqualTo(status);
        assertThat(response.body().path("status").asInt()).isEqualTo(status);
        assertThat(response.body().path("message").asText()).isNotBlank();
        if (field != null) {
            assertThat(response.body().path("field").asText()).as(body).isEqualTo(field);
        }
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
