package io.cdchub.ops;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Debezium's own snapshot and streaming metrics, which its connectors publish only as JMX MBeans
 * ({@code debezium.postgres:type=connector-metrics,context=snapshot|streaming,server=<topic prefix>}), as Micrometer
 * gauges, so Prometheus scrapes them with the rest: {@code debezium.snapshot.*} (running, completed, tables total and
 * remaining, rows scanned per table) and {@code debezium.streaming.*} (connected, milliseconds behind the source,
 * the change queue's remaining capacity, events seen), tagged {@code server}. The MBeans come and go with the engines
 * (the built-in source, connectors of the management API), so they are looked up every {@code interval} and their
 * gauges added when they appear; a gauge of an engine that stopped reads NaN.
 */
public class DebeziumMetrics implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(DebeziumMetrics.class);
    private static final ObjectName CONNECTOR_METRICS = objectName("debezium.postgres:type=connector-metrics,*");
    /** Numeric or boolean attributes: gauge name suffix -> attribute. */
    private static final Map<String, Map<String, String>> ATTRIBUTES = Map.of(
            "snapshot", Map.of(
                    "running", "SnapshotRunning",
                    "completed", "SnapshotCompleted",
                    "aborted", "SnapshotAborted",
                    "tables.total", "TotalTableCount",
                    "tables.remaining", "RemainingTableCount",
                    "duration.seconds", "SnapshotDurationInSeconds"),
            "streaming", Map.of(
                    "connected", "Connected",
                    "ms.behind.source", "MilliSecondsBehindSource",
                    "queue.remaining.capacity", "QueueRemainingCapacity",
                    "queue.total.capacity", "QueueTotalCapacity",
                    "events.seen", "TotalNumberOfEventsSeen"));

    private final MeterRegistry registry;
    private final long intervalMillis;
    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    /** Gauges registered, by MBean name and attribute (or table): registering is done once. */
    private final Set<String> registered = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService scheduler;

    public DebeziumMetrics(MeterRegistry registry, java.time.Duration interval) {
        this.registry = registry;
        this.intervalMillis = interval.toMillis();
    }

    /** Adds gauges for the Debezium MBeans present now (also called once at start). */
    void refresh() {
        for (ObjectName name : server.queryNames(CONNECTOR_METRICS, null)) {
            String context = name.getKeyProperty("context");
            Map<String, String> attributes = ATTRIBUTES.get(context);
            if (attributes == null) {
                continue;
            }
            Tags tags = Tags.of("server", String.valueOf(name.getKeyProperty("server")));
            attributes.forEach((suffix, attribute) -> {
                if (registered.add(name + "#" + attribute)) {
                    Gauge.builder("debezium." + context + "." + suffix, () -> number(name, attribute)).tags(tags)
                            .description("Debezium's " + context + " metric " + attribute + " (JMX " + name + ")").register(registry);
                }
            });
            if ("snapshot".equals(context)) {
                rowsScanned(name, tags);
            }
        }
    }

    /** RowsScanned is a map of table -> rows: one gauge per table, added as tables appear. */
    private void rowsScanned(ObjectName name, Tags tags) {
        for (String table : rowsScanned(name).keySet()) {
            if (registered.add(name + "#RowsScanned#" + table)) {
                Gauge.builder("debezium.snapshot.rows.scanned", () -> rowsScanned(name).getOrDefault(table, Double.NaN))
                        .tags(tags.and("table", table)).description("Rows the snapshot has read of the table").register(registry);
            }
        }
    }

    /**
     * RowsScanned as table -> rows. Debezium's metrics are MXBeans, so its {@code Map<String, Long>} arrives as JMX open
     * data: a TabularData of (key, value) rows.
     */
    private Map<String, Double> rowsScanned(ObjectName name) {
        Map<String, Double> rows = new java.util.HashMap<>();
        if (attribute(name, "RowsScanned") instanceof TabularData table) {
            for (Object row : table.values()) {
                if (row instanceof CompositeData entry && entry.get("value") instanceof Number count) {
                    rows.put(String.valueOf(entry.get("key")), count.doubleValue());
                }
            }
        }
        return rows;
    }

    private Number number(ObjectName name, String attribute) {
        Object value = attribute(name, attribute);
        if (value instanceof Boolean b) {
            return b ? 1 : 0;
        }
        return value instanceof Number n ? n : Double.NaN;
    }

    private Object attribute(ObjectName name, String attribute) {
        try {
            return server.getAttribute(name, attribute);
        } catch (Exception e) { // the engine stopped (MBean gone) or this Debezium has no such attribute
            return null;
        }
    }

    private static ObjectName objectName(String name) {
        try {
            return new ObjectName(name);
        } catch (MalformedObjectNameException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "cdc-hub-debezium-metrics");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                refresh();
            } catch (RuntimeException e) {
                LOG.debug("Reading Debezium's MBeans failed: {}", e.toString());
            }
        }, 0, intervalMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }

    @Override
    public boolean isRunning() {
        return scheduler != null;
    }
}
