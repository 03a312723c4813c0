package io.cdchub.aggregation;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.testinfra.KafkaServer;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.RedisServer;
import io.cdchub.testinfra.TopicWriter;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.context.ConfigurableApplicationContext;

/** Shared pieces of the aggregation integration tests: app settings, change events, the API, the target database. */
final class AggregationTestSupport {

    /** The admin token every test app gets from RealServers.settings(). */
    static final String TOKEN = RealServers.ADMIN_TOKEN;
    static final String TARGET_DB = "agg_target";
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private AggregationTestSupport() {
    }

    /** Settings of an app that runs consumers only (no source), with Redis, the admin token and fast retries. */
    static Map<String, String> appSettings(String dlqTopic) {
        PostgresServer.shared().createDatabase(TARGET_DB);
        Map<String, String> settings = RealServers.settings();
        settings.putAll(RedisServer.shared().settings());
        settings.put("cdc.source.enabled", "false");
        settings.put("cdc.dlq.topic", dlqTopic);
        settings.put("cdc.aggregation.sync-interval", "300ms");
        settings.put("cdc.aggregation.check-interval", "200ms");
        settings.put("cdc.aggregation.lock-lease", "5s");
        settings.put("cdc.aggregation.retry.initial-delay-ms", "100");
        settings.put("cdc.aggregation.retry.max-delay-ms", "1000");
        settings.put("cdc.connections.target.url", PostgresServer.shared().jdbcUrl(TARGET_DB));
        settings.put("cdc.connections.target.username", PostgresServer.USER);
        // the request body names connection "string": configured here so it can be sent verbatim
        settings.put("cdc.connections.string.url", PostgresServer.shared().jdbcUrl(TARGET_DB));
        settings.put("cdc.connections.string.username", PostgresServer.USER);
        return settings;
    }

    static int port(ConfigurableApplicationContext app) {
        return Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
    }

    record Response(int status, JsonNode body) {
    }

    static Response call(ConfigurableApplicationContext app, String method, String path, String body) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port(app) + path))
                    .header("Authorization", "Bearer " + TOKEN);
            if (body != null) {
                request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
            } else {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = response.body() == null || response.body().isBlank() ? null : JSON.readTree(response.body());
            return new Response(response.statusCode(), json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String consumerBody(String id, String topic, String connection, int maxEvent, int maxTime, String jobType) {
        return """
                {"consumer_id": "%s", "kafka_topic": "%s", "pipeline_name": "pipeline %s", "connection_id": "%s",
                 "max_event": %d, "max_time": %d, "job_type": "%s", "auto_offset_reset": "earliest"}""".formatted(
                id, topic, id, connection, maxEvent, maxTime, jobType);
    }

    /** A Debezium envelope of table schema.table with columns id and name. */
    static String change(String schema, String table, String op, int id, String name, long lsn) {
        String row = name == null ? "null" : "{\"id\":" + id + ",\"name\":\"" + name + "\"}";
        String before = "d".equals(op) ? "{\"id\":" + id + ",\"name\":null}" : "null";
        String after = "d".equals(op) ? "null" : row;
        return """
                {"before":%s,"after":%s,"source":{"version":"3.4.0.Final","connector":"postgresql","name":"cdc","ts_ms":1,
                "snapshot":"false","db":"src","schema":"%s","table":"%s","txId":1,"lsn":%d},"transaction":null,"op":"%s","ts_ms":1}"""
                .formatted(before, after, schema, table, lsn, op);
    }

    static TopicWriter.Out event(String schema, String table, String op, int id, String name, long lsn) {
        return TopicWriter.Out.json("{\"id\":" + id + "}", change(schema, table, op, id, name, lsn));
    }

    static TopicWriter.Out tombstone(int id) {
        return TopicWriter.Out.json("{\"id\":" + id + "}", null);
    }

    static void createTopic(String topic, int partitions) {
        Properties props = new Properties();
        props.put("bootstrap.servers", KafkaServer.shared().bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void createTargetTable(String table) {
        PostgresServer.shared().createDatabase(TARGET_DB);
        PostgresServer.shared().execute(TARGET_DB, "CREATE TABLE " + table + " (id int PRIMARY KEY, name text)");
    }

    /** id to name of a target table's rows. */
    static Map<Integer, String> rows(String table) {
        Map<Integer, String> rows = new TreeMap<>();
        try (Connection c = PostgresServer.shared().dataSource(TARGET_DB).getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, name FROM " + table)) {
            while (rs.next()) {
                rows.put(rs.getInt(1), rs.getString(2));
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        return rows;
    }

    static List<JsonNode> runs(ConfigurableApplicationContext app, String consumerId) {
        Response info = call(app, "GET", "/consumer/info/" + consumerId, null);
        List<JsonNode> runs = new ArrayList<>();
        if (info.status() == 200) {
            info.body().path("runs").forEach(runs::add);
        }
        return runs;
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
