package io.cdchub.aggregation;

import static io.cdchub.aggregation.AggregationTestSupport.call;
import static io.cdchub.aggregation.AggregationTestSupport.change;
import static io.cdchub.aggregation.AggregationTestSupport.consumerBody;
import static io.cdchub.aggregation.AggregationTestSupport.createTargetTable;
import static io.cdchub.aggregation.AggregationTestSupport.event;
import static io.cdchub.aggregation.AggregationTestSupport.rows;
import static io.cdchub.aggregation.AggregationTestSupport.runs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.KafkaServer;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RedisServer;
import io.cdchub.testinfra.TopicWriter;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Aggregation across instances and outages: an instance restarted in the middle of a window, two instances sharing
 * one consumer, Redis going away and coming back, and an instance without any Redis. The tests run in order and
 * share the instances they start.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AggregationClusterIT {

    private static final String DLQ = "agg-cluster.dlq";
    private static ConfigurableApplicationContext first;
    private static ConfigurableApplicationContext second;

    @AfterAll
    static void stop() {
        RedisServer.shared().start();
        for (ConfigurableApplicationContext app : new ConfigurableApplicationContext[] {first, second}) {
            if (app != null && app.isActive()) {
                app.close();
            }
        }
    }

    private static ConfigurableApplicationContext startApp() {
        Map<String, String> settings = AggregationTestSupport.appSettings(DLQ);
        settings.put("cdc.connections.recover.url", PostgresServer.shared().jdbcUrl("agg_recover"));
        settings.put("cdc.connections.recover.username", PostgresServer.USER);
        return InProcessApp.start(settings);
    }

    @Test
    @Order(1)
    void aRestartInTheMiddleOfAWindowLosesNothingAndRunsItOnce() {
        createTargetTable("restart_rows");
        String topic = "agg-cluster.restart";
        first = startApp();
        assertThat(call(first, "POST", "/consumer/start", consumerBody("restart", topic, "target", 6, 3600, "sync")).status()).isEqualTo(201);
        TopicWriter.write(topic, List.of(event("src", "restart_rows", "c", 1, "a", 100), event("src", "restart_rows", "c", 2, "b", 101),
                event("src", "restart_rows", "c", 3, "c", 102)));
        await().atMost(Duration.ofSeconds(30)).until(() -> call(first, "GET", "/consumer/info/restart", null).body().path("window").path("events").asInt() == 3);

        first.close();
        TopicWriter.write(topic, List.of(event("src", "restart_rows", "c", 4, "d", 103), event("src", "restart_rows", "u", 1, "a2", 104),
                event("src", "restart_rows", "c", 5, "e", 105)));
        second = startApp(); // re-creates the consumer from its definition in Redis

        await().atMost(Duration.ofSeconds(60)).until(() -> rows("restart_rows").size() == 5);
        assertThat(rows("restart_rows")).isEqualTo(Map.of(1, "a2", 2, "b", 3, "c", 4, "d", 5, "e"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !runs(second, "restart").isEmpty());
        List<JsonNode> runs = runs(second, "restart");
        assertThat(runs).hasSize(1);
        assertThat(runs.get(0).path("events").asInt()).isEqualTo(6);
        assertThat(runs.get(0).path("status").asText()).isEqualTo("ok");
    }

    @Test
    @Order(2)
    void aCompletedWindowWaitingForItsTargetIsRunAfterARestart() {
        PostgresServer pg = PostgresServer.shared();
        pg.createDatabase("agg_recover");
        pg.execute("agg_recover", "CREATE TABLE recover_rows (id int PRIMARY KEY, name text)");
        pg.takeAway("agg_recover");
        String topic = "agg-cluster.recover";
        assertThat(call(second, "POST", "/consumer/start", consumerBody("recover", topic, "recover", 2, 3600, "sync")).status()).isEqualTo(201);
        TopicWriter.write(topic, List.of(event("src", "recover_rows", "c", 1, "a", 100), event("src", "recover_rows", "c", 2, "b", 101)));
        await().atMost(Duration.ofSeconds(30)).until(() -> runs(second, "recover").stream().anyMatch(r -> r.path("status").asText().equals("retrying")));

        second.close(); // the completed window stays in Redis, waiting for its run
        pg.bringBack("agg_recover");
        first = startApp();

        await().atMost(Duration.ofSeconds(60)).until(() -> runs(first, "recover").stream().anyMatch(r -> r.path("status").asText().equals("ok")));
        List<JsonNode> runs = runs(first, "recover");
        assertThat(runs).hasSize(1);
        assertThat(runs.get(0).path("events").asInt()).isEqualTo(2);
        assertThat(call(first, "GET", "/consumer/info/recover", null).body().path("pending_windows").asInt()).isZero();
        try (var c = pg.dataSource("agg_recover").getConnection(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM recover_rows")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(2);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @Order(3)
    void twoInstancesShareAConsumerAndRunEachWindowOnce() {
        createTargetTable("shared_rows");
        String topic = "agg-cluster.shared";
        AggregationTestSupport.createTopic(topic, 2);
        second = startApp();
        assertThat(call(first, "POST", "/consumer/start", consumerBody("shared", topic, "target", 10, 5, "sync")).status()).isEqualTo(201);
        // the other instance picks the definition up from Redis
        await().atMost(Duration.ofSeconds(30)).until(() -> call(second, "GET", "/consumer/info/shared", null).body().path("running_here").asBoolean());

        int total = 60;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", KafkaServer.shared().bootstrapServers(),
                "acks", "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int id = 1; id <= total; id++) {
                producer.send(new ProducerRecord<>(topic, id % 2, ("{\"id\":" + id + "}").getBytes(StandardCharsets.UTF_8),
                        change("src", "shared_rows", "c", id, "row " + id, 1000 + id).getBytes(StandardCharsets.UTF_8)));
            }
        }

        await().atMost(Duration.ofSeconds(60)).until(() -> rows("shared_rows").size() == total);
        await().atMost(Duration.ofSeconds(30)).until(() -> runs(first, "shared").stream().mapToInt(r -> r.path("events").asInt()).sum() == total);
        List<JsonNode> runs = runs(first, "shared");
        Set<String> windows = new HashSet<>();
        runs.forEach(r -> windows.add(r.path("window_id").asText()));
        assertThat(windows).as("one run per window").hasSize(runs.size());
        assertThat(runs).allSatisfy(r -> assertThat(r.path("status").asText()).isEqualTo("ok"));
        assertThat(runs).allSatisfy(r -> assertThat(r.path("events").asInt()).isBetween(1, 10));
        assertThat(call(first, "GET", "/consumer/info/shared", null).body().path("running_here").asBoolean()).isTrue();
        assertThat(call(second, "GET", "/consumer/info/shared", null).body().path("running_here").asBoolean()).isTrue();
    }

    @Test
    @Order(4)
    void whileRedisIsAwayNothingIsCommittedAndNothingLost() {
        createTargetTable("outage_rows");
        String topic = "agg-cluster.outage";
        assertThat(call(first, "POST", "/consumer/start", consumerBody("outage", topic, "target", 4, 3600, "sync")).status()).isEqualTo(201);
        TopicWriter.write(topic, List.of(event("src", "outage_rows", "c", 1, "a", 100), event("src", "outage_rows", "c", 2, "b", 101)));
        await().atMost(Duration.ofSeconds(30)).until(() -> call(first, "GET", "/consumer/info/outage", null).body().path("window").path("events").asInt() == 2);

        RedisServer redis = RedisServer.shared();
        redis.stop();
        TopicWriter.write(topic, List.of(event("src", "outage_rows", "c", 3, "c", 102), event("src", "outage_rows", "c", 4, "d", 103)));
        assertThat(call(first, "GET", "/consumer/list", null).status()).isEqualTo(503);
        await().atMost(Duration.ofSeconds(20)).until(() -> call(first, "GET", "/actuator/health/readiness", null).status() == 503);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> rows("outage_rows").isEmpty());

        redis.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> rows("outage_rows").size() == 4);
        await().atMost(Duration.ofSeconds(10)).until(() -> !runs(first, "outage").isEmpty());
        List<JsonNode> runs = runs(first, "outage");
        assertThat(runs).hasSize(1);
        assertThat(runs.get(0).path("events").asInt()).isEqualTo(4);
        await().atMost(Duration.ofSeconds(20)).until(() -> call(first, "GET", "/actuator/health/readiness", null).status() == 200);
    }

    @Test
    @Order(5)
    void anInstanceWithoutRedisStartsAndIsReady() throws Exception {
        for (ConfigurableApplicationContext app : new ConfigurableApplicationContext[] {first, second}) {
            if (app != null) {
                app.close();
            }
        }
        Map<String, String> settings = AggregationTestSupport.appSettings(DLQ);
        int closed;
        try (var socket = new java.net.ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        settings.put("spring.data.redis.port", String.valueOf(closed));
        first = InProcessApp.start(settings);
        assertThat(call(first, "GET", "/actuator/health/readiness", null).status()).isEqualTo(200);
        assertThat(call(first, "GET", "/actuator/health", null).status()).isEqualTo(200);
        AggregationTestSupport.Response list = call(first, "GET", "/consumer/list", null);
        assertThat(list.status()).isEqualTo(503);
        assertThat(list.body().path("message").asText()).contains("Redis");
    }
}
