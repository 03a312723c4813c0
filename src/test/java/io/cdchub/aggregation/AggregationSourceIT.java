package io.cdchub.aggregation;

import static io.cdchub.aggregation.AggregationTestSupport.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.RedisServer;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * End to end: PostgreSQL changes captured by cdc-hub's own source, aggregated by a consumer defined with the issue's
 * request shape, synced into a second PostgreSQL database with the usual column types.
 */
class AggregationSourceIT {

    private static final String COLUMNS = "(id int PRIMARY KEY, name text, price numeric(12,2), seen timestamptz, active boolean,"
            + " doc jsonb, ref uuid, day date, tags text[], scores numeric(6,2)[], docs jsonb)";

    @Test
    void capturedChangesAreSyncedToASecondDatabase() throws Exception {
        Map<String, String> settings = RealServers.sourceSettings("aggsrc", "CREATE TABLE aggsrc.items " + COLUMNS);
        Map<String, String> app = AggregationTestSupport.appSettings("aggsrc.dlq");
        app.remove("cdc.source.enabled");
        app.putAll(settings);
        app.put("cdc.source.heartbeat.interval", "0");
        PostgresServer pg = PostgresServer.shared();
        pg.execute(AggregationTestSupport.TARGET_DB, "CREATE TABLE items " + COLUMNS);
        ConfigurableApplicationContext context = InProcessApp.start(app);
        try {
            String body = """
                    {"consumer_id": "e2e", "kafka_topic": "aggsrc.aggsrc.items", "pipeline_name": "first pipeline", "connection_id": "string", "max_event": 4, "max_time": 3600, "job_type": "sync", "auto_offset_reset": "earliest"}""";
            assertThat(call(context, "POST", "/consumer/start", body).status()).isEqualTo(201);
            pg.execute(RealServers.DATABASE,
                    "INSERT INTO aggsrc.items VALUES (1, 'one', 10.50, '2026-11-21 10:00:00.123456+00', true, '{\"a\": [1, 2.50]}', "
                            + "'7c9e6679-7425-40de-944b-e07fc1f90ae7', '2024-02-29', ARRAY['a', 'b \"c\" \\\\d', NULL], ARRAY[1.50, -2], '[1, {\"x\": 2}]')",
                    "INSERT INTO aggsrc.items VALUES (2, 'two', 0.01, null, false, null, null, null, null, null, null)",
                    "UPDATE aggsrc.items SET name = 'uno', price = 99999.99 WHERE id = 1",
                    "DELETE FROM aggsrc.items WHERE id = 2");

            await().atMost(Duration.ofSeconds(90)).until(() -> AggregationTestSupport.runs(context, "e2e").stream()
                    .anyMatch(r -> r.path("status").asText().equals("ok")));
            JsonNode run = AggregationTestSupport.runs(context, "e2e").get(0);
            assertThat(run.path("events").asInt()).isEqualTo(4);
            assertThat(run.path("keys").asInt()).isEqualTo(2);
            assertThat(table(AggregationTestSupport.TARGET_DB)).isEqualTo(table(RealServers.DATABASE, "aggsrc.items"))
                    .hasSize(1);
        } finally {
            context.close();
        }
    }

    private static List<String> table(String database) throws Exception {
        return table(database, "items");
    }

    private static List<String> table(String database, String table) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = PostgresServer.shared().dataSource(database).getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, name, price, seen, active, doc, ref, day, tags, scores, docs FROM " + table + " ORDER BY id")) {
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= 11; i++) {
                    row.append(rs.getString(i)).append('|');
                }
                rows.add(row.toString());
            }
        }
        return rows;
    }

    static {
        RedisServer.shared();
    }
}
