package io.cdchub.sink;

import java.util.List;

import io.cdchub.change.ChangeEvent;

/**
 * One request a {@link Sink} sends to its target: the prepared items and the events they came from, in the same order
 * (so a refusal of item {@code i} dead-letters event {@code i}). The runner may write a request in parts
 * ({@link #slice}) when the target refuses it as a whole.
 *
 * @param target what the request writes to (a table, an index), for messages and for the sink's own use
 * @param events the change events, one per item
 * @param items  the target's form of each event
 */
public record SinkRequest<I>(String target, List<ChangeEvent> events, List<I> items) {

    public SinkRequest {
        if (events.size() != items.size()) {
            throw new IllegalArgumentException("a request needs one item per event, but has " + items.size() + " items for " + events.size() + " events");
        }
    }

    public int size() {
        return items.size();
    }

    public boolean isEmpty() {
        return items.isEmpty();
    }

    /** Items {@code from} (inclusive) to {@code to} (exclusive), with their events. */
    public SinkRequest<I> slice(int from, int to) {
        return new SinkRequest<>(target, events.subList(from, to), items.subList(from, to));
    }
}
