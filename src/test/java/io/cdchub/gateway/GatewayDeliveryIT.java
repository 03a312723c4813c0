package io.cdchub.gateway;

import static io.cdchub.gateway.GatewayTestApps.BULK;
import static io.cdchub.gateway.GatewayTestApps.ORDERS;
import static io.cdchub.gateway.GatewayTestApps.a;
import static io.cdchub.gateway.GatewayTestApps.b;
import static io.cdchub.gateway.GatewayTestApps.portA;
import static io.cdchub.gateway.GatewayTestApps.portB;
import static io.cdchub.gateway.GatewayTestApps.sql;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.testinfra.TopicWriter;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Delivery and scale: a slow client gets a lagging frame and 1013 while a fast one keeps receiving everything; two
 * gateway instances serve the same topic; the row-level rule (deletes included); the connection limit; the metrics.
 */
class GatewayDeliveryIT {

    private static final AtomicInteger IDS = new AtomicInteger(4000);

    @Test
    void aSlowClientIsClosedWith1013WhileAFastOneKeepsReceiving() throws Exception {
        String token = Tokens.granting(BULK);
        double closedBefore = GatewayTestApps.meters(a()).counter("cdc.gateway.connections.closed.lagging").count();
        try (WsClient fast = WsClient.connect(portA(), token); WsClient slow = WsClient.connectSlow(portA(), token)) {
            fast.subscribe(BULK);
            fast.next("subscribed");
            slow.subscribe(BULK);
            // incompressible 16 KB rows, written in steps of 50 that the fast client reads before the next step: it never
            // falls far behind, while the slow one (reading nothing) fills its socket buffers and then its 200-frame queue
            // (one write of all rows would put a whole poll of records into every queue at once, the fast one's included)
            Random random = new Random(42);
            int count = 2000;
            int step = 50;
            List<JsonNode> got = new ArrayList<>();
            for (int from = 1; from <= count; from += step) {
                List<TopicWriter.Out> records = new ArrayList<>();
                for (int i = from; i < from + step; i++) {
                    byte[] noise = new byte[12 * 1024];
                    random.nextBytes(noise);
                    records.add(TopicWriter.Out.json("{\"id\":" + i + "}", "{\"op\":\"c\",\"after\":{\"id\":" + i + ",\"noise\":\""
                            + java.util.Base64.getEncoder().encodeToString(noise) + "\"},\"source\":{\"ts_ms\":" + System.currentTimeMillis() + "}}"));
                }
                TopicWriter.write(BULK, records);
                int last = from + step - 1;
                got.addAll(fast.until(f -> f.path("key").path("id").asInt() == last));
            }
            // (a client subscribing in the gateway's first seconds may also get a few earlier changes: ids below 1 here)
            assertThat(got).filteredOn(f -> f.has("topic") && f.path("key").path("id").asInt() >= 1)
                    .extracting(f -> f.path("key").path("id").asInt()).containsExactlyElementsOf(
                    java.util.stream.IntStream.rangeClosed(1, count).boxed().toList());

            Awaitility.await("the slow client counted as lagging").atMost(Duration.ofSeconds(60))
                    .until(() -> GatewayTestApps.meters(a()).counter("cdc.gateway.connections.closed.lagging").count() > closedBefore);
            slow.startReading();
            List<JsonNode> slowFrames = slow.until(f -> "lagging".equals(WsClient.typeOf(f)));
            assertThat(slowFrames.get(0).path("type").asText()).isEqualTo("subscribed");
            assertThat(slowFrames.size()).isLessThan(count);
            assertThat(slow.awaitClose()).isEqualTo(1013);
        }
    }

    @Test
    void twoInstancesServeTheSameTopic() throws Exception {
        String token = Tokens.granting(List.of(ORDERS), Map.of("tenant_id", "acme"));
        try (WsClient onA = WsClient.connect(portA(), token); WsClient onB = WsClient.connect(portB(), token)) {
            onA.subscribe("orders");
            onA.next("subscribed");
            onB.subscribe("orders");
            onB.next("subscribed");
            int id = IDS.incrementAndGet();
            sql("INSERT INTO gw.orders VALUES (" + id + ", 'new', 'acme', 7)", "UPDATE gw.orders SET amount = 8 WHERE id = " + id);
            List<JsonNode> fromA = onA.until(f -> "u".equals(f.path("value").path("op").asText()) && f.path("key").path("id").asInt() == id);
            List<JsonNode> fromB = onB.until(f -> "u".equals(f.path("value").path("op").asText()) && f.path("key").path("id").asInt() == id);
            assertThat(ofRow(fromB, id)).hasSize(2).extracting(f -> f.path("value"))
                    .containsExactlyElementsOf(ofRow(fromA, id).stream().map(f -> f.path("value")).toList());
        }
    }

    private static List<JsonNode> ofRow(List<JsonNode> frames, int id) {
        return frames.stream().filter(f -> f.path("key").path("id").asInt() == id).toList();
    }

    @Test
    void theRowLevelRuleHoldsForEveryMessageDeletesIncluded() throws Exception {
        try (WsClient acme = WsClient.connect(portB(), Tokens.granting(List.of(ORDERS), Map.of("tenant_id", "acme")))) {
            acme.subscribe("orders");
            acme.next("subscribed");
            int mine = IDS.incrementAndGet();
            int theirs = IDS.incrementAndGet();
            sql("INSERT INTO gw.orders VALUES (" + theirs + ", 'new', 'globex', 1)",
                    "INSERT INTO gw.orders VALUES (" + mine + ", 'new', 'acme', 1)",
                    "UPDATE gw.orders SET status = 'paid' WHERE id = " + theirs,
                    "DELETE FROM gw.orders WHERE id = " + theirs,
                    "DELETE FROM gw.orders WHERE id = " + mine);
            List<JsonNode> got = acme.until(f -> "d".equals(f.path("value").path("op").asText()) && f.path("key").path("id").asInt() == mine)
                    .stream().filter(f -> List.of(mine, theirs).contains(f.path("key").path("id").asInt())).toList();
            assertThat(got).extracting(f -> f.path("value").path("op").asText() + ":" + f.path("key").path("id").asInt())
                    .containsExactly("c:" + mine, "d:" + mine);
        }
        // the rule's claim is required
        assertThat(WsClient.refusedStatus(portB(), Tokens.granting(ORDERS))).isEqualTo(401);
    }

    @Test
    void connectionsOverTheLimitAreRefusedWith503() throws Exception {
        GatewayHub hub = GatewayTestApps.hub(b());
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> hub.connectionCount() == 0);
        String token = Tokens.granting(List.of(ORDERS), Map.of("tenant_id", "acme"));
        List<WsClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                open.add(WsClient.connect(portB(), token));
            }
            assertThat(WsClient.refusedStatus(portB(), token)).isEqualTo(503);
            HttpResponse<String> sse = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + portB() + "/sse/stream?topics=orders&token=" + token)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(sse.statusCode()).isEqualTo(503);
            assertThat(sse.headers().firstValue("Retry-After")).isPresent();
        } finally {
            open.forEach(WsClient::close);
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> hub.connectionCount() == 0);
        WsClient.connect(portB(), token).close();
    }

    @Test
    void metricsAreOnThePrometheusEndpoint() throws Exception {
        try (WsClient client = WsClient.connect(portA(), Tokens.granting(ORDERS))) {
            client.subscribe("orders");
            client.next("subscribed");
            int id = IDS.incrementAndGet();
            sql("INSERT INTO gw.orders VALUES (" + id + ", 'new', 'acme', 1)");
            client.change(id);
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + portA() + "/actuator/prometheus"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("cdc_gateway_connections{transport=\"websocket\"}").contains("cdc_gateway_subscriptions")
                    .contains("cdc_gateway_messages_sent_total").contains("cdc_gateway_messages_dropped_total")
                    .contains("cdc_gateway_latency_seconds_bucket");
        }
    }
}
