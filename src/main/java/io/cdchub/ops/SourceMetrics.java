package io.cdchub.ops;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.cdchub.source.SourceStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The source's gauges, tagged {@code slot} and {@code source}: {@code cdc.source.slot.lag.bytes} (WAL PostgreSQL
 * keeps for the slot; sampled every {@code cdc.health.slot-lag-interval} with the health check's query, not on
 * each scrape; -1 until known or while PostgreSQL is unreachable) and {@code cdc.source.publish.in.flight}
 * (changes handed to the publisher and not yet acknowledged by Kafka).
 */
public class SourceMetrics implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(SourceMetrics.class);

    private final ReplicationSlotProbe probe;
    private final Duration interval;
    private final AtomicLong slotLag = new AtomicLong(-1);
    private ScheduledExecutorService scheduler;

    public SourceMetrics(MeterRegistry registry, ReplicationSlotProbe probe, String engineName, Duration interval) {
        this.probe = probe;
        this.interval = interval;
        Gauge.builder("cdc.source.slot.lag.bytes", slotLag, AtomicLong::get).tag("slot", probe.slot()).baseUnit("bytes")
                .description("WAL PostgreSQL keeps for the replication slot: pg_current_wal_lsn() - confirmed_flush_lsn (-1 unknown)")
                .register(registry);
        SourceStatus status = SourceStatus.forEngine(engineName);
        Gauge.builder("cdc.source.publish.in.flight", status, SourceStatus::inFlight).tag("source", engineName)
                .description("Records handed to the Kafka producer and not yet acknowledged").register(registry);
    }

    /** Samples the slot lag now; also what the schedule runs. */
    public void sample() {
        try {
            slotLag.set(probe.read().lagBytes());
        } catch (Exception e) {
            slotLag.set(-1);
            LOG.debug("Could not read replication slot {}: {}", probe.slot(), e.toString());
        }
    }

    public long slotLagBytes() {
        return slotLag.get();
    }

    @Override
    public synchronized void start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cdc-source-slot-lag");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::sample, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void stop() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return scheduler != null;
    }
}
