package io.cdchub.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.embedded.EmbeddedKafkaServer;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.KafkaServer;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The actuator endpoints of a running source: health with the replication slot and Kafka, the liveness and
 * readiness groups (Kafka down makes the app not ready but keeps it alive), and the Prometheus metrics
 * (slot lag, in-flight changes, Camel's per-route counters, dead letters) with real values after traffic.
 */
class HealthAndMetricsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void healthGroupsAndMetricsFollowTheServers() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        Map<String, String> settings = RealServers.sourceSettings("health", "CREATE TABLE health.items (id int PRIMARY KEY, name text)");
        settings.put("cdc.health.slot-lag-interval", "500ms");
        settings.put("cdc.health.timeout", "2s");
        EmbeddedKafkaServer kafka = KafkaServer.shared();

        try (ConfigurableApplicationContext app = InProcessApp.start(settings)) {
            String base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
            pg.execute(RealServers.DATABASE, "INSERT INTO health.items SELECT g, 'item ' || g FROM generate_series(1, 20) g");
            TopicReader.awaitCount("health.health.items", 20);

            // the slot becomes active once Debezium streams from it
            JsonNode health = Awaitility.await("health UP").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> json(get(base + "/actuator/health")), h -> "UP".equals(h.path("status").asText()));
            System.out.println("HEALTH " + health.toPrettyString());
            JsonNode slot = health.path("components").path("replicationSlot");
            assertThat(slot.path("status").asText()).isEqualTo("UP");
            assertThat(slot.path("details").path("slot").asText()).isEqualTo("it_health");
            assertThat(slot.path("details").path("active").asBoolean()).isTrue();
            assertThat(slot.path("details").path("activePid").asInt()).isPositive();
            assertThat(slot.path("details").path("lagBytes").asLong()).isBetween(0L, 1L << 30);
            JsonNode kafkaHealth = health.path("components").path("kafka");
            assertThat(kafkaHealth.path("status").asText()).isEqualTo("UP");
            assertThat(kafkaHealth.path("details").path("clusterId").asText()).isNotBlank();
            assertThat(kafkaHealth.path("details").path("nodes").asInt()).isEqualTo(1);

            HttpResponse<String> readiness = get(base + "/actuator/health/readiness");
            System.out.println("READINESS " + readiness.body());
            assertThat(readiness.statusCode()).isEqualTo(200);
            assertThat(json(readiness).path("components").fieldNames()).toIterable().contains("kafka", "replicationSlot");
            HttpResponse<String> liveness = get(base + "/actuator/health/liveness");
            System.out.println("LIVENESS " + liveness.body());
            assertThat(liveness.statusCode()).isEqualTo(200);
            assertThat(json(liveness).path("components").fieldNames()).toIterable().doesNotContain("kafka", "replicationSlot");

            String metrics = Awaitility.await("metrics with values").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> get(base + "/actuator/prometheus").body(),
                            text -> value(text, "cdc_source_slot_lag_bytes", "slot=\"it_health\"").orElse(-1) >= 0
                                    && value(text, "camel_exchanges_total", "routeId=\"postgres-to-kafka\"").orElse(0) > 0);
            System.out.println("PROMETHEUS " + metrics);
            assertThat(value(metrics, "cdc_source_publish_in_flight", "source=\"it-health\"")).isPresent();
            assertThat(value(metrics, "camel_exchanges_total", "routeId=\"postgres-to-kafka\"").orElse(0)).isPositive();

            // Debezium's own MBeans, as gauges (DebeziumMetrics looks them up every slot-lag-interval)
            String debezium = Awaitility.await("Debezium's metrics").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> get(base + "/actuator/prometheus").body(),
                            text -> value(text, "debezium_streaming_connected", "server=\"health\"").orElse(0) == 1);
            assertThat(value(debezium, "debezium_snapshot_completed", "server=\"health\"")).hasValue(1.0);
            assertThat(value(debezium, "debezium_streaming_queue_remaining_capacity", "server=\"health\"").orElse(-1)).isPositive();
            // the rows inserted right after the start may reach the snapshot or the stream: both count
            debezium.lines().filter(l -> l.startsWith("debezium_")).forEach(l -> System.out.println("DEBEZIUM " + l));
            assertThat(value(debezium, "debezium_streaming_events_seen", "server=\"health\"").orElse(0)).isPositive();
            double scanned = value(debezium, "debezium_snapshot_rows_scanned", "table=\"health.items\"").orElse(-1);
            assertThat(scanned).isBetween(0.0, 20.0);

            // what this instance is: version, commit and capabilities
            JsonNode info = json(get(base + "/actuator/info"));
            System.out.println("INFO " + info.toPrettyString());
            assertThat(info.path("build").path("version").asText()).isEqualTo("0.1.0-SNAPSHOT");
            assertThat(info.path("git").path("commit").path("id").asText()).isNotBlank();
            assertThat(info.path("capabilities").path("source").asBoolean()).isTrue();
            assertThat(info.path("capabilities").path("sinks").isArray()).isTrue();

            // a dead letter (as the error handler hands it over) is counted for the route that failed it
            Exchange letter = app.getBean(CamelContext.class).createProducerTemplate().send("direct:dead-letter", exchange -> {
                exchange.setProperty(Exchange.FAILURE_ROUTE_ID, "postgres-to-kafka");
                exchange.setProperty(Exchange.EXCEPTION_CAUGHT, new IllegalStateException("poison for the health test"));
                exchange.getMessage().setBody("{\"poison\":true}".getBytes(StandardCharsets.UTF_8));
            });
            assertThat(letter.getException()).isNull();
            assertThat(TopicReader.awaitCount("health.dlq", 1)).hasSize(1);
            assertThat(value(get(base + "/actuator/prometheus").body(), "cdc_dlq_records_total", "route=\"postgres-to-kafka\"")).hasValue(1.0);

            kafka.stop();
            try {
                HttpResponse<String> notReady = Awaitility.await("not ready without Kafka").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(500)).until(() -> get(base + "/actuator/health/readiness"), r -> r.statusCode() == 503);
                System.out.println("NOT READY " + notReady.body());
                assertThat(json(notReady).path("components").path("kafka").path("status").asText()).isEqualTo("DOWN");
                HttpResponse<String> stillAlive = get(base + "/actuator/health/liveness");
                assertThat(stillAlive.statusCode()).as(stillAlive.body()).isEqualTo(200);
                assertThat(json(stillAlive).path("status").asText()).isEqualTo("UP");
            } finally {
                kafka.start();
            }
            Awaitility.await("ready again with Kafka").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> get(base + "/actuator/health/readiness").statusCode() == 200);
            assertThat(get(base + "/actuator/health/liveness").statusCode()).isEqualTo(200);
        } finally {
            kafka.start();
        }
    }

    /** As the admin: health shows its components and details only to an authenticated caller. */
    private HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                        .header("Authorization", "Bearer " + RealServers.ADMIN_TOKEN).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    /** The value of the first sample of {@code metric} whose labels contain {@code label}, in Prometheus text format. */
    static OptionalDouble value(String text, String metric, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(metric) + "\\{([^}]*)\\} (\\S+)").matcher(text);
        while (m.find()) {
            if (m.group(1).contains(label)) {
                return OptionalDouble.of(Double.parseDouble(m.group(2)));
            }
        }
        return OptionalDouble.empty();
    }
}
