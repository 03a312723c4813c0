package io.cdchub.aggregation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.cdchub.change.ChangeEvent;
import io.cdchub.sink.SinkDeadLetters;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The step of every consumer route (route template {@code kafka-to-aggregation}, step {@code aggregate-poll}), once per
 * Kafka poll: parses each record once, dead-letters the records that are not change events (each alone, with its
 * reason; the rest of the poll goes on), adds the poll's events to the consumer's window in Redis in one atomic step
 * (split exactly where a window reaches max_event: {@link WindowStore#add}), and hands the windows that step completed
 * to route {@code aggregation-window}, off the consumer thread. A Redis failure fails the whole poll, which the route
 * retries without committing and without dead letters; on the retry, the records stored before are skipped by their
 * offsets, so none is counted twice.
 */
@Component("windowAggregator")
public class WindowAggregator {

    private static final Logger LOG = LoggerFactory.getLogger(WindowAggregator.class);

    /** Exchange property: the consumer id (set by the route). */
    public static final String CONSUMER = "cdc.consumer";
    /** Exchange property: the consumer's max_event (set by the route). */
    public static final String MAX_EVENTS = "cdc.consumer.max-events";
    /** Exchange property: the poll's parsed events, kept for a retry of the same poll. */
    private static final String EVENTS = "cdc.consumer.events";
    /** Conflicts with other writers of the window (the timer, other instances) one store may meet before it gives up. */
    private static final int MAX_CONFLICTS = 100;

    private final WindowEvents parser;
    private final WindowStore store;
    private final TopicIncarnations incarnations;
    private final ConsumerRoutes consumers;
    private final SinkDeadLetters deadLetters;
    /**
     * Per consumer, its open window as this instance's last store left it, so a poll is stored without reading the
     * window first; when another writer changed it meanwhile, the store says so and the window is read again.
     */
    private final Map<String, LastSeen> lastSeen = new ConcurrentHashMap<>();

    private record LastSeen(Window open) {
    }

    public WindowAggregator(WindowEvents parser, WindowStore store, TopicIncarnations incarnations, ConsumerRoutes consumers,
                            SinkDeadLetters deadLetters) {
        this.parser = parser;
        this.store = store;
        this.incarnations = incarnations;
        this.consumers = consumers;
        this.deadLetters = deadLetters;
    }

    public void aggregate(Exchange poll) {
        String consumerId = poll.getProperty(CONSUMER, String.class);
        @SuppressWarnings("unchecked")
        List<AggregationEvent> events = poll.getProperty(EVENTS, List.class);
        if (events == null) {
            events = parse(poll, consumerId);
            poll.setProperty(EVENTS, events);
        }
        if (events.isEmpty()) {
            return;
        }
        checkIncarnations(consumerId, events);
        int maxEvents = poll.getProperty(MAX_EVENTS, Integer.class);
        WindowStore.Stored stored;
        try {
            stored = store(consumerId, events, maxEvents);
        } catch (RuntimeException e) {
            lastSeen.remove(consumerId); // the store may have happened: read the window again
            throw e;
        }
        lastSeen.put(consumerId, new LastSeen(stored.open()));
        if (!stored.completed().isEmpty()) {
            // the run drains the consumer's completed windows in order up to the newest
            consumers.runWindows(consumerId, stored.completed().get(stored.completed().size() - 1));
        }
    }

    private WindowStore.Stored store(String consumerId, List<AggregationEvent> events, int maxEvents) {
        for (int conflicts = 0; conflicts < MAX_CONFLICTS; conflicts++) {
            LastSeen seen = lastSeen.get(consumerId);
            Window open = seen != null ? seen.open() : store.open(consumerId);
            WindowStore.Stored stored = store.add(consumerId, open, events, maxEvents);
            if (stored != null) {
                return stored;
            }
            lastSeen.remove(consumerId);
        }
        throw new IllegalStateException("consumer " + consumerId + ": its open window changed " + MAX_CONFLICTS
                + " times while a poll was being stored (retried)");
    }

    private List<AggregationEvent> parse(Exchange poll, String consumerId) {
        List<?> records = poll.getMessage().getBody(List.class);
        if (records == null || records.isEmpty()) {
            return List.of();
        }
        List<AggregationEvent> events = new ArrayList<>(records.size());
        for (Object item : records) {
            Exchange record = (Exchange) item;
            try {
                AggregationEvent event = parser.parse(record);
                if (event != null) { // a tombstone: the delete before it carries the change
                    events.add(event);
                }
            } catch (NotAChangeEventException e) {
                if (deadLetters.send(record, e, poll.getFromRouteId(), poll.getFromEndpoint().getEndpointUri())) {
                    LOG.warn("Consumer {}: dead-lettered {}: {}", consumerId, ChangeEvent.origin(record), e.getMessage());
                }
            }
        }
        return events;
    }

    /** Once per run of records of one partition (a poll holds long runs), never per record. */
    private void checkIncarnations(String consumerId, List<AggregationEvent> events) {
        int first = 0;
        for (int i = 1; i <= events.size(); i++) {
            if (i == events.size() || !samePartition(events.get(i), events.get(first))) {
                incarnations.check(consumerId, events.get(first), events.get(i - 1).offset());
                first = i;
            }
        }
    }

    private static boolean samePartition(AggregationEvent a, AggregationEvent b) {
        return a.partition() == b.partition() && a.topic().equals(b.topic());
    }
}
