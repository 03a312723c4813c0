package io.cdchub.source;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * Keeps source offsets behind Kafka's acknowledgements. Debezium hands a change to the route and
 * moves on; the change is published asynchronously, so Debezium must not commit its offset (and
 * PostgreSQL must not release WAL) until Kafka has the change. Every change is registered here
 * before Debezium sees it as processed, and the offset store asks {@link #awaitPublished} before it
 * writes: offsets are written only when every change registered so far is acknowledged or
 * dead-lettered.
 *
 * <p>One ledger per source engine, found by the engine's name, because Debezium instantiates the
 * offset store itself, by class name.
 */
public final class PublishLedger {

    /** Exchange property carrying a change's ledger sequence from the source route to the publisher. */
    public static final String SEQUENCE_PROPERTY = "CdcHubPublishSequence";
    /** Exchange property marking an interrupt of the source's thread held back during the hand-off. */
    static final String HELD_INTERRUPT_PROPERTY = "CdcHubHeldInterrupt";

    private static final Map<String, PublishLedger> BY_ENGINE = new ConcurrentHashMap<>();

    private final String engineName;
    private final AtomicLong sequence = new AtomicLong();
    private final ConcurrentSkipListSet<Long> inFlight = new ConcurrentSkipListSet<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition progress = lock.newCondition();
    private volatile Throwable failure;
    private volatile Runnable onFailure = () -> { };

    private PublishLedger(String engineName) {
        this.engineName = engineName;
    }

    /** The ledger of the named source engine, created on first use. */
    public static PublishLedger forEngine(String engineName) {
        return BY_ENGINE.computeIfAbsent(engineName, PublishLedger::new);
    }

    /** Called once when a failure stops publishing, e.g. to restart the source from its last offsets. */
    public void onFailure(Runnable action) {
        this.onFailure = action;
    }

    /**
     * Registers the change in the exchange as in flight; call right before handing it to the publisher.
     *
     * <p>Also holds back a pending interrupt of the calling thread until {@link #restoreInterrupt} (right after
     * the hand-off): Debezium interrupts its task thread when it stops, and the seda producer's blocking put
     * drops an exchange without a word when interrupted. The change would then be registered but never
     * published, and the final offset commit on shutdown would wait for it in vain (and fail, so a restart
     * replays everything since the previous commit).
     */
    public void register(Exchange exchange) {
        long seq = sequence.incrementAndGet();
        inFlight.add(seq);
        exchange.setProperty(SEQUENCE_PROPERTY, seq);
        if (Thread.interrupted()) {
            exchange.setProperty(HELD_INTERRUPT_PROPERTY, Boolean.TRUE);
        }
    }

    /** Re-raises the interrupt {@link #register} held back, once the change is handed to the publisher. */
    public void restoreInterrupt(Exchange exchange) {
        if (exchange.removeProperty(HELD_INTERRUPT_PROPERTY) != null) {
            Thread.currentThread().interrupt();
        }
    }

    /** Settles the change when the publisher's exchange completes: acknowledged or dead-lettered, or failed. */
    public void settleOnCompletion(Exchange exchange) {
        Long seq = exchange.getProperty(SEQUENCE_PROPERTY, Long.class);
        if (seq == null) {
            throw new IllegalStateException("Exchange reached the Kafka publisher without a ledger sequence: it bypassed the source route");
        }
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onComplete(Exchange done) {
                settle(seq);
            }

            @Override
            public void onFailure(Exchange failed) {
                fail(failed.getException() != null ? failed.getException() : new IllegalStateException("publishing failed"));
            }
        });
    }

    void settle(long seq) {
        inFlight.remove(seq);
        signal();
    }

    void fail(Throwable cause) {
        boolean first;
        synchronized (this) {
            first = failure == null;
            if (first) {
                failure = cause; // the first failure is the cause; later ones follow from it
            }
        }
        signal();
        if (first) {
            onFailure.run();
        }
    }

    private void signal() {
        lock.lock();
        try {
            progress.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The last sequence handed out; everything up to it must be settled before offsets may advance. */
    public long lastRegistered() {
        return sequence.get();
    }

    /**
     * Waits until every change registered up to {@code upTo} is settled.
     *
     * @return null when they are, else why offsets must not advance (a publishing failure or the timeout)
     */
    public String awaitPublished(long upTo, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (true) {
                Throwable failed = failure;
                if (failed != null) {
                    return "publishing failed, offsets stay where they are until the source restarts: " + failed;
                }
                Long oldest = inFlight.ceiling(Long.MIN_VALUE); // null when empty; no window between a check and first()
                if (oldest == null || oldest > upTo) {
                    return null;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return inFlight.headSet(upTo, true).size() + " changes not yet acknowledged by Kafka after " + timeout.toMillis() + " ms";
                }
                progress.await(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Forgets in-flight changes and the failure, once the source has stopped and will replay from its committed offsets. */
    public void reset() {
        inFlight.clear();
        failure = null;
        signal();
    }

    public boolean failed() {
        return failure != null;
    }

    public Throwable failure() {
        return failure;
    }

    public int inFlight() {
        return inFlight.size();
    }

    @Override
    public String toString() {
        return "PublishLedger[" + engineName + ", in flight " + inFlight.size() + (failure != null ? ", failed: " + failure : "") + "]";
    }
}
