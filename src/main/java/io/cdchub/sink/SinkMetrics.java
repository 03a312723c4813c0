package io.cdchub.sink;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * A sink's meters, all tagged {@code sink=<name>}: {@code cdc.sink.records.written},
 * {@code cdc.sink.records.skipped} (tag {@code reason}: tombstone, already-applied, filtered (by a transform), not-a-row-change),
 * {@code cdc.sink.batches}, {@code cdc.sink.batch.duration}, {@code cdc.sink.failures} (failed write
 * attempts, retried), {@code cdc.sink.dead.letters} and the gauge {@code cdc.sink.lag} (records in the
 * sink's topics not yet committed by its consumer group).
 */
public final class SinkMetrics {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SinkMetrics.class);

    private final String sink;
    private final Counter written;
    private final Counter tombstones;
    private final Counter alreadyApplied;
    private final Counter filtered;
    private final Counter batches;
    private final Counter failures;
    private final Counter deadLetters;
    private final Timer batchDuration;
    private final AtomicLong lag = new AtomicLong(-1);
    /** Why the last write attempt failed while the target is unavailable; null once a write succeeded. */
    private final java.util.concurrent.atomic.AtomicReference<String> outage = new java.util.concurrent.atomic.AtomicReference<>();

    public SinkMetrics(MeterRegistry registry, String sink) {
        this.sink = sink;
        written = Counter.builder("cdc.sink.records.written").tag("sink", sink).description("Rows or documents written").register(registry);
        tombstones = Counter.builder("cdc.sink.records.skipped").tag("sink", sink).tag("reason", "tombstone")
                .description("Records with nothing to write").register(registry);
        alreadyApplied = Counter.builder("cdc.sink.records.skipped").tag("sink", sink).tag("reason", "already-applied")
                .description("Records with nothing to write").register(registry);
        filtered = Counter.builder("cdc.sink.records.skipped").tag("sink", sink).tag("reason", "filtered")
                .description("Records with nothing to write").register(registry);
        batches = Counter.builder("cdc.sink.batches").tag("sink", sink).description("Batches written and committed").register(registry);
        failures = Counter.builder("cdc.sink.failures").tag("sink", sink)
                .description("Write attempts that failed because the target was unavailable (retried)").register(registry);
        deadLetters = Counter.builder("cdc.sink.dead.letters").tag("sink", sink).description("Records sent to the dead-letter topic")
                .register(registry);
        // a histogram, so dashboards show quantiles across instances (the chart's Grafana dashboard), not means
        batchDuration = Timer.builder("cdc.sink.batch.duration").tag("sink", sink).description("Time to write one batch")
                .publishPercentileHistogram().minimumExpectedValue(java.time.Duration.ofMillis(1))
                .maximumExpectedValue(java.time.Duration.ofMinutes(2)).register(registry);
        Gauge.builder("cdc.sink.lag", lag, AtomicLong::get).tag("sink", sink)
                .description("Records in the sink's topics beyond its committed offsets (-1 until known)").register(registry);
    }

    public String sink() {
        return sink;
    }

    public void written(long n) {
        written.increment(n);
    }

    public void tombstone() {
        tombstones.increment();
    }

    /** A change a transform's filter left out. */
    public void filtered() {
        filtered.increment();
    }

    public double filteredCount() {
        return filtered.count();
    }

    public void alreadyApplied(long n) {
        alreadyApplied.increment(n);
    }

    public void batch(long nanos) {
        String ended = outage.getAndSet(null);
        if (ended != null) {
            LOG.info("{} sink: the target takes writes again; the held-up batches are written and committed", sink);
        }
        batches.increment();
        batchDuration.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A write attempt failed because the target is unavailable: counted, and the reason kept for health until a write succeeds. */
    public void failure(String reason) {
        failures.increment();
        if (outage.getAndSet(reason == null ? "unavailable" : reason) == null) {
            LOG.warn("{} sink: the target is unavailable; the batch is retried with back-off, nothing is committed or dead-lettered "
                    + "meanwhile, readiness is DOWN: {}", sink, reason);
        }
    }

    /** Why the target is unavailable to the sink (its last write failed and is being retried), or null while writes succeed. */
    public String outage() {
        return outage.get();
    }

    public void deadLetter() {
        deadLetters.increment();
    }

    public void lag(long records) {
        lag.set(records);
    }

    public double writtenCount() {
        return written.count();
    }

    public double alreadyAppliedCount() {
        return alreadyApplied.count();
    }

    public double failureCount() {
        return failures.count();
    }

    /** The last measured lag; -1 until measured. */
    public long lagValue() {
        return lag.get();
    }

    public double deadLetterCount() {
        return deadLetters.count();
    }
}
