package io.cdchub.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.RealServers;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Jolokia's access policy and origin check on a running app: reads and Hawtio's route start/stop work; an exec that
 * would put a message into an endpoint ({@code sendStringBody}), JVM operations and attribute writes are refused;
 * a foreign Origin gets no CORS answer (no {@code Access-Control-Allow-Credentials}), one in
 * {@code cdc.admin.allowed-origins} does.
 */
class JolokiaAccessIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTEXT_MBEAN = "org.apache.camel:context=cdc-hub,type=context,name=\"cdc-hub\"";
    private static final String ALLOWED_ORIGIN = "https://console.example:8443";

    private static ConfigurableApplicationContext app;
    private static String jolokia;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        Map<String, String> settings = RealServers.settings();
        settings.put("cdc.source.enabled", "false");
        settings.put("cdc.admin.allowed-origins", ALLOWED_ORIGIN);
        app = InProcessApp.start(settings);
        jolokia = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port") + "/actuator/jolokia";
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void sendStringBodyJvmOperationsAndWritesAreRefusedReadsAndRouteLifecycleAreNot() throws Exception {
        CamelContext camel = app.getBean(CamelContext.class);
        JsonNode send = post("{\"type\":\"exec\",\"mbean\":" + JSON.writeValueAsString(CONTEXT_MBEAN)
                + ",\"operation\":\"sendStringBody(java.lang.String,java.lang.String)\",\"arguments\":[\"seda:jolokia-probe\",\"hello\"]}");
        assertThat(send.path("status").asInt()).as(send.toString()).isEqualTo(403);
        assertThat(camel.hasEndpoint("seda:jolokia-probe")).as("nothing was sent").isNull();
        JsonNode sendBody = post("{\"type\":\"exec\",\"mbean\":" + JSON.writeValueAsString(CONTEXT_MBEAN)
                + ",\"operation\":\"sendBody(java.lang.String,java.lang.Object)\",\"arguments\":[\"seda:jolokia-probe\",\"hello\"]}");
        assertThat(sendBody.path("status").asInt()).as(sendBody.toString()).isEqualTo(403);

        JsonNode heap = post("{\"type\":\"exec\",\"mbean\":\"com.sun.management:type=HotSpotDiagnostic\",\"operation\":\"dumpHeap\","
                + "\"arguments\":[\"/tmp/jolokia-heap.hprof\",true]}");
        assertThat(heap.path("status").asInt()).as(heap.toString()).isEqualTo(403);
        JsonNode write = post("{\"type\":\"write\",\"mbean\":\"java.lang:type=Memory\",\"attribute\":\"Verbose\",\"value\":true}");
        assertThat(write.path("status").asInt()).as(write.toString()).isEqualTo(403);

        // what Hawtio's Camel tab does: reads, and stopping and starting a route
        JsonNode read = post("{\"type\":\"read\",\"mbean\":" + JSON.writeValueAsString(CONTEXT_MBEAN) + ",\"attribute\":\"State\"}");
        assertThat(read.path("status").asInt()).as(read.toString()).isEqualTo(200);
        String route = "org.apache.camel:context=cdc-hub,type=routes,name=\"dead-letter\"";
        JsonNode stop = post("{\"type\":\"exec\",\"mbean\":" + JSON.writeValueAsString(route) + ",\"operation\":\"stop()\"}");
        assertThat(stop.path("status").asInt()).as(stop.toString()).isEqualTo(200);
        assertThat(camel.getRouteController().getRouteStatus("dead-letter")).isEqualTo(ServiceStatus.Stopped);
        JsonNode start = post("{\"type\":\"exec\",\"mbean\":" + JSON.writeValueAsString(route) + ",\"operation\":\"start()\"}");
        assertThat(start.path("status").asInt()).as(start.toString()).isEqualTo(200);
        assertThat(camel.getRouteController().getRouteStatus("dead-letter")).isEqualTo(ServiceStatus.Started);
    }

    @Test
    void aForeignOriginGetsNoCorsAnswerWithCredentials() throws Exception {
        HttpResponse<String> foreign = get("/version", "https://evil.example");
        assertThat(foreign.headers().firstValue("Access-Control-Allow-Credentials")).as(foreign.headers().toString()).isEmpty();
        assertThat(foreign.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        assertThat(foreign.statusCode()).isEqualTo(403);
        assertThat(get("/version", "null").headers().firstValue("Access-Control-Allow-Origin")).isEmpty();

        HttpResponse<String> allowed = get("/version", ALLOWED_ORIGIN);
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).hasValue(ALLOWED_ORIGIN);
    }

    private JsonNode post(String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(jolokia)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + RealServers.ADMIN_TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isIn(200, 403);
        return JSON.readTree(response.body());
    }

    private HttpResponse<String> get(String path, String origin) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(jolokia + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + RealServers.ADMIN_TOKEN).header("Origin", origin).GET().build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
