package io.cdchub.aggregation;

import java.util.UUID;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

/**
 * Aggregation strategy of every consumer route: adds the new event to the window (in memory; the repository writes
 * it to Redis in the same step, deduplicated per key by LSN). Returns the old exchange, as recoverable repositories
 * want. A window completed before it ever reached Redis (max_event 1) is written to the completed windows here.
 */
@Component("windowAggregation")
public class WindowAggregation implements AggregationStrategy {

    /** Exchange property: the consumer id (set by the route before the aggregator). */
    public static final String CONSUMER = "cdc.consumer";
    /** Exchange property: epoch millis of the window's first event (read by {@link WindowClock}). */
    public static final String FIRST_EVENT_AT = "cdc.window.first-event-at";

    private final WindowStore store;

    public WindowAggregation(WindowStore store) {
        this.store = store;
    }

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        AggregationEvent event = newExchange.getMessage().getBody(AggregationEvent.class);
        Window window;
        Exchange answer;
        if (oldExchange == null) {
            String consumerId = newExchange.getProperty(CONSUMER, String.class);
            window = new Window(consumerId, UUID.randomUUID().toString(), System.currentTimeMillis(), Window.NEW, 0);
            newExchange.setExchangeId(window.windowId());
            newExchange.getMessage().setBody(window);
            answer = newExchange;
        } else {
            window = oldExchange.getMessage().getBody(Window.class);
            answer = oldExchange;
        }
        window.pending().add(event);
        newExchange.setProperty(FIRST_EVENT_AT, window.firstEventAt());
        return answer;
    }

    @Override
    public void onCompletion(Exchange exchange) {
        Window window = exchange.getMessage().getBody(Window.class);
        if (window != null && !window.completed()) {
            store.store(window, true);
        }
    }
}
