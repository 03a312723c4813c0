package io.cdchub.source;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one capture (the built-in source or a runtime connector) is doing, by engine name: whether its engine has
 * failed and is waiting to restart, why, and how many records are sent to Kafka and not yet acknowledged. Read by
 * the management API, metrics and health.
 */
public final class SourceStatus {

    private static final Map<String, SourceStatus> BY_ENGINE = new ConcurrentHashMap<>();

    private final String engine;
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicLong published = new AtomicLong();
    private volatile Throwable failure;
    private volatile Instant failedAt;
    /** Topics the capture has written to (Connect's "active topics"): kept across restarts, until cleared. */
    private final java.util.Set<String> activeTopics = ConcurrentHashMap.newKeySet();

    private SourceStatus(String engine) {
        this.engine = engine;
    }

    public static SourceStatus forEngine(String engine) {
        return BY_ENGINE.computeIfAbsent(engine, SourceStatus::new);
    }

    /** The engine stopped with this failure; it restarts from its committed offsets after the back-off. */
    void failed(Throwable cause) {
        failedAt = Instant.now();
        failure = cause;
    }

    /** A batch went through: whatever failed before is over. */
    void healthy() {
        if (failure != null) {
            failure = null;
            failedAt = null;
        }
    }

    void sending(int records) {
        inFlight.addAndGet(records);
    }

    void acknowledged(int records) {
        inFlight.addAndGet(-records);
        published.addAndGet(records);
    }

    public boolean failed() {
        return failure != null;
    }

    /** Why the engine last stopped, while it has not yet processed a batch since; else null. */
    public Throwable failure() {
        return failure;
    }

    public Instant failedAt() {
        return failedAt;
    }

    /** Records handed to the Kafka producer and not yet acknowledged. */
    public long inFlight() {
        return inFlight.get();
    }

    /** Records Kafka acknowledged since start. */
    public long published() {
        return published.get();
    }

    /** The capture writes to this topic (called when a batch's topic changes, so rarely). */
    void topicUsed(String topic) {
        activeTopics.add(topic);
    }

    /** Topics written to since the capture was created or these were last cleared, sorted. */
    public java.util.List<String> activeTopics() {
        return activeTopics.stream().sorted().toList();
    }

    /** Forgets the active topics (Connect's topics/reset, and when the connector is deleted). */
    public void clearActiveTopics() {
        activeTopics.clear();
    }

    /** Forgets the failure and in-flight count, when the capture is stopped or removed. */
    public void reset() {
        failure = null;
        failedAt = null;
        inFlight.set(0);
    }

    @Override
    public String toString() {
        return "SourceStatus[" + engine + ", in flight " + inFlight + (failure != null ? ", failed: " + failure : "") + "]";
    }
}
