package io.cdchub.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.testinfra.ClickHouseServer;
import io.cdchub.testinfra.ElasticsearchServer;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.RealServers;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/** A sink target that stops makes a workers instance not ready, not dead; it is ready again when the target returns. */
class SinkTargetHealthIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void clickHouseDownMakesTheAppNotReadyButAlive() throws Exception {
        ClickHouseServer clickhouse = ClickHouseServer.shared();
        Map<String, String> settings = RealServers.settings();
        settings.put("cdc.source.enabled", "false");
        settings.put("cdc.topic-prefix", "sinkhealth");
        settings.put("cdc.dlq.topic", "sinkhealth.dlq");
        settings.putAll(clickhouse.sinkSettings("sinkhealth-clickhouse"));
        settings.put("cdc.health.timeout", "2s");

        try (ConfigurableApplicationContext app = InProcessApp.start(settings)) {
            String base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
            HttpResponse<String> ready = Awaitility.await("ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> get(base + "/actuator/health/readiness"), r -> r.statusCode() == 200);
            JsonNode components = JSON.readTree(ready.body()).path("components");
            assertThat(components.path("clickhouse").path("status").asText()).isEqualTo("UP");
            assertThat(components.path("clickhouse").path("details").path("url").asText()).isEqualTo(clickhouse.url());
            assertThat(components.fieldNames()).toIterable().contains("kafka").doesNotContain("replicationSlot", "elasticsearch");

            clickhouse.stop();
            try {
                HttpResponse<String> notReady = Awaitility.await("not ready without ClickHouse").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(250)).until(() -> get(base + "/actuator/health/readiness"), r -> r.statusCode() == 503);
                JsonNode down = JSON.readTree(notReady.body()).path("components").path("clickhouse");
                assertThat(down.path("status").asText()).isEqualTo("DOWN");
                assertThat(down.path("details").path("reason").asText()).isNotBlank();
                HttpResponse<String> alive = get(base + "/actuator/health/liveness");
                assertThat(alive.statusCode()).as(alive.body()).isEqualTo(200);
            } finally {
                clickhouse.start();
            }
            Awaitility.await("ready again with ClickHouse").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> get(base + "/actuator/health/readiness").statusCode() == 200);
        } finally {
            clickhouse.start();
        }
    }

    @Test
    void elasticsearchDownMakesTheAppNotReadyButAlive() throws Exception {
        ElasticsearchServer elasticsearch = ElasticsearchServer.shared();
        Map<String, String> settings = RealServers.settings();
        settings.put("cdc.source.enabled", "false");
        settings.put("cdc.topic-prefix", "eshealth");
        settings.put("cdc.dlq.topic", "eshealth.dlq");
        settings.put("cdc.sink.elasticsearch.enabled", "true");
        settings.put("cdc.sink.elasticsearch.url", elasticsearch.url());
        settings.put("cdc.sink.elasticsearch.group-id", "eshealth-elasticsearch");
        settings.put("cdc.health.timeout", "2s");

        try (ConfigurableApplicationContext app = InProcessApp.start(settings)) {
            String base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
            HttpResponse<String> ready = Awaitility.await("ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> get(base + "/actuator/health/readiness"), r -> r.statusCode() == 200);
            JsonNode search = JSON.readTree(ready.body()).path("components").path("elasticsearch");
            assertThat(search.path("status").asText()).isEqualTo("UP");
            assertThat(search.path("details").path("status").asText()).isIn("green", "yellow");
            assertThat(search.path("details").path("nodes").asInt()).isEqualTo(1);

            elasticsearch.stop();
            try {
                HttpResponse<String> notReady = Awaitility.await("not ready without Elasticsearch").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(250)).until(() -> get(base + "/actuator/health/readiness"), r -> r.statusCode() == 503);
                assertThat(JSON.readTree(notReady.body()).path("components").path("elasticsearch").path("status").asText()).isEqualTo("DOWN");
                HttpResponse<String> alive = get(base + "/actuator/health/liveness");
                assertThat(alive.statusCode()).as(alive.body()).isEqualTo(200);
            } finally {
                elasticsearch.start();
            }
            Awaitility.await("ready again with Elasticsearch").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> get(base + "/actuator/health/readiness").statusCode() == 200);
        } finally {
            elasticsearch.start();
        }
    }

    /** As the admin: health shows its components and details only to an authenticated caller. */
    private HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                        .header("Authorization", "Bearer " + RealServers.ADMIN_TOKEN).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
