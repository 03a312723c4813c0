package io.cdchub.aggregation;

import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Readiness of aggregation ({@code aggregation} in the readiness group): UP while this instance runs no consumer,
 * whether a Redis is reachable or not (Redis is needed only once consumers are used, so Spring Boot's own Redis
 * indicator is off); with consumers running, DOWN while Redis cannot be reached, or while the target of one of them is
 * unavailable (its run is retried; {@code targetUnavailable} names the consumers and why).
 */
@Component("aggregation")
public class AggregationHealthIndicator implements HealthIndicator {

    private final ConsumerRoutes consumers;
    private final WindowStore store;
    private final WindowRunner runner;

    public AggregationHealthIndicator(ConsumerRoutes consumers, WindowStore store, WindowRunner runner) {
        this.consumers = consumers;
        this.store = store;
        this.runner = runner;
    }

    @Override
    public Health health() {
        var running = consumers.runningIds();
        if (running.isEmpty()) {
            return Health.up().withDetail("consumers", 0).build();
        }
        try {
            if (store.ping()) {
                java.util.Map<String, String> unavailable = new java.util.TreeMap<>(runner.outages());
                unavailable.keySet().retainAll(running);
                if (!unavailable.isEmpty()) {
                    return Health.down().withDetail("consumers", running.size()).withDetail("redis", "reachable")
                            .withDetail("targetUnavailable", unavailable).build();
                }
                return Health.up().withDetail("consumers", running.size()).withDetail("redis", "reachable").build();
            }
        } catch (RuntimeException e) {
            return Health.down().withDetail("consumers", running.size()).withDetail("redis", "unreachable: " + e.getMessage()).build();
        }
        return Health.down().withDetail("consumers", running.size()).withDetail("redis", "no answer to PING").build();
    }
}
