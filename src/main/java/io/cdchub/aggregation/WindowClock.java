package io.cdchub.aggregation;

import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

/**
 * The aggregator's completion timeout, measured from the window's first event rather than from the latest one
 * (Camel's completionTimeout alone is an inactivity timeout: a steady trickle would keep a window open for ever).
 */
@Component("windowClock")
public class WindowClock {

    private final ConsumerRoutes consumers;

    public WindowClock(ConsumerRoutes consumers) {
        this.consumers = consumers;
    }

    /** Milliseconds left until the window of this event is due (at least 1). */
    public long remainingMs(Exchange exchange) {
        String consumerId = exchange.getProperty(WindowAggregation.CONSUMER, String.class);
        long first = exchange.getProperty(WindowAggregation.FIRST_EVENT_AT, System.currentTimeMillis(), Long.class);
        ConsumerDefinition definition = consumers.running(consumerId);
        long maxTimeMs = definition == null ? 1000 : definition.maxTime() * 1000;
        return Math.max(1, first + maxTimeMs - System.currentTimeMillis());
    }
}
