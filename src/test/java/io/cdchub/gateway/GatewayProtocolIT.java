package io.cdchub.gateway;

import static io.cdchub.gateway.GatewayTestApps.ORDERS;
import static io.cdchub.gateway.GatewayTestApps.PRICES;
import static io.cdchub.gateway.GatewayTestApps.portA;
import static io.cdchub.gateway.GatewayTestApps.sql;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * The WebSocket protocol on a real gateway fed by a real source: a row inserted in PostgreSQL arrives as a change
 * message; subscribe (names and aliases), unsubscribe, ping, the error frames, 1008 after repeated abuse, the subscribe
 * rate limit, permessage-deflate.
 */
class GatewayProtocolIT {

    private static final AtomicInteger IDS = new AtomicInteger(1000);

    @Test
    void aRowInsertedInPostgresArrivesAsAChangeMessage() throws Exception {
        try (WsClient client = WsClient.connect(portA(), Tokens.granting(ORDERS))) {
            client.send("{\"action\":\"subscribe\",\"topics\":[\"orders\"]}");
            JsonNode subscribed = client.next("subscribed");
            assertThat(subscribed.path("topics").get(0).asText()).isEqualTo("orders");
            assertThat(subscribed.path("kafkaTopics").path("orders").asText()).isEqualTo(ORDERS);

            int id = IDS.incrementAndGet();
            sql("INSERT INTO gw.orders VALUES (" + id + ", 'new', 'acme', 12.50)");
            JsonNode change = client.change(id);
            assertThat(change.path("topic").asText()).isEqualTo(ORDERS);
            assertThat(change.path("key").path("id").asInt()).isEqualTo(id);
            assertThat(change.path("value").isObject()).as("the envelope as JSON, not a string").isTrue();
            assertThat(change.path("value").path("op").asText()).isEqualTo("c");
            assertThat(change.path("value").path("after").path("status").asText()).isEqualTo("new");
            assertThat(change.path("value").path("after").path("amount").decimalValue()).isEqualByComparingTo("12.50");
            assertThat(change.path("value").path("source").path("table").asText()).isEqualTo("orders");
            assertThat(change.path("position").asText()).isNotBlank();
        }
    }

    @Test
    void tokenInTheAuthorizationHeaderAndBothTopicNamesWork() throws Exception {
        try (WsClient client = WsClient.connectWithHeader(portA(), Tokens.granting("gw.gw.*"))) {
            client.subscribe("realtime_prices", ORDERS);
            JsonNode subscribed = client.next("subscribed");
            assertThat(subscribed.path("kafkaTopics").path("realtime_prices").asText()).isEqualTo(PRICES);
            int id = IDS.incrementAndGet();
            sql("INSERT INTO gw.prices VALUES (" + id + ", 'XAU', 2411.5)");
            JsonNode change = client.change(id);
            assertThat(change.path("topic").asText()).isEqualTo(PRICES);
            assertThat(change.path("value").path("after").path("symbol").asText()).isEqualTo("XAU");
        }
    }

    @Test
    void pingUnsubscribeAndErrorFrames() throws Exception {
        try (WsClient client = WsClient.connect(portA(), Tokens.granting(ORDERS, "realtime_prices"));
                WsClient witness = WsClient.connect(portA(), Tokens.granting(ORDERS))) {
            client.send("{\"action\":\"ping\"}");
            assertThat(client.next("pong")).isNotNull();

            client.send("{not json");
            assertThat(client.next("error").path("code").asText()).isEqualTo("bad-request");
            client.send("{\"action\":\"dance\"}");
            JsonNode unknownAction = client.next("error");
            assertThat(unknownAction.path("code").asText()).isEqualTo("unknown-action");
            assertThat(unknownAction.path("message").asText()).contains("dance");
            client.subscribe("no_such_alias");
            assertThat(client.next("error").path("code").asText()).isEqualTo("forbidden-or-unknown");
            client.subscribe("gw.gw.no_such_table");
            // a topic the token may not read and one that does not exist get the same answer
            assertThat(client.next("error").path("code").asText()).isEqualTo("forbidden-or-unknown");
            client.subscribe(PRICES.replace("prices", "orders"), "gw.bulk");
            JsonNode forbidden = client.next("error");
            assertThat(forbidden.path("code").asText()).isEqualTo("forbidden-or-unknown");
            assertThat(forbidden.path("message").asText()).contains("gw.bulk");

            client.subscribe("orders");
            client.next("subscribed");
            witness.subscribe("orders");
            witness.next("subscribed");
            client.send("{\"action\":\"unsubscribe\",\"topics\":[\"orders\"]}");
            List<JsonNode> upToUnsubscribed = client.until(f -> "unsubscribed".equals(WsClient.typeOf(f)));
            assertThat(upToUnsubscribed.get(upToUnsubscribed.size() - 1).path("topics").get(0).asText()).isEqualTo(ORDERS);

            int id = IDS.incrementAndGet();
            sql("INSERT INTO gw.orders VALUES (" + id + ", 'new', 'acme', 1)");
            assertThat(witness.change(id).path("key").path("id").asInt()).isEqualTo(id);
            // the change was dispatched before the witness got it: a pong queued now comes after it, had it been queued
            client.send("{\"action\":\"ping\"}");
            assertThat(client.next("pong")).isNotNull();
            assertThat(client.poll()).isNull();
        }
    }

    @Test
    void repeatedAbuseClosesWith1008() throws Exception {
        try (WsClient client = WsClient.connect(portA(), Tokens.granting(ORDERS))) {
            for (int i = 0; i < 8; i++) {
                client.send("garbage " + i);
            }
            List<JsonNode> errors = client.until(f -> true);
            assertThat(WsClient.typeOf(errors.get(0))).isEqualTo("error");
            assertThat(client.awaitClose()).isEqualTo(1008);
        }
    }

    @Test
    void subscribesAreRateLimited() throws Exception {
        try (WsClient client = WsClient.connect(portA(), Tokens.granting(ORDERS))) {
            for (int i = 0; i < 6; i++) {
                client.subscribe("orders");
            }
            List<JsonNode> frames = client.until(f -> "error".equals(WsClient.typeOf(f)));
            assertThat(frames.get(frames.size() - 1).path("code").asText()).isEqualTo("rate-limited");
            assertThat(frames).hasSizeGreaterThanOrEqualTo(5);
        }
    }

    @Test
    void theServerPingsAndRefusesOversizedMessagesWith1009() throws Exception {
        try (WsClient client = WsClient.connect(portA(), Tokens.granting(ORDERS))) {
            // ping-interval is 2 s in the test app
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> client.pings.get() >= 1);
            // just over the default cdc.gateway.max-message-size (8,192 characters)
            client.send("{\"action\":\"ping\",\"pad\":\"" + "x".repeat(8_200) + "\"}");
            assertThat(client.awaitClose()).isEqualTo(1009);
        }
    }

    /** Tomcat's container negotiates permessage-deflate through Spring's handshake (the JDK client does not offer it). */
    @Test
    void permessageDeflateIsNegotiated() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", portA())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /ws/stream?token=" + Tokens.granting(ORDERS) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    break;
                }
                head.append((char) c);
            }
            assertThat(head.toString()).startsWith("HTTP/1.1 101").containsIgnoringCase("Sec-WebSocket-Extensions: permessage-deflate");
        }
    }
}
