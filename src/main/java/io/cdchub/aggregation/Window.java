package io.cdchub.aggregation;

/**
 * A handle on a consumer's window in Redis (the body of an {@code aggregation-window} exchange). The events themselves
 * live in Redis only (deduplicated per key), so a window of any size costs one small object here.
 */
public final class Window {

    private final String consumerId;
    private final String windowId;
    private final long firstEventAt;
    private final long version;
    private final long count;
    private boolean completed;

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

    /** Events stored in Redis. */
    public long count() {
        return count;
    }

    /** Whether the window has been moved to the consumer's completed windows in Redis. */
    public boolean completed() {
        return completed;
    }

    void markCompleted() {
        completed = true;
    }

    @Override
    public String toString() {
        return "Window[" + consumerId + "/" + windowId + ", " + count + " events]";
    }
}
