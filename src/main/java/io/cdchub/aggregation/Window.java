package io.cdchub.aggregation;

import java.util.ArrayList;
import java.util.List;

/**
 * The body of an aggregated exchange: a handle on a consumer's window in Redis, plus the events aggregated into it
 * in memory and not yet written there. The events themselves live in Redis only (deduplicated per key), so a
 * window of any size costs one small object here.
 */
public final class Window {

    /** Version of a window not yet in Redis. */
    static final long NEW = -1;

    private final String consumerId;
    private final String windowId;
    private final long firstEventAt;
    private long version;
    private long count;
    private boolean completed;
    private final List<AggregationEvent> pending = new ArrayList<>();

    Window(String consumerId, String windowId, long firstEventAt, long version, long count) {
        this.consumerId = consumerId;
        this.windowId = windowId;
        this.firstEventAt = firstEventAt;
        this.version = version;
        this.count = count;
    }

    public String consumerId() {
        return consumerId;
    }

    public String windowId() {
        return windowId;
    }

    /** Epoch millis of the window's first event: max_time counts from here. */
    public long firstEventAt() {
        return firstEventAt;
    }

    long version() {
        return version;
    }

    void stored(long newVersion) {
        version = newVersion;
        pending.clear();
    }

    /** Events stored in Redis (before those pending here). */
    public long count() {
        return count;
    }

    List<AggregationEvent> pending() {
        return pending;
    }

    /** Whether the window has been moved to the consumer's completed windows in Redis. */
    public boolean completed() {
        return completed;
    }

    void markCompleted() {
        completed = true;
        pending.clear();
    }

    @Override
    public String toString() {
        return "Window[" + consumerId + "/" + windowId + ", " + count + " stored, " + pending.size() + " pending]";
    }
}
