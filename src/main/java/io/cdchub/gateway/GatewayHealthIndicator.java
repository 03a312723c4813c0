package io.cdchub.gateway;

import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * {@code gateway} (readiness group): up once the fan-out's Kafka consumer has its first partition assignment and has
 * positioned it. Clients that subscribe earlier lose nothing (see {@link GatewayHub#startLive}), but their changes
 * wait for the group join, so a load balancer should prefer instances already live.
 */
public class GatewayHealthIndicator extends AbstractHealthIndicator {

    private final GatewayHub hub;

    public GatewayHealthIndicator(GatewayHub hub) {
        super("Gateway check failed");
        this.hub = hub;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        if (hub.isLive()) {
            builder.up();
        } else {
            builder.down().withDetail("reason", "the gateway's Kafka consumer has no partition assignment yet");
        }
        builder.withDetail("assignedPartitions", hub.assignedPartitions()).withDetail("connections", hub.connectionCount());
    }
}
