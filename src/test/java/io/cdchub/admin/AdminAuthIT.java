package io.cdchub.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.CdcHubApplication;
import io.cdchub.config.InvalidConfigurationFailureAnalyzer;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.RealServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** The admin surface answers 401 without or with wrong credentials, and serves a bearer token or basic auth; probes stay open. */
class AdminAuthIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** One path under every protected prefix. */
    private static final List<String> PROTECTED = List.of("/debezium/list/", "/topic/list", "/consumer/list", "/connectors",
            "/hawtio/", "/jolokia/", "/actuator", "/actuator/metrics", "/actuator/info");

    private static ConfigurableApplicationContext app;
    private static String base;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        Map<String, String> settings = RealServers.settings();
        settings.put("cdc.source.enabled", "false");
        settings.put("cdc.admin.username", "ops");
        settings.put("cdc.admin.password", "s3cret-pass");
        app = InProcessApp.start(settings);
        base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void everyProtectedPrefixRefusesMissingAndWrongCredentials() throws Exception {
        for (String path : PROTECTED) {
            HttpResponse<String> none = get(path, null);
            assertThat(none.statusCode()).as(path + " without credentials").isEqualTo(401);
            assertThat(none.headers().allValues("WWW-Authenticate")).as(path).anyMatch(v -> v.startsWith("Bearer realm=\"cdc-hub\""))
                    .anyMatch(v -> v.startsWith("Basic realm=\"cdc-hub\""));
            JsonNode error = JSON.readTree(none.body());
            assertThat(error.path("status").asInt()).isEqualTo(401);
            assertThat(error.path("error").asText()).isEqualTo("Unauthorized");
            assertThat(error.path("message").asText()).contains("Bearer");

            assertThat(get(path, "Bearer wrong-token-wrong-token").statusCode()).as(path + " with a wrong token").isEqualTo(401);
            assertThat(get(path, basic("ops", "wrong")).statusCode()).as(path + " with a wrong password").isEqualTo(401);
            assertThat(get(path, basic("someone", "s3cret-pass")).statusCode()).as(path + " with a wrong user").isEqualTo(401);
            assertThat(get(path, "Basic not-base64!").statusCode()).as(path + " with malformed basic").isEqualTo(401);
            assertThat(get(path, "Digest x").statusCode()).as(path + " with an unknown scheme").isEqualTo(401);

            for (String good : List.of("Bearer " + RealServers.ADMIN_TOKEN, basic("ops", "s3cret-pass"), basic("any", RealServers.ADMIN_TOKEN))) {
                assertThat(get(path, good).statusCode()).as(path + " with " + good.substring(0, 6)).isNotIn(401, 403);
            }
        }
    }

    @Test
    void theConnectPortAsksForTheSameCredentials() throws Exception {
        String connect = "http://127.0.0.1:" + app.getEnvironment().getProperty(ConnectPortConfiguration.LOCAL_PORT_PROPERTY);
        HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create(connect + "/connectors")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().allValues("WWW-Authenticate")).anyMatch(v -> v.startsWith("Basic"));
        for (String good : List.of("Bearer " + RealServers.ADMIN_TOKEN, basic("admin", RealServers.ADMIN_TOKEN), basic("ops", "s3cret-pass"))) {
            // (503 until the connector definitions are loaded from Kafka)
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> http.send(HttpRequest.newBuilder(
                    URI.create(connect + "/connectors")).header("Authorization", good).GET().build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode() != 503);
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(connect + "/connectors")).header("Authorization", good)
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        }
    }

    @Test
    void anAuthenticatedAdminReadsActuator() throws Exception {
        assertThat(get("/actuator/metrics", "Bearer " + RealServers.ADMIN_TOKEN).statusCode()).isEqualTo(200);
        assertThat(get("/actuator/metrics", basic("ops", "s3cret-pass")).statusCode()).isEqualTo(200);
        assertThat(get("/actuator", "bearer " + RealServers.ADMIN_TOKEN).statusCode()).isEqualTo(200);
    }

    @Test
    void probesAndScrapingStayOpenButHealthDetailsNeedAuth() throws Exception {
        HttpResponse<String> health = get("/actuator/health", null);
        assertThat(health.statusCode()).isEqualTo(200);
        JsonNode anonymous = JSON.readTree(health.body());
        assertThat(anonymous.path("status").asText()).isEqualTo("UP");
        assertThat(anonymous.has("components")).as("components hidden from anonymous callers").isFalse();
        assertThat(get("/actuator/health/liveness", null).statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(get("/actuator/health/readiness", null).body()).has("components")).isFalse();
        assertThat(get("/actuator/prometheus", null).statusCode()).isEqualTo(200);

        JsonNode admin = JSON.readTree(get("/actuator/health", "Bearer " + RealServers.ADMIN_TOKEN).body());
        assertThat(admin.path("components").path("kafka").path("details").isMissingNode()).as(admin.toString()).isFalse();
        assertThat(JSON.readTree(get("/actuator/health/readiness", basic("ops", "s3cret-pass")).body()).has("components")).isTrue();
    }

    @Test
    void theGatewayAndOtherPathsAreNotTheAdminChainsBusiness() throws Exception {
        for (String path : List.of("/ws/anything", "/sse/anything", "/live/anything", "/index.html")) {
            HttpResponse<String> response = get(path, null);
            assertThat(response.statusCode()).as(path).isNotEqualTo(401);
            assertThat(response.headers().firstValue("WWW-Authenticate")).as(path).isEmpty();
        }
    }

    @Test
    void startUpWithoutACredentialFailsNamingTheProperty() {
        Throwable failure = catchThrowable(() -> new SpringApplicationBuilder(CdcHubApplication.class)
                .run("--cdc.source.enabled=false", "--server.port=0", "--cdc.admin.connect-port=-1",
                        "--cdc.kafka.bootstrap-servers=127.0.0.1:1").close());
        String description = new InvalidConfigurationFailureAnalyzer().analyze(failure).getDescription();
        assertThat(description).contains("cdc.admin.token").contains("CDC_ADMIN_TOKEN");
    }

    private HttpResponse<String> get(String path, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20)).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
