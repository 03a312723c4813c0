package io.cdchub.deadletter;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * Which dead letters a listing, summary or replay is about: filters (all optional, all must hold) or explicit places in
 * the dead-letter topic. Validated when made, so a bad request never reaches Kafka.
 *
 * @param route   the route that failed them ({@code cdc.dlq.route-id}), exactly
 * @param topic   their original topic ({@code cdc.dlq.original-topic}), exactly
 * @param reason  text found, ignoring case, in the exception class or message
 * @param from    written to the dead-letter topic at or after this time
 * @param until   written before this time
 * @param offsets explicit dead letters by partition and offset (no filters with them); empty: none named
 */
public record DeadLetterSelection(String route, String topic, String reason, Instant from, Instant until, List<Position> offsets) {

    /** A dead letter's place in the dead-letter topic. */
    public record Position(int partition, long offset) {
        @Override
        public String toString() {
            return partition + "/" + offset;
        }
    }

    /** @throws IllegalArgumentException naming the field at fault, as {@code field: reason} */
    public DeadLetterSelection {
        offsets = offsets == null ? List.of() : List.copyOf(offsets);
        if (from != null && until != null && !from.isBefore(until)) {
            throw new IllegalArgumentException("until: must be after from (" + from + "), but is " + until);
        }
        if (!offsets.isEmpty() && (route != null || topic != null || reason != null || from != null || until != null)) {
            throw new IllegalArgumentException("offsets: name dead letters either by offsets or by filters (route, topic, reason, from, until), not both");
        }
        for (Position position : offsets) {
            if (position.partition() < 0 || position.offset() < 0) {
                throw new IllegalArgumentException("offsets: partitions and offsets are not negative, but one is " + position);
            }
        }
    }

    /** True when it chooses nothing in particular (every dead letter). */
    public boolean isEverything() {
        return offsets.isEmpty() && route == null && topic == null && reason == null && from == null && until == null;
    }

    boolean matches(DeadLetter letter) {
        if (!offsets.isEmpty()) {
            return offsets.contains(new Position(letter.partition(), letter.offset()));
        }
        return (route == null || route.equals(letter.routeId()))
                && (topic == null || topic.equals(letter.originalTopic()))
                && (reason == null || letter.reason().toLowerCase(Locale.ROOT).contains(reason.toLowerCase(Locale.ROOT)))
                && (from == null || !letter.timestamp().isBefore(from))
                && (until == null || letter.timestamp().isBefore(until));
    }
}
