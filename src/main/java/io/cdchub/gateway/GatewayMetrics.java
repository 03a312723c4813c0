package io.cdchub.gateway;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The gateway's meters: gauges {@code cdc.gateway.connections} (tag transport: websocket, sse) and
 * {@code cdc.gateway.subscriptions} (topics subscribed over all connections); counters {@code cdc.gateway.messages.sent},
 * {@code cdc.gateway.messages.dropped} (tag reason: lagging, drop-oldest, not-json), {@code cdc.gateway.connections.refused}
 * (tag reason: unauthorized, limit) and {@code cdc.gateway.connections.closed.lagging}; the timer
 * {@code cdc.gateway.latency}: from the source's commit ({@code source.ts_ms}) to the frame written to the client,
 * with a percentile histogram.
 */
public final class GatewayMetrics {

    private final AtomicInteger websocketConnections = new AtomicInteger();
    private final AtomicInteger sseConnections = new AtomicInteger();
    private final AtomicInteger subscriptions = new AtomicInteger();
    private final Counter sent;
    private final Counter droppedLagging;
    private final Counter droppedOldest;
    private final Counter droppedNotJson;
    private final Counter refusedUnauthorized;
    private final Counter refusedLimit;
    private final Counter closedLagging;
    private final Timer latency;

    public GatewayMetrics(MeterRegistry registry) {
        Gauge.builder("cdc.gateway.connections", websocketConnections, AtomicInteger::get).tag("transport", "websocket")
                .description("Clients connected to the gateway").register(registry);
        Gauge.builder("cdc.gateway.connections", sseConnections, AtomicInteger::get).tag("transport", "sse")
                .description("Clients connected to the gateway").register(registry);
        Gauge.builder("cdc.gateway.subscriptions", subscriptions, AtomicInteger::get)
                .description("Topics subscribed, over all connections").register(registry);
        sent = Counter.builder("cdc.gateway.messages.sent").description("Change messages written to clients").register(registry);
        droppedLagging = dropped(registry, "lagging");
        droppedOldest = dropped(registry, "drop-oldest");
        droppedNotJson = dropped(registry, "not-json");
        refusedUnauthorized = refused(registry, "unauthorized");
        refusedLimit = refused(registry, "limit");
        closedLagging = Counter.builder("cdc.gateway.connections.closed.lagging").description("Clients closed with 1013 for lagging")
                .register(registry);
        latency = Timer.builder("cdc.gateway.latency").description("From the source's commit to the change written to a client")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
    }

    private static Counter dropped(MeterRegistry registry, String reason) {
        return Counter.builder("cdc.gateway.messages.dropped").tag("reason", reason).description("Change messages not delivered")
                .register(registry);
    }

    private static Counter refused(MeterRegistry registry, String reason) {
        return Counter.builder("cdc.gateway.connections.refused").tag("reason", reason).description("Handshakes refused").register(registry);
    }

    AtomicInteger connections(String transport) {
        return "sse".equals(transport) ? sseConnections : websocketConnections;
    }

    public int connections() {
        return websocketConnections.get() + sseConnections.get();
    }

    void subscriptions(int delta) {
        subscriptions.addAndGet(delta);
    }

    void sent(long commitMs) {
        sent.increment();
        if (commitMs > 0) {
            latency.record(Math.max(0, System.currentTimeMillis() - commitMs), TimeUnit.MILLISECONDS);
        }
    }

    void droppedLagging(int n) {
        droppedLagging.increment(n);
        closedLagging.increment();
    }

    void droppedOldest() {
        droppedOldest.increment();
    }

    void notJson() {
        droppedNotJson.increment();
    }

    void refusedUnauthorized() {
        refusedUnauthorized.increment();
    }

    void refusedLimit() {
        refusedLimit.increment();
    }
}
