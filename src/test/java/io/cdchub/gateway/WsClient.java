package io.cdchub.gateway;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A real WebSocket client (the JDK's java.net.http.WebSocket) for the gateway tests: collects the text frames it
 * receives, and can stop reading (no demand: its socket fills and TCP pushes back on the server) to play a slow client.
 */
final class WsClient implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final WebSocket socket;
    private final LinkedBlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private volatile boolean reading;
    final java.util.concurrent.atomic.AtomicInteger pings = new java.util.concurrent.atomic.AtomicInteger();

    private WsClient(URI uri, String bearer, boolean reading) {
        this(uri, bearer, reading, null);
    }

    private WsClient(URI uri, String bearer, boolean reading, String subprotocolToken) {
        this.reading = reading;
        WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        if (bearer != null) {
            builder.header("Authorization", "Bearer " + bearer);
        }
        if (subprotocolToken != null) {
            builder.subprotocols("cdc-hub", "bearer." + subprotocolToken);
        }
        socket = builder.buildAsync(uri, new Listener()).orTimeout(20, TimeUnit.SECONDS).join();
    }

    /** Connects with the token in ?token= (null: none). */
    static WsClient connect(int port, String token) {
        return new WsClient(URI.create("ws://127.0.0.1:" + port + "/ws/stream" + (token == null ? "" : "?token=" + token)), null, true);
    }

    static WsClient connectWithHeader(int port, String token) {
        return new WsClient(URI.create("ws://127.0.0.1:" + port + "/ws/stream"), token, true);
    }

    /** Connects as a browser can: the token as the subprotocol bearer.JWT beside cdc-hub, not in the URL. */
    static WsClient connectWithSubprotocol(int port, String token) {
        return new WsClient(URI.create("ws://127.0.0.1:" + port + "/ws/stream"), null, true, token);
    }

    /** A client that does not read until {@link #startReading()}. */
    static WsClient connectSlow(int port, String token) {
        return new WsClient(URI.create("ws://127.0.0.1:" + port + "/ws/stream?token=" + token), null, false);
    }

    /** The HTTP status the handshake was refused with. */
    static int refusedStatus(int port, String token) {
        try {
            connect(port, token).close();
            return 101;
        } catch (CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException refused) {
                return refused.getResponse().statusCode();
            }
            throw e;
        }
    }

    void send(String text) {
        socket.sendText(text, true).orTimeout(10, TimeUnit.SECONDS).join();
    }

    void subscribe(String... topics) {
        send(JSON.createObjectNode().put("action", "subscribe").set("topics", JSON.valueToTree(topics)).toString());
    }

    /** Waits for the next frame. */
    JsonNode next() throws InterruptedException {
        JsonNode frame = frames.poll(30, TimeUnit.SECONDS);
        if (frame == null) {
            throw new AssertionError("no frame within 30 s");
        }
        return frame;
    }

    /** Waits for the next frame of a type (change messages: type "change"), skipping nothing else: fails on another. */
    JsonNode next(String type) throws InterruptedException {
        JsonNode frame = next();
        if (!type.equals(typeOf(frame))) {
            throw new AssertionError("expected a " + type + " frame, got " + frame);
        }
        return frame;
    }

    /** Frames until one matches (all of them, the matching one last). */
    List<JsonNode> until(Predicate<JsonNode> last) throws InterruptedException {
        List<JsonNode> seen = new ArrayList<>();
        while (true) {
            JsonNode frame = next();
            seen.add(frame);
            if (last.test(frame)) {
                return seen;
            }
        }
    }

    /** The change of the row with this id, skipping changes of earlier tests still arriving (fails on any other frame). */
    JsonNode change(int id) throws InterruptedException {
        while (true) {
            JsonNode frame = next("change");
            if (frame.path("key").path("id").asInt() == id) {
                return frame;
            }
        }
    }

    static String typeOf(JsonNode frame) {
        return frame.has("type") ? frame.get("type").asText() : "change";
    }

    JsonNode poll() {
        return frames.poll();
    }

    int pending() {
        return frames.size();
    }

    void startReading() {
        reading = true;
        socket.request(1);
    }

    int awaitClose() {
        return closeCode.orTimeout(60, TimeUnit.SECONDS).join();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            try {
                socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(5, TimeUnit.SECONDS).join();
            } catch (RuntimeException e) {
                // gone already
            }
        }
        socket.abort();
    }

    private final class Listener implements WebSocket.Listener {

        @Override
        public void onOpen(WebSocket webSocket) {
            if (reading) {
                webSocket.request(1);
            }
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    frames.add(JSON.readTree(partial.toString()));
                } catch (Exception e) {
                    frames.add(JSON.createObjectNode().put("type", "unparseable").put("text", partial.toString()));
                }
                partial.setLength(0);
            }
            if (reading) {
                webSocket.request(1);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, java.nio.ByteBuffer message) {
            pings.incrementAndGet(); // the JDK's client answers with a pong itself
            if (reading) {
                webSocket.request(1);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeCode.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closeCode.complete(-1);
        }
    }
}
