package io.cdchub.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.CdcHubApplication;
import io.cdchub.config.CdcHubProperties;
import io.cdchub.config.InvalidConfigurationException;
import io.cdchub.config.InvalidConfigurationFailureAnalyzer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** The gateway's pieces without servers: settings, positions, filters, record frames, a connection's bounded queue. */
class GatewayUnitsTest {

    private static final GatewayProperties.Jwt JWT = new GatewayProperties.Jwt(Tokens.SECRET, "", "", "", "topics", Duration.ofSeconds(30));

    static GatewayProperties settings(boolean allowAnonymous, GatewayProperties.Jwt jwt, int buffer, String overflow) {
        return new GatewayProperties(true, List.of(), null, Map.of("prices", "cdc.commodity_prices"), allowAnonymous, jwt,
                new GatewayProperties.RowFilter("", ""), buffer, overflow, Duration.ofSeconds(30), 100, 10, 10, 65536, 10000,
                Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(90), "", Duration.ofHours(24), 1024, 2, 4, 64, org.springframework.util.unit.DataSize.ofMegabytes(8), org.springframework.util.unit.DataSize.ofMegabytes(512), 100, Duration.ZERO, List.of());
    }

    @Test
    void anEnabledGatewayNeedsAWayToCheckTokensUnlessAnonymousIsAllowed() {
        GatewayProperties.Jwt none = new GatewayProperties.Jwt("", "", "", "", "topics", Duration.ofSeconds(30));
        assertThatThrownBy(() -> settings(false, none, 1000, "close")).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("cdc.gateway.jwt.secret").hasMessageContaining("cdc.gateway.jwt.jwks-url")
                .hasMessageContaining("CDC_GATEWAY_JWT_SECRET").hasMessageContaining("allow-anonymous");
        assertThat(settings(true, none, 1000, "close").allowAnonymous()).isTrue();
        assertThatThrownBy(() -> settings(false, new GatewayProperties.Jwt("short", "", "", "", "topics", Duration.ZERO), 1000, "close"))
                .hasMessageContaining("cdc.gateway.jwt.secret").hasMessageContaining("32 bytes");
        assertThatThrownBy(() -> settings(false, new GatewayProperties.Jwt("", "ftp://x", "", "", "topics", Duration.ZERO), 1000, "close"))
                .hasMessageContaining("cdc.gateway.jwt.jwks-url");
        assertThatThrownBy(() -> settings(false, JWT, 0, "close")).hasMessageContaining("cdc.gateway.buffer");
        assertThatThrownBy(() -> settings(false, JWT, 10, "sometimes")).hasMessageContaining("cdc.gateway.overflow");
        assertThatThrownBy(() -> new GatewayProperties(true, List.of(), null, Map.of("x", "bad topic!"), false, JWT,
                new GatewayProperties.RowFilter("", ""), 1, "close", Duration.ofSeconds(1), 1, 1, 1, 1, 1, Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(2), "", Duration.ofHours(24), 1024, 2, 4, 64, org.springframework.util.unit.DataSize.ofMegabytes(8), org.springframework.util.unit.DataSize.ofMegabytes(512), 100, Duration.ZERO, List.of()))
                .hasMessageContaining("cdc.gateway.aliases.x");
        assertThatThrownBy(() -> new GatewayProperties(true, List.of(), null, Map.of(), false, JWT,
                new GatewayProperties.RowFilter("tenant_id", ""), 1, "close", Duration.ofSeconds(1), 1, 1, 1, 1, 1, Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(2), "", Duration.ofHours(24), 1024, 2, 4, 64, org.springframework.util.unit.DataSize.ofMegabytes(8), org.springframework.util.unit.DataSize.ofMegabytes(512), 100, Duration.ZERO, List.of()))
                .hasMessageContaining("cdc.gateway.row-filter.column");
        assertThatThrownBy(() -> new GatewayProperties(true, List.of(), null, Map.of(), false, JWT,
                new GatewayProperties.RowFilter("", ""), 1, "close", Duration.ofSeconds(30), 1, 1, 1, 1, 1, Duration.ZERO, Duration.ofSeconds(1),
                Duration.ofSeconds(30), "", Duration.ofHours(24), 1024, 2, 4, 64, org.springframework.util.unit.DataSize.ofMegabytes(8), org.springframework.util.unit.DataSize.ofMegabytes(512), 100, Duration.ZERO, List.of())).hasMessageContaining("cdc.gateway.idle-timeout");
        // off: nothing is checked
        assertThat(new GatewayProperties(false, null, null, null, false, none, new GatewayProperties.RowFilter("", ""), 0, null,
                Duration.ZERO, 0, 0, 0, 0, 0, Duration.ZERO, Duration.ZERO, Duration.ZERO, null, null, 0, 0, 0, 0, null, null, 0, null, null).enabled()).isFalse();
    }

    @Test
    void startUpFailsNamingThePropertiesWhenTheGatewayIsOnWithoutKeys() {
        Throwable failure = catchThrowable(() -> new SpringApplicationBuilder(CdcHubApplication.class).web(WebApplicationType.NONE)
                .run("--cdc.kafka.bootstrap-servers=127.0.0.1:1", "--cdc.source.enabled=false", "--cdc.gateway.enabled=true").close());
        FailureAnalysis analysis = new InvalidConfigurationFailureAnalyzer().analyze(failure);
        assertThat(analysis).as("failure analysis of %s", failure).isNotNull();
        assertThat(analysis.getDescription()).contains("cdc.gateway.jwt.secret").contains("cdc.gateway.jwt.jwks-url");
    }

    @Test
    void positionsRoundTripAndRefuseForgeries() {
        Map<TopicPartition, Long> next = new LinkedHashMap<>();
        next.put(new TopicPartition("cdc.public.orders", 0), 42L);
        next.put(new TopicPartition("cdc.commodity_prices", 3), 7L);
        Position.Codec codec = new Position.Codec("a-resume-key-of-at-least-32-bytes-long!", 100, Duration.ofHours(1).toMillis());
        String token = codec.encode(1234L, next);
        Position back = codec.decode(token);
        assertThat(back.sinceMs()).isEqualTo(1234L);
        assertThat(back.next()).isEqualTo(next);
        assertThat(token).matches("[A-Za-z0-9_-]+");
        Position.Codec otherKey = new Position.Codec("", 100, Duration.ofHours(1).toMillis());
        for (String bad : List.of("", "!!!", java.util.Base64.getUrlEncoder().encodeToString("v2;1;1;a:0:1".getBytes(StandardCharsets.UTF_8)),
                java.util.Base64.getUrlEncoder().encodeToString("v1;1;a:-1:1".getBytes(StandardCharsets.UTF_8)), otherKey.encode(1L, next),
                token.substring(0, token.length() - 2) + (token.endsWith("A") ? "BA" : "AA"))) {
            assertThatThrownBy(() -> codec.decode(bad)).isInstanceOf(ProtocolException.class)
                    .satisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo("invalid-resume"));
        }
    }

    @Test
    void recordsBecomeFramesWithTheEnvelopeAsJson() throws Exception {
        GatewayRecord record = GatewayRecord.parse("cdc.public.orders", 0, 5, "{\"id\":1}".getBytes(StandardCharsets.UTF_8),
                "{\"op\":\"d\",\"before\":{\"id\":1,\"status\":\"paid\",\"amount\":1.10},\"after\":null,\"source\":{\"ts_ms\":99}}"
                        .getBytes(StandardCharsets.UTF_8), 7);
        assertThat(record.op()).isEqualTo("d");
        assertThat(record.row().path("status").asText()).as("a delete's row is its before image").isEqualTo("paid");
        assertThat(record.commitMs()).isEqualTo(99);
        JsonNode frame = WsClient.JSON.readTree(record.frame("P"));
        assertThat(frame.path("topic").asText()).isEqualTo("cdc.public.orders");
        assertThat(frame.path("key").path("id").asInt()).isEqualTo(1);
        assertThat(record.frame("P")).as("numbers exactly as the source wrote them").contains("\"amount\":1.10");
        assertThat(frame.path("position").asText()).isEqualTo("P");

        assertThat(GatewayRecord.parse("t", 0, 0, null, null, 0)).as("tombstone").isNull();
        assertThatThrownBy(() -> GatewayRecord.parse("t", 0, 0, null, "{\"op\":\"c\"} trailing".getBytes(StandardCharsets.UTF_8), 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GatewayRecord.parse("t", 0, 0, null, "[1]".getBytes(StandardCharsets.UTF_8), 0))
                .isInstanceOf(IllegalArgumentException.class);
        GatewayRecord oddKey = GatewayRecord.parse("t", 0, 0, "not \"json".getBytes(StandardCharsets.UTF_8), "{}".getBytes(StandardCharsets.UTF_8), 3);
        assertThat(WsClient.JSON.readTree(oddKey.frame("x")).path("key").asText()).isEqualTo("not \"json");
        assertThat(oddKey.commitMs()).as("no source.ts_ms: the record timestamp").isEqualTo(3);
    }

    @Test
    void filtersCompareNumbersByValueAndTextByText() throws Exception {
        ChangeFilter filter = ChangeFilter.fromJson(WsClient.JSON.readTree("{\"status\":[\"paid\",\"shipped\"],\"qty\":2,\"note\":null}"),
                WsClient.JSON.readTree("[\"c\",\"u\"]"));
        assertThat(filter.accepts(record("c", "{\"status\":\"paid\",\"qty\":2.0,\"note\":null}"))).isTrue();
        assertThat(filter.accepts(record("u", "{\"status\":\"shipped\",\"qty\":2,\"note\":null}"))).isTrue();
        assertThat(filter.accepts(record("d", "{\"status\":\"paid\",\"qty\":2,\"note\":null}"))).as("op").isFalse();
        assertThat(filter.accepts(record("c", "{\"status\":\"new\",\"qty\":2,\"note\":null}"))).isFalse();
        assertThat(filter.accepts(record("c", "{\"status\":\"paid\",\"qty\":3,\"note\":null}"))).isFalse();
        assertThat(filter.accepts(record("c", "{\"status\":\"paid\",\"qty\":2}"))).as("a missing field matches nothing").isFalse();
        ChangeFilter fromQuery = ChangeFilter.fromJson(WsClient.JSON.readTree("{\"qty\":[\"2\"]}"), null);
        assertThat(fromQuery.accepts(record("c", "{\"qty\":2}"))).as("query strings are text").isTrue();
        assertThatThrownBy(() -> ChangeFilter.fromJson(null, WsClient.JSON.readTree("[\"x\"]"))).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> ChangeFilter.fromJson(WsClient.JSON.readTree("{\"a\":{\"b\":1}}"), null)).isInstanceOf(ProtocolException.class);
    }

    @Test
    void wildcardsInGrantedTopics() {
        GatewayPrincipal principal = new GatewayPrincipal("s", false, List.of(GatewayPrincipal.glob("cdc.public.*"),
                GatewayPrincipal.glob("prices")), null);
        assertThat(principal.mayRead("cdc.public.orders", List.of())).isTrue();
        assertThat(principal.mayRead("cdc.publicXorders", List.of())).as("'.' is literal").isFalse();
        assertThat(principal.mayRead("cdc.commodity_prices", List.of("prices"))).as("granted by alias").isTrue();
        assertThat(principal.mayRead("cdc.other.t", List.of())).isFalse();
    }

    @Test
    void aFullQueueClosesWithLaggingOrDropsTheOldest() {
        HeldOutlet outlet = new HeldOutlet();
        GatewayHub hub = hub(settings(false, JWT, 3, "close"));
        try {
            ClientConnection connection = hub.open(GatewayPrincipal.anonymousUser(), outlet);
            connection.enqueue(Outlet.Frame.control("{\"n\":0}"));
            org.awaitility.Awaitility.await().until(() -> outlet.sent.size() == 1); // in flight, never completing
            for (int i = 1; i <= 4; i++) {
                connection.enqueue(Outlet.Frame.control("{\"n\":" + i + "}"));
            }
            outlet.autoComplete = true;
            outlet.completeAll();
            org.awaitility.Awaitility.await().until(() -> outlet.closedWith != 0);
            assertThat(outlet.sent.get(outlet.sent.size() - 1)).contains("lagging");
            assertThat(outlet.closedWith).isEqualTo(1013);
        } finally {
            hub.close();
        }

        HeldOutlet dropping = new HeldOutlet();
        GatewayHub dropHub = hub(settings(false, JWT, 3, "drop-oldest"));
        try {
            ClientConnection connection = dropHub.open(GatewayPrincipal.anonymousUser(), dropping);
            connection.enqueue(Outlet.Frame.control("{\"n\":0}"));
            org.awaitility.Awaitility.await().until(() -> dropping.sent.size() == 1);
            for (int i = 1; i <= 5; i++) {
                connection.enqueue(Outlet.Frame.control("{\"n\":" + i + "}"));
            }
            dropping.autoComplete = true;
            dropping.completeAll();
            org.awaitility.Awaitility.await().until(() -> dropping.sent.size() == 5);
            assertThat(dropping.sent).containsExactly("{\"n\":0}", "{\"type\":\"lagging\",\"dropped\":2,"
                    + "\"message\":\"the oldest changes were dropped: the client did not keep up\"}", "{\"n\":3}", "{\"n\":4}", "{\"n\":5}");
            assertThat(dropping.closedWith).isZero();
        } finally {
            dropHub.close();
        }
    }

    private static GatewayHub hub(GatewayProperties settings) {
        CdcHubProperties hub = new CdcHubProperties("cdc", Path.of("."), Map.of(), new CdcHubProperties.Kafka("127.0.0.1:1", Map.of()),
                new CdcHubProperties.Topics(true, -1, (short) -1, Map.of()), new CdcHubProperties.DeadLetter("cdc.dlq", "cdc-hub-dlq-replays"));
        return new GatewayHub(settings, new GatewayTopics(settings, hub, null), new GatewayMetrics(new SimpleMeterRegistry()), hub);
    }

    private static GatewayRecord record(String op, String row) {
        String value = "{\"op\":\"" + op + "\",\"" + ("d".equals(op) ? "before" : "after") + "\":" + row + "}";
        return GatewayRecord.parse("t", 0, 0, null, value.getBytes(StandardCharsets.UTF_8), 0);
    }

    /** An outlet whose writes complete only when told (a client that does not read). */
    static final class HeldOutlet implements Outlet {
        final List<String> sent = java.util.Collections.synchronizedList(new ArrayList<>());
        final List<Consumer<Throwable>> pending = new ArrayList<>();
        volatile boolean autoComplete;
        volatile int closedWith;

        @Override
        public synchronized void send(Frame frame, Consumer<Throwable> done) {
            sent.add(frame.text());
            if (autoComplete) {
                done.accept(null);
            } else {
                pending.add(done);
            }
        }

        synchronized void completeAll() {
            List<Consumer<Throwable>> now = new ArrayList<>(pending);
            pending.clear();
            now.forEach(d -> d.accept(null));
        }

        @Override
        public void close(int code, String reason) {
            closedWith = code;
        }

        @Override
        public String transport() {
            return "websocket";
        }
    }
}
