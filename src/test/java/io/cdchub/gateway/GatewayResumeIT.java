package io.cdchub.gateway;

import static io.cdchub.gateway.GatewayTestApps.ORDERS;
import static io.cdchub.gateway.GatewayTestApps.PRICES;
import static io.cdchub.gateway.GatewayTestApps.portA;
import static io.cdchub.gateway.GatewayTestApps.sql;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * Filters and resume: ops and any-of field filters on the server; a client that reconnects with the position of the
 * last message it had gets every change it missed across two topics, then the live stream, with no gap and no
 * duplicate; the same over SSE with Last-Event-ID.
 */
class GatewayResumeIT {

    private static final AtomicInteger IDS = new AtomicInteger(3000);

    @Test
    void filtersOnFieldsAndOperations() throws Exception {
        try (WsClient client = WsClient.connect(portA(), Tokens.granting(ORDERS))) {
            client.send("{\"action\":\"subscribe\",\"topics\":[\"orders\"],\"filter\":{\"status\":[\"paid\",\"shipped\"]},\"ops\":[\"c\",\"u\"]}");
            JsonNode subscribed = client.next("subscribed");
            assertThat(subscribed.path("ops").toString()).contains("c").contains("u");
            int a = IDS.incrementAndGet();
            int b = IDS.incrementAndGet();
            int c = IDS.incrementAndGet();
            sql("INSERT INTO gw.orders VALUES (" + a + ", 'new', 'acme', 1)",
                    "INSERT INTO gw.orders VALUES (" + b + ", 'paid', 'acme', 2)",
                    "UPDATE gw.orders SET status = 'shipped' WHERE id = " + a,
                    "DELETE FROM gw.orders WHERE id = " + b,
                    "INSERT INTO gw.orders VALUES (" + c + ", 'shipped', 'acme', 3)");
            List<JsonNode> changes = client.until(f -> f.path("key").path("id").asInt() == c).stream()
                    .filter(f -> java.util.Set.of(a, b, c).contains(f.path("key").path("id").asInt())).toList(); // not earlier tests' rows
            assertThat(changes).extracting(f -> f.path("value").path("op").asText() + ":" + f.path("key").path("id").asInt())
                    .containsExactly("c:" + b, "u:" + a, "c:" + c);
        }
    }

    @Test
    void resumeDeliversWhatWasMissedWithoutGapOrDuplicate() throws Exception {
        String token = Tokens.granting(ORDERS, PRICES);
        List<Integer> before = List.of(IDS.incrementAndGet(), IDS.incrementAndGet(), IDS.incrementAndGet());
        String last;
        try (WsClient client = WsClient.connect(portA(), token)) {
            client.subscribe("orders", "realtime_prices");
            client.next("subscribed");
            for (int id : before) {
                sql("INSERT INTO gw.orders VALUES (" + id + ", 'new', 'acme', 1)");
            }
            List<JsonNode> had = client.until(f -> f.path("key").path("id").asInt() == before.get(2)).stream()
                    .filter(f -> before.contains(f.path("key").path("id").asInt())).toList();
            assertThat(had).hasSize(3);
            last = had.get(2).path("position").asText();
        }
        // missed while away: changes on both topics
        int missedOrder1 = IDS.incrementAndGet();
        int missedPrice = IDS.incrementAndGet();
        int missedOrder2 = IDS.incrementAndGet();
        sql("INSERT INTO gw.orders VALUES (" + missedOrder1 + ", 'new', 'acme', 1)",
                "INSERT INTO gw.prices VALUES (" + missedPrice + ", 'XAG', 30.1)",
                "UPDATE gw.orders SET status = 'paid' WHERE id = " + before.get(0),
                "INSERT INTO gw.orders VALUES (" + missedOrder2 + ", 'new', 'acme', 1)");
        io.cdchub.testinfra.TopicReader.await(ORDERS, events -> events.stream().anyMatch(e -> e.key() != null && e.key().path("id").asInt() == missedOrder2));
        io.cdchub.testinfra.TopicReader.await(PRICES, events -> events.stream().anyMatch(e -> e.key() != null && e.key().path("id").asInt() == missedPrice));

        try (WsClient client = WsClient.connect(portA(), token)) {
            client.send(WsClient.JSON.createObjectNode().put("action", "subscribe").put("resume", last)
                    .set("topics", WsClient.JSON.valueToTree(List.of("orders", "realtime_prices"))).toString());
            assertThat(client.next("subscribed").path("resumed").asBoolean()).isTrue();
            int live = IDS.incrementAndGet();
            sql("INSERT INTO gw.orders VALUES (" + live + ", 'new', 'acme', 1)");
            // partitions interleave: read until both the live order and the missed price are in, then flush with a ping
            // (anything queued twice would come before the pong)
            java.util.Set<String> awaited = new java.util.HashSet<>(List.of(ORDERS + ":" + live, PRICES + ":" + missedPrice));
            List<JsonNode> got = new ArrayList<>(client.until(f -> awaited.remove(f.path("topic").asText() + ":" + f.path("key").path("id").asInt())
                    && awaited.isEmpty()));
            client.send("{\"action\":\"ping\"}");
            got.addAll(client.until(f -> "pong".equals(WsClient.typeOf(f))));
            got.remove(got.size() - 1);
            List<String> orders = new ArrayList<>();
            List<String> prices = new ArrayList<>();
            for (JsonNode change : got) {
                String id = change.path("value").path("op").asText() + ":" + change.path("key").path("id").asInt();
                (change.path("topic").asText().equals(PRICES) ? prices : orders).add(id);
            }
            assertThat(orders).containsExactly("c:" + missedOrder1, "u:" + before.get(0), "c:" + missedOrder2, "c:" + live);
            // prices had no message before: read from the first subscribe (less cdc.gateway.resume-lookback), so older
            // changes of that topic may come too; never twice
            assertThat(prices).containsOnlyOnce("c:" + missedPrice).doesNotHaveDuplicates();
        }
    }

    @Test
    void aResumeTokenThatIsNotOneIsRefused() throws Exception {
        try (WsClient client = WsClient.connect(portA(), Tokens.granting(ORDERS))) {
            client.send("{\"action\":\"subscribe\",\"topics\":[\"orders\"],\"resume\":\"garbage!\"}");
            assertThat(client.next("error").path("code").asText()).isEqualTo("invalid-resume");
        }
    }

    @Test
    void sseStreamsWithFiltersAndResumesFromLastEventId() throws Exception {
        String token = Tokens.granting(ORDERS);
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + portA() + "/sse/stream?topics=orders&filter.status=paid,shipped&ops=c,u";
        int first = IDS.incrementAndGet();
        String lastId;
        try (SseReader sse = SseReader.open(http, HttpRequest.newBuilder(URI.create(base)).header("Authorization", "Bearer " + token))) {
            assertThat(sse.nextData().path("type").asText()).isEqualTo("subscribed");
            sql("INSERT INTO gw.orders VALUES (" + first + ", 'new', 'acme', 1)", "UPDATE gw.orders SET status = 'paid' WHERE id = " + first);
            SseReader.Event paid = sse.next();
            assertThat(paid.data().path("value").path("op").asText()).isEqualTo("u");
            assertThat(paid.id()).isEqualTo(paid.data().path("position").asText());
            lastId = paid.id();
        }
        int missed = IDS.incrementAndGet();
        sql("INSERT INTO gw.orders VALUES (" + missed + ", 'shipped', 'acme', 1)", "INSERT INTO gw.orders VALUES (" + IDS.incrementAndGet() + ", 'new', 'acme', 1)");
        io.cdchub.testinfra.TopicReader.await(ORDERS, events -> events.stream().anyMatch(e -> e.key() != null && e.key().path("id").asInt() == missed));
        try (SseReader sse = SseReader.open(http, HttpRequest.newBuilder(URI.create(base + "&token=" + token)).header("Last-Event-ID", lastId))) {
            assertThat(sse.nextData().path("resumed").asBoolean()).isTrue();
            SseReader.Event again = sse.next();
            assertThat(again.data().path("key").path("id").asInt()).isEqualTo(missed);
        }
        // refusals come before the stream, as HTTP statuses
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base)).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base.replace("topics=orders", "topics=nope") + "&token=" + token)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).as("unknown, and not granted: the same as forbidden").isEqualTo(403);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base.replace("topics=orders", "topics=realtime_prices") + "&token=" + token)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(403);
    }

    /** Reads an SSE response line by line (a real HTTP client, the stream as it arrives). */
    record SseReader(HttpResponse<java.io.InputStream> response, BufferedReader lines) implements AutoCloseable {

        record Event(String id, JsonNode data) {
        }

        static SseReader open(HttpClient http, HttpRequest.Builder request) throws Exception {
            HttpResponse<java.io.InputStream> response = http.send(request.timeout(Duration.ofSeconds(60)).header("Accept", "text/event-stream").build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).isEqualTo(200);
            return new SseReader(response, new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8)));
        }

        /** The next event with data (comments such as pings are skipped). */
        Event next() throws Exception {
            String id = null;
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        return new Event(id, WsClient.JSON.readTree(data.toString()));
                    }
                    id = null;
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).trim();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5));
                }
            }
            throw new AssertionError("the SSE stream ended");
        }

        JsonNode nextData() throws Exception {
            return next().data();
        }

        @Override
        public void close() throws Exception {
            response.body().close();
        }
    }
}
