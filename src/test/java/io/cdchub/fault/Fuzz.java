package io.cdchub.fault;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * R4: a bounded fuzz of every admin endpoint (main port and the Connect-style port) and of the WebSocket protocol:
 * random and mutated bodies, wrong types, huge values, odd path and query values. Any 5xx, a request left without an
 * answer, or a WebSocket closed with 1011 (server error) is a finding. Names the fuzz makes up never match the run's
 * own topics, consumers or connectors.
 */
final class Fuzz {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** One endpoint: method, path with {name} and {q} placeholders, a valid body to mutate (or null). */
    record Endpoint(boolean connectPort, String method, String path, String validBody) {
        String label() {
            return (connectPort ? "connect " : "") + method + " " + path;
        }
    }

    record Finding(String what, int status, String request, String answer) {
        @Override
        public String toString() {
            return what + " -> " + status + " " + request + (answer == null ? "" : " answered " + answer);
        }
    }

    private final Random random;
    private final int mainPort;
    private final int connectPort;
    private final String token;
    private final Set<String> protectedNames;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final List<Finding> findings = new ArrayList<>();
    final Map<Integer, Integer> statuses = new TreeMap<>();
    final Map<String, Integer> wsCloseCodes = new TreeMap<>();
    long requests;
    long wsMessages;
    long wsConnections;
    long noAnswer;

    Fuzz(long seed, int mainPort, int connectPort, String token, Set<String> protectedNames) {
        this.random = new Random(seed);
        this.mainPort = mainPort;
        this.connectPort = connectPort;
        this.token = token;
        this.protectedNames = protectedNames;
    }

    static List<Endpoint> endpoints() {
        String debeziumConfig = """
                {"connector_class":"io.debezium.connector.postgresql.PostgresConnector","tasks_max":"1","database_hostname":"127.0.0.1",
                 "database_port":"1","database_user":"fuzz","database_password":"fuzz","database_dbname":"nodb","topic_prefix":"fuzz",
                 "table_include_list":"public.none","plugin_name":"pgoutput","snapshot_mode":"initial"}""";
        String connectConfig = """
                {"connector.class":"io.debezium.connector.postgresql.PostgresConnector","tasks.max":"1","database.hostname":"127.0.0.1",
                 "database.port":"1","database.user":"fuzz","database.password":"fuzz","database.dbname":"nodb","topic.prefix":"fuzz",
                 "table.include.list":"public.none","plugin.name":"pgoutput"}""";
        return List.of(
                new Endpoint(false, "GET", "/debezium/list/", null),
                new Endpoint(false, "POST", "/debezium/start/", "{\"name\":\"fuzz-conn\",\"config\":" + debeziumConfig + "}"),
                new Endpoint(false, "GET", "/debezium/connector/{name}/info/", null),
                new Endpoint(false, "DELETE", "/debezium/connector/{name}/delete/", null),
                new Endpoint(false, "GET", "/topic/list", null),
                new Endpoint(false, "GET", "/topic/config?topic_name={q}", null),
                new Endpoint(false, "POST", "/topic/create",
                        "{\"topic_name\":\"fuzz-topic\",\"num_partitions\":1,\"replication_factor\":1,\"retention_ms\":60000,\"retention_bytes\":1048576}"),
                new Endpoint(false, "PATCH", "/topic/update", "{\"topic_name\":\"fuzz-topic\",\"retention_ms\":60000,\"retention_bytes\":1048576}"),
                new Endpoint(false, "DELETE", "/topic/delete?topic_name={q}", null),
                new Endpoint(false, "DELETE", "/topic/delete?topic_name={q}&force=true", null),
                new Endpoint(false, "POST", "/consumer/start", """
                        {"consumer_id":"fuzz-1","kafka_topic":"fuzz-topic","pipeline_name":"fuzz","connection_id":"target","max_event":10,
                         "max_time":60,"job_type":"sync","auto_offset_reset":"latest"}"""),
                new Endpoint(false, "POST", "/consumer/stop?consumer_id={q}", null),
                new Endpoint(false, "GET", "/consumer/list", null),
                new Endpoint(false, "GET", "/consumer/info/{name}", null),
                new Endpoint(false, "GET", "/actuator/health", null),
                new Endpoint(false, "GET", "/actuator/metrics/{name}", null),
                new Endpoint(false, "POST", "/actuator/jolokia", "{\"type\":\"read\",\"mbean\":\"java.lang:type=Memory\",\"attribute\":\"HeapMemoryUsage\"}"),
                new Endpoint(false, "GET", "/actuator/jolokia/read/{name}", null),
                new Endpoint(false, "GET", "/sse/stream?topics={q}", null),
                new Endpoint(true, "GET", "/connectors?expand={q}", null),
                new Endpoint(true, "POST", "/connectors", "{\"name\":\"fuzz-c\",\"config\":" + connectConfig + "}"),
                new Endpoint(true, "GET", "/connectors/{name}", null),
                new Endpoint(true, "DELETE", "/connectors/{name}", null),
                new Endpoint(true, "GET", "/connectors/{name}/config", null),
                new Endpoint(true, "PUT", "/connectors/{name}/config", connectConfig),
                new Endpoint(true, "GET", "/connectors/{name}/status", null),
                new Endpoint(true, "POST", "/connectors/{name}/restart?includeTasks={q}", null),
                new Endpoint(true, "PUT", "/connectors/{name}/pause", null),
                new Endpoint(true, "PUT", "/connectors/{name}/resume", null));
    }

    /** {@code perEndpoint} requests on each endpoint, plus a few without credentials. */
    void admin(int perEndpoint) {
        for (Endpoint e : endpoints()) {
            for (int i = 0; i < perEndpoint; i++) {
                String path = e.path().replace("{name}", pathValue()).replace("{q}", queryValue());
                BodyCase body = body(e, i);
                call(e, path, body, i % 17 != 16);
            }
        }
    }

    private record BodyCase(String contentType, byte[] bytes, String describe) {
    }

    private BodyCase body(Endpoint e, int i) {
        boolean write = !e.method().equals("GET") && !e.method().equals("DELETE");
        if (!write && random.nextInt(4) != 0) {
            return null;
        }
        int pick = random.nextInt(12);
        try {
            if (e.validBody() != null && pick < 6) {
                String mutated = JSON.writeValueAsString(mutate(JSON.readTree(e.validBody())));
                return json(mutated);
            }
            return switch (pick) {
                case 6 -> json(JSON.writeValueAsString(randomJson(3)));
                case 7 -> new BodyCase("application/json", randomBytes(1 + random.nextInt(300)), "random bytes");
                case 8 -> json(e.validBody() == null ? "{" : e.validBody().substring(0, random.nextInt(e.validBody().length())));
                case 9 -> json("[".repeat(5000) + "]".repeat(5000));
                case 10 -> json("{\"topic_name\":\"" + "x".repeat(1_200_000) + "\"}");
                default -> new BodyCase(random.nextBoolean() ? "text/plain" : "application/x-www-form-urlencoded",
                        "a=b&topic_name=x".getBytes(StandardCharsets.UTF_8), "non-JSON content type");
            };
        } catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static BodyCase json(String s) {
        return new BodyCase("application/json", s.getBytes(StandardCharsets.UTF_8),
                s.length() > 200 ? s.substring(0, 200) + "...(" + s.length() + " chars)" : s);
    }

    private void call(Endpoint e, String path, BodyCase body, boolean authenticated) {
        int port = e.connectPort() ? connectPort : mainPort;
        String describe = e.method() + " " + (path.length() > 200 ? path.substring(0, 200) + "..." : path)
                + (body == null ? "" : " body " + body.describe());
        HttpRequest.Builder request;
        try {
            request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30))
                    .method(e.method(), body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body.bytes()));
        } catch (IllegalArgumentException ex) {
            return; // not a URI this client can send
        }
        if (body != null) {
            request.header("Content-Type", body.contentType());
        }
        if (authenticated) {
            request.header("Authorization", "Bearer " + token);
        }
        requests++;
        try {
            HttpResponse<java.io.InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            int status = response.statusCode();
            String answer;
            try (java.io.InputStream in = response.body()) {
                // an SSE stream that was accepted stays open: read only what is there
                answer = path.startsWith("/sse/") && status == 200 ? "(stream)" : new String(in.readNBytes(2000), StandardCharsets.UTF_8);
            }
            statuses.merge(status, 1, Integer::sum);
            if (status >= 500 && !(status == 503 && path.startsWith("/consumer"))) {
                findings.add(new Finding(e.label(), status, describe, answer));
            }
        } catch (IOException ex) {
            noAnswer++;
            boolean huge = body != null && body.bytes().length > 1_000_000;
            if (!huge) {
                findings.add(new Finding(e.label(), -1, describe, "no answer: " + ex));
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    private String pathValue() {
        String v;
        do {
            v = switch (random.nextInt(8)) {
                case 0 -> "x".repeat(1 + random.nextInt(5000));
                case 1 -> "..%2F..%2Fetc%2Fpasswd";
                case 2 -> "%00";
                case 3 -> URLEncoder.encode(randomString(40), StandardCharsets.UTF_8);
                case 4 -> "fuzz-" + random.nextInt(1000);
                case 5 -> "%E2%82%AC%F0%9F%98%80";
                case 6 -> String.valueOf(random.nextLong());
                default -> URLEncoder.encode("${jndi:ldap://x}{{sys:user.home}}#class:java.lang.Runtime", StandardCharsets.UTF_8);
            };
        } while (protectedNames.contains(v));
        return v;
    }

    private String queryValue() {
        String v;
        do {
            v = URLEncoder.encode(switch (random.nextInt(6)) {
                case 0 -> "";
                case 1 -> randomString(30);
                case 2 -> "fuzz-topic-" + random.nextInt(1000);
                case 3 -> "y".repeat(300);
                case 4 -> "__consumer_offsets";
                default -> String.valueOf(random.nextInt());
            }, StandardCharsets.UTF_8);
        } while (protectedNames.contains(java.net.URLDecoder.decode(v, StandardCharsets.UTF_8)));
        return v;
    }

    /** A valid body with one thing wrong: a field of the wrong type, out of range, huge, missing, or an unknown field. */
    JsonNode mutate(JsonNode valid) {
        ObjectNode root = valid.deepCopy();
        ObjectNode target = root;
        if (root.has("config") && random.nextBoolean()) {
            target = (ObjectNode) root.get("config");
        }
        List<String> fields = new ArrayList<>();
        target.fieldNames().forEachRemaining(fields::add);
        String field = fields.get(random.nextInt(fields.size()));
        switch (random.nextInt(5)) {
            case 0 -> target.remove(field);
            case 1 -> target.set("unknown_" + random.nextInt(100), randomJson(1));
            default -> target.set(field, wrongValue());
        }
        if (random.nextInt(10) == 0) {
            return NODES.arrayNode().add(root);
        }
        return root;
    }

    private JsonNode wrongValue() {
        return switch (random.nextInt(14)) {
            case 0 -> NODES.nullNode();
            case 1 -> NODES.booleanNode(random.nextBoolean());
            case 2 -> NODES.numberNode(random.nextLong());
            case 3 -> NODES.numberNode(new java.math.BigDecimal("1e400"));
            case 4 -> NODES.numberNode(new java.math.BigInteger("99999999999999999999999999999999"));
            case 5 -> NODES.numberNode(-1);
            case 6 -> NODES.numberNode(0.5);
            case 7 -> NODES.textNode("x".repeat(100_000));
            case 8 -> NODES.textNode(randomString(50));
            case 9 -> NODES.arrayNode().add(1).add("a");
            case 10 -> NODES.objectNode().put("a", 1);
            case 11 -> NODES.textNode("{{sys:user.name}}#class:java.lang.String('x')");
            case 12 -> NODES.textNode("");
            default -> NODES.numberNode(Integer.MAX_VALUE);
        };
    }

    JsonNode randomJson(int depth) {
        int pick = random.nextInt(depth <= 0 ? 6 : 8);
        return switch (pick) {
            case 0 -> NODES.nullNode();
            case 1 -> NODES.booleanNode(random.nextBoolean());
            case 2 -> NODES.numberNode(random.nextLong());
            case 3 -> NODES.numberNode(random.nextDouble() * 1e300);
            case 4 -> NODES.textNode(randomString(30));
            case 5 -> NODES.numberNode(new java.math.BigDecimal("-1e-400"));
            case 6 -> {
                ArrayNode a = NODES.arrayNode();
                for (int i = random.nextInt(5); i > 0; i--) {
                    a.add(randomJson(depth - 1));
                }
                yield a;
            }
            default -> {
                ObjectNode o = NODES.objectNode();
                for (int i = random.nextInt(5); i > 0; i--) {
                    o.set(random.nextBoolean() ? randomString(8) : List.of("name", "config", "topic_name", "consumer_id", "action", "topics",
                            "filter", "ops", "resume").get(random.nextInt(9)), randomJson(depth - 1));
                }
                yield o;
            }
        };
    }

    String randomString(int max) {
        int length = random.nextInt(max + 1);
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(10);
            if (kind < 6) {
                sb.append((char) (' ' + random.nextInt(95)));
            } else if (kind < 8) {
                sb.append((char) (0xa0 + random.nextInt(0x2000)));
            } else if (kind == 8) {
                sb.append((char) random.nextInt(32));
            } else {
                sb.appendCodePoint(0x1F600 + random.nextInt(50));
            }
        }
        return sb.toString();
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    // ---------------------------------------------------------------- WebSocket

    /** Handshakes with bad tokens, then {@code messages} fuzzed frames over valid connections (reconnecting as needed). */
    void webSocket(String validToken, int messages, List<String> topics) {
        for (int i = 0; i < Math.max(5, messages / 50); i++) {
            String badToken = switch (i % 5) {
                case 0 -> "";
                case 1 -> randomString(40);
                case 2 -> validToken.substring(0, validToken.length() - 3) + "abc";
                case 3 -> "x".repeat(20_000);
                default -> "eyJhbGciOiJub25lIn0.eyJ0b3BpY3MiOlsiKiJdfQ.";
            };
            try {
                WsSession s = connect(badToken);
                s.close();
                findings.add(new Finding("websocket handshake", 101, "token " + badToken.substring(0, Math.min(30, badToken.length())),
                        "accepted a bad token"));
            } catch (WebSocketHandshakeException e) {
                int status = e.getResponse().statusCode();
                statuses.merge(status, 1, Integer::sum);
                if (status >= 500) {
                    findings.add(new Finding("websocket handshake", status, "bad token", String.valueOf(e.getResponse().body())));
                }
            } catch (IOException e) {
                noAnswer++;
            }
        }
        WsSession session = null;
        for (int i = 0; i < messages; i++) {
            try {
                if (session == null || session.closed()) {
                    if (session != null) {
                        wsCloseCodes.merge(session.closeCode(), 1, Integer::sum);
                        if ("1011".equals(session.closeCode())) {
                            findings.add(new Finding("websocket", 1011, session.lastSent, "closed with 1011 (server error)"));
                        }
                    }
                    session = connect(validToken);
                }
                wsMessages++;
                sendFuzz(session, topics);
            } catch (IOException e) {
                findings.add(new Finding("websocket", -1, "connect", "no answer: " + e));
                session = null;
            }
        }
        if (session != null) {
            session.close();
        }
    }

    private void sendFuzz(WsSession s, List<String> topics) {
        int pick = random.nextInt(12);
        String text;
        try {
            text = switch (pick) {
                case 0 -> randomString(200);
                case 1 -> JSON.writeValueAsString(randomJson(3));
                case 2 -> JSON.writeValueAsString(mutate(JSON.readTree("{\"action\":\"subscribe\",\"topics\":[\"" + topics.get(0)
                        + "\"],\"filter\":{\"label\":[\"a\",\"b\"]},\"ops\":[\"c\",\"u\"]}")));
                case 3 -> "{\"action\":\"subscribe\",\"topics\":[\"" + topics.get(random.nextInt(topics.size())) + "\"],\"resume\":"
                        + JSON.writeValueAsString(random.nextBoolean() ? randomString(60) : randomJson(2)) + "}";
                case 4 -> "{\"action\":\"unsubscribe\",\"topics\":" + JSON.writeValueAsString(randomJson(2)) + "}";
                case 5 -> "{\"action\":\"ping\"}";
                case 6 -> "{\"action\":" + JSON.writeValueAsString(randomJson(1)) + "}";
                case 7 -> "{\"action\":\"subscribe\",\"topics\":[" + ("\"" + "t".repeat(50) + "\",").repeat(150) + "\"x\"]}";
                case 8 -> "x".repeat(9000); // over max-message-size: closed with 1009
                case 9 -> "{\"action\":\"subscribe\",\"topics\":[\"" + topics.get(0) + "\"],\"filter\":{\"amount\":[1e400,-0.0,\"NaN\"],"
                        + "\"rev\":{\"gt\":1}},\"ops\":[\"x\",null,1]}";
                case 10 -> null; // binary frame
                default -> "{\"action\":\"subscribe\",\"topics\":\"" + topics.get(0) + "\",\"ops\":\"cud\"}";
            };
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        s.lastSent = text == null ? "(binary)" : text.length() > 120 ? text.substring(0, 120) + "..." : text;
        if (text == null) {
            s.await(s.ws.sendBinary(ByteBuffer.wrap(randomBytes(1 + random.nextInt(100))), true));
        } else {
            s.await(s.ws.sendText(text, true));
        }
        s.drain(50);
    }

    /** What the last {@link #webSocketWorks} check received (its first frames and how it ended). */
    String lastCheck = "";

    /** Connects with the token, subscribes to the topic and pings: the gateway still works after the fuzz. */
    boolean webSocketWorks(String validToken, String topic) {
        List<String> frames = new ArrayList<>();
        try {
            WsSession s = connect(validToken);
            // one send at a time: the JDK client fails a send made while the previous one is pending
            s.await(s.ws.sendText("{\"action\":\"subscribe\",\"topics\":[\"" + topic + "\"]}", true));
            s.await(s.ws.sendText("{\"action\":\"ping\"}", true));
            boolean subscribed = false;
            boolean pong = false;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!(subscribed && pong) && System.nanoTime() < deadline) {
                String m = s.received.poll(500, TimeUnit.MILLISECONDS);
                if (m != null) {
                    if (frames.size() < 3 && !m.startsWith("{\"topic\"")) {
                        frames.add(m.length() > 300 ? m.substring(0, 300) : m);
                    }
                    subscribed |= m.contains("\"subscribed\"");
                    pong |= m.contains("\"pong\"");
                }
            }
            lastCheck = "frames " + frames + ", closed " + s.closeCode;
            s.close();
            return subscribed && pong;
        } catch (IOException e) {
            lastCheck = "connect failed: " + e;
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private WsSession connect(String token) throws IOException {
        wsConnections++;
        WsSession s = new WsSession();
        try {
            s.ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(URI.create("ws://127.0.0.1:" + mainPort + "/ws/stream?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)), s)
                    .get(30, TimeUnit.SECONDS);
            return s;
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                throw h;
            }
            throw new IOException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("handshake timed out", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static final class WsSession implements WebSocket.Listener {
        WebSocket ws;
        final LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        volatile String closeCode;
        volatile String lastSent;
        private final StringBuilder partial = new StringBuilder();

        /** Waits for a send to complete (a send on a connection the server closed fails: the next frame reconnects). */
        void await(CompletableFuture<WebSocket> send) {
            try {
                send.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // closed by the server meanwhile, or not writable: closed() tells
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        boolean closed() {
            return closeCode != null || ws.isInputClosed() || ws.isOutputClosed();
        }

        String closeCode() {
            return closeCode == null ? "aborted" : closeCode;
        }

        void drain(long millis) {
            try {
                String m = received.poll(millis, TimeUnit.MILLISECONDS);
                while (m != null) {
                    m = received.poll();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void close() {
            if (!ws.isOutputClosed()) {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
            }
            ws.abort();
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                received.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeCode = String.valueOf(statusCode);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            if (closeCode == null) {
                closeCode = "error " + error.getClass().getSimpleName();
            }
        }
    }
}
