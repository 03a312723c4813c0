package io.cdchub.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicWriter;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Nothing is lost right after start-up: a client that subscribes the moment Tomcat listens, before the fan-out's
 * Kafka consumer has joined its group, receives a row inserted right away and a record written right away;
 * and a topic created while the app runs delivers what was written to it before the consumer was assigned it at its
 * next metadata refresh. Readiness reports the {@code gateway} indicator.
 */
class GatewayStartupIT {

    private static final String SCHEMA = "gwstart";
    private static final String ITEMS = SCHEMA + "." + SCHEMA + ".items";
    private static final String LATER = SCHEMA + ".later";

    private static ConfigurableApplicationContext app;
    private static long subscribedAt;
    private static JsonNode inserted;
    private static JsonNode written;

    @BeforeAll
    static void startAndSubscribeWhileStarting() throws Exception {
        Map<String, String> settings = RealServers.sourceSettings(SCHEMA, "CREATE TABLE gwstart.items (id int PRIMARY KEY, name text)");
        settings.put("cdc.gateway.enabled", "true");
        settings.put("cdc.gateway.jwt.secret", Tokens.SECRET);
        // a slow refresh: a new topic is assigned seconds after it exists
        settings.put("cdc.gateway.topic-refresh-ms", "8000");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        settings.put("server.port", String.valueOf(port));
        // the change topic exists before the app, so a client can subscribe to it at once
        TopicWriter.write(ITEMS, List.of(TopicWriter.Out.json("{\"id\":0}", "{\"op\":\"r\",\"after\":{\"id\":0,\"name\":\"before start\"}}")));
        // the client connects the moment Tomcat listens, while the rest of the app (Camel's routes, the gateway's
        // consumer joining its group) is still starting
        CompletableFuture<ConfigurableApplicationContext> starting = CompletableFuture.supplyAsync(() -> InProcessApp.start(settings));
        String token = Tokens.hs256(Tokens.claims(List.of(ITEMS)).build());
        AtomicReference<WsClient> connected = new AtomicReference<>();
        Awaitility.await("Tomcat listening").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20)).ignoreExceptions()
                .until(() -> {
                    if (starting.isCompletedExceptionally()) {
                        starting.join();
                    }
                    connected.set(WsClient.connect(port, token));
                    return true;
                });
        try (WsClient client = connected.get()) {
            client.subscribe(ITEMS);
            client.next("subscribed");
            subscribedAt = System.currentTimeMillis();
            PostgresServer.shared().execute(RealServers.DATABASE, "INSERT INTO gwstart.items VALUES (1, 'right after start')");
            TopicWriter.write(ITEMS, List.of(TopicWriter.Out.json("{\"id\":2}", "{\"op\":\"c\",\"after\":{\"id\":2,\"name\":\"written\"}}")));
            app = starting.get(120, TimeUnit.SECONDS);
            written = client.change(2);
            inserted = client.change(1);
        }
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void aClientSubscribedBeforeTheConsumerWasAssignedGetsWhatWasCommittedRightAfter() {
        long liveSince = app.getBean(GatewayHub.class).liveSinceMs();
        System.out.println("the client subscribed " + (liveSince - subscribedAt) + " ms before the gateway's consumer was live");
        assertThat(subscribedAt).as("the client subscribed before the consumer was live (else this test proves nothing)").isLessThan(liveSince);
        assertThat(written.path("value").path("after").path("name").asText()).isEqualTo("written");
        assertThat(inserted.path("value").path("after").path("name").asText()).isEqualTo("right after start");
        // the row was committed before Debezium's snapshot, so it may arrive as a snapshot read
        assertThat(inserted.path("value").path("op").asText()).isIn("c", "r");
    }

    @Test
    void aTopicCreatedLaterDeliversWhatWasWrittenBeforeItsAssignment() throws Exception {
        TopicWriter.write(LATER, List.of(TopicWriter.Out.json("{\"id\":1}", "{\"op\":\"c\",\"after\":{\"id\":1}}")));
        try (WsClient client = WsClient.connect(GatewayTestApps.port(app), Tokens.hs256(Tokens.claims(List.of(LATER)).build()))) {
            client.subscribe(LATER);
            client.next("subscribed");
            // before the consumer's next metadata refresh (8 s) has assigned the new topic
            TopicWriter.write(LATER, List.of(TopicWriter.Out.json("{\"id\":2}", "{\"op\":\"c\",\"after\":{\"id\":2}}")));
            assertThat(client.change(2).path("topic").asText()).isEqualTo(LATER);
        }
    }

    @Test
    void readinessIncludesTheGatewayOnceLive() {
        GatewayHub hub = app.getBean(GatewayHub.class);
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(hub::isLive);
        assertThat(app.getBean(GatewayHealthIndicator.class).health().getStatus().getCode()).isEqualTo("UP");
        HttpClient http = HttpClient.newHttpClient();
        Awaitility.await("readiness 200").atMost(Duration.ofSeconds(60)).until(() -> http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + GatewayTestApps.port(app) + "/actuator/health/readiness")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    }
}
