package io.cdchub.ops;

import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * {@code camelContext}, for the liveness group: UP while the Camel context is started (or still starting). Unlike
 * camel-spring-boot's {@code camelLivenessState}, it does not run Camel's route and consumer checks, which follow
 * external servers (a Kafka consumer's check is DOWN while Kafka is): those belong to readiness ({@code camelHealth}).
 */
public class CamelContextHealthIndicator extends AbstractHealthIndicator {

    private final CamelContext camel;

    public CamelContextHealthIndicator(CamelContext camel) {
        super("Camel context check failed");
        this.camel = camel;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        ServiceStatus status = camel.getStatus();
        builder.withDetail("name", camel.getName()).withDetail("status", status.name());
        if (status.isStarted() || status.isStarting()) {
            builder.up();
        } else {
            builder.down();
        }
    }
}
