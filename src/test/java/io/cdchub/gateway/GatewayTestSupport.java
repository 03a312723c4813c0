package io.cdchub.gateway;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import io.cdchub.config.CdcHubProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.convert.ApplicationConversionService;

/** Unit-test helpers: gateway settings bound from properties (as Spring binds them) and a hub without servers. */
final class GatewayTestSupport {

    private GatewayTestSupport() {
    }

    /** {@code cdc.gateway.*} settings: enabled, the test HS256 secret, plus the given keys (without the prefix). */
    static GatewayProperties settings(Map<String, String> overrides) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("cdc.gateway.enabled", "true");
        properties.put("cdc.gateway.jwt.secret", Tokens.SECRET);
        properties.put("cdc.gateway.jwt.issuer", Tokens.ISSUER);
        properties.put("cdc.gateway.jwt.audience", Tokens.AUDIENCE);
        properties.put("cdc.gateway.aliases.prices", "cdc.commodity_prices");
        overrides.forEach((key, value) -> properties.put("cdc.gateway." + key, value));
        return new Binder(java.util.List.of(new MapConfigurationPropertySource(properties)), null, ApplicationConversionService.getSharedInstance())
                .bindOrCreate("cdc.gateway", GatewayProperties.class);
    }

    static CdcHubProperties hubProperties() {
        return new CdcHubProperties("cdc", Path.of("."), Map.of(), new CdcHubProperties.Kafka("127.0.0.1:1", Map.of()),
                new CdcHubProperties.Topics(true, -1, (short) -1, Map.of()), new CdcHubProperties.DeadLetter("cdc.dlq", "cdc-hub-dlq-replays"));
    }

    static GatewayHub hub(GatewayProperties settings) {
        return hub(settings, new GatewayTopics(settings, hubProperties(), null));
    }

    static GatewayHub hub(GatewayProperties settings, GatewayTopics topics) {
        return new GatewayHub(settings, topics, new GatewayMetrics(new SimpleMeterRegistry()), hubProperties());
    }

    /** A change record of topic t, partition 0. */
    static GatewayRecord record(String topic, long offset, String value) {
        return GatewayRecord.parse(topic, 0, offset, ("{\"id\":" + offset + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                value.getBytes(java.nio.charset.StandardCharsets.UTF_8), 0);
    }

    /** Topics without Kafka: every served name exists. */
    static GatewayTopics knownTopics(GatewayProperties settings) {
        return new GatewayTopics(settings, hubProperties(), null) {
            @Override
            public String resolve(String requested) {
                String topic = settings.aliases().getOrDefault(requested, requested);
                if (!isServed(topic)) {
                    throw new ProtocolException("unknown-topic", "'" + requested + "' is not served");
                }
                return topic;
            }
        };
    }

    /** The n-th frame an outlet was given, once it is there. */
    static String sent(GatewayUnitsTest.HeldOutlet outlet, int n) {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> outlet.sent.size() > n);
        return outlet.sent.get(n);
    }

    static com.fasterxml.jackson.databind.JsonNode json(String text) {
        try {
            return WsClient.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
