package io.cdchub.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Hawtio and Jolokia on a running source: reachable with the admin credentials (bearer token or basic auth),
 * refused with 401 without them; Jolokia reads Camel's route MBeans (what Hawtio's Camel plugin shows).
 */
class HawtioIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ROUTE_MBEAN = "org.apache.camel:context=cdc-hub,type=routes,name=\"postgres-to-kafka\"";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void hawtioAndJolokiaOnlyForTheAdmin() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        Map<String, String> settings = RealServers.sourceSettings("hawtio", "CREATE TABLE hawtio.items (id int PRIMARY KEY, name text)");
        String bearer = "Bearer " + RealServers.ADMIN_TOKEN;
        String basic = "Basic " + Base64.getEncoder().encodeToString(("admin:" + RealServers.ADMIN_TOKEN).getBytes(StandardCharsets.UTF_8));

        try (ConfigurableApplicationContext app = InProcessApp.start(settings)) {
            String base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
            pg.execute(RealServers.DATABASE, "INSERT INTO hawtio.items SELECT g, 'item ' || g FROM generate_series(1, 5) g");
            TopicReader.awaitCount("hawtio.hawtio.items", 5);

            // /hawtio leads to Hawtio's page, for the admin only
            assertThat(get(base + "/hawtio", null).statusCode()).isEqualTo(401);
            HttpResponse<String> redirect = get(base + "/hawtio", bearer);
            assertThat(redirect.statusCode()).isEqualTo(302);
            assertThat(redirect.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/actuator/hawtio/"));
            assertThat(get(base + "/actuator/hawtio/", null).statusCode()).isEqualTo(401);
            for (String credentials : new String[] {bearer, basic}) {
                HttpResponse<String> page = get(base + "/actuator/hawtio/", credentials);
                assertThat(page.statusCode()).isEqualTo(200);
                assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
                assertThat(page.body()).containsIgnoringCase("<html").contains("Hawtio");
            }

            // Jolokia: a Camel route MBean, as Hawtio's Camel plugin reads it
            String read = "{\"type\":\"read\",\"mbean\":" + JSON.writeValueAsString(ROUTE_MBEAN) + ",\"attribute\":\"ExchangesTotal\"}";
            assertThat(post(base + "/actuator/jolokia", read, null).statusCode()).isEqualTo(401);
            assertThat(get(base + "/jolokia", null).statusCode()).isEqualTo(401);
            JsonNode total = Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> JSON.readTree(post(base + "/actuator/jolokia", read, bearer).body()), r -> r.path("value").asLong() >= 5);
            assertThat(total.path("status").asInt()).isEqualTo(200);

            String search = "{\"type\":\"search\",\"mbean\":\"org.apache.camel:context=cdc-hub,type=routes,*\"}";
            JsonNode routes = JSON.readTree(post(base + "/actuator/jolokia", search, basic).body());
            assertThat(routes.path("value").toString()).contains("postgres-to-kafka", "dead-letter");
        }
    }

    private HttpResponse<String> get(String url, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String url, String body, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
