package io.cdchub.gateway.clients;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import org.awaitility.Awaitility;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * What the client tests share: an app with the gateway on, capturing a schema of its own, and tokens
 * its gateway accepts (HS256 with {@link #SECRET}).
 */
final class GatewayClientApps {

    /** The HS256 secret the tests' apps verify tokens with (32+ bytes, as HS256 requires). */
    static final String SECRET = "cdc-hub-gateway-client-tests-hs256-secret-0123456789";

    private static final ObjectMapper JSON = new ObjectMapper();

    private GatewayClientApps() {
    }

    /**
     * Settings for an app that captures schema {@code name} (created here with the given statements,
     * before the app starts, as Debezium's filtered publication needs) into topics
     * {@code <name>.<name>.<table>}, with the gateway verifying tokens signed with {@link #SECRET}.
     */
    static Map<String, String> settings(String name, String... statements) {
        Map<String, String> settings = RealServers.sourceSettings(name, statements);
        settings.put("cdc.gateway.enabled", "true");
        settings.put("cdc.gateway.jwt.secret", SECRET);
        return settings;
    }

    static String topic(String schema, String table) {
        return schema + '.' + schema + '.' + table;
    }

    static void sql(String... statements) {
        PostgresServer.shared().execute(RealServers.DATABASE, statements);
    }

    static int port(ConfigurableApplicationContext app) {
        return ((WebServerApplicationContext) app).getWebServer().getPort();
    }

    /**
     * Waits until the app's gateway delivers changes of every given topic: a Java WebSocket client subscribes to
     * them and probe rows (statements from {@code probes}, given a fresh number each time) are inserted until one of
     * each topic arrived. The gateway's consumer starts at the end of its topics once Kafka assigned them, a moment
     * after start-up; a test that subscribed and inserted before that would wait for a change that never comes.
     */
    static void awaitGatewayLive(ConfigurableApplicationContext app, String token, Map<String, IntFunction<String>> probes) {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        List<String> frames = new CopyOnWriteArrayList<>();
        WebSocket.Listener listener = new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                    frames.add(text.toString());
                    try {
                        JsonNode frame = JSON.readTree(text.toString());
                        if (frame.has("topic")) {
                            seen.add(frame.get("topic").asText());
                        }
                    } catch (IOException e) {
                        // recorded in frames
                    }
                    text.setLength(0);
                }
                socket.request(1);
                return null;
            }
        };
        WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + port(app) + "/ws/stream?token=" + token), listener).join();
        try {
            socket.sendText(JSON.createObjectNode().put("action", "subscribe")
                    .set("topics", JSON.valueToTree(probes.keySet())).toString(), true).join();
            AtomicInteger probe = new AtomicInteger(1_000_000);
            Awaitility.await("the gateway delivering " + probes.keySet() + " (frames: " + frames + ")")
                    .atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        if (frames.stream().anyMatch(f -> f.contains("\"subscribed\""))) {
                            probes.forEach((topic, sql) -> {
                                if (!seen.contains(topic)) {
                                    sql(sql.apply(probe.incrementAndGet()));
                                }
                            });
                        }
                        return seen.containsAll(probes.keySet());
                    });
        } finally {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "live").join();
        }
    }

    /** A token valid for an hour that may read the given topics. */
    static String token(List<String> topics) {
        Instant now = Instant.now();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("sub", "gateway-client-test");
        claims.put("iat", now.getEpochSecond());
        claims.put("exp", now.plus(Duration.ofHours(1)).getEpochSecond());
        claims.put("topics", topics);
        return sign(claims, SECRET);
    }

    /** A compact JWS (HS256) of the claims: what any JWT library would produce, written out to keep tests free of one. */
    static String sign(Map<String, Object> claims, String secret) {
        try {
            Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
            String header = b64.encodeToString(JSON.writeValueAsBytes(Map.of("alg", "HS256", "typ", "JWT")));
            String payload = b64.encodeToString(JSON.writeValueAsBytes(claims));
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] signature = mac.doFinal((header + '.' + payload).getBytes(StandardCharsets.US_ASCII));
            return header + '.' + payload + '.' + b64.encodeToString(signature);
        } catch (JsonProcessingException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
