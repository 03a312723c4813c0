package io.cdchub.admin;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.cdchub.source.SourceFileOffsetStore;
import io.cdchub.source.SourceKafkaOffsetStore;
import io.cdchub.source.SourceOffsetStore;
import io.debezium.embedded.EmbeddedWorkerConfig;
import io.debezium.embedded.KafkaConnectUtil;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.OffsetStorageReaderImpl;
import org.apache.kafka.connect.storage.OffsetStorageWriter;
import org.apache.kafka.connect.storage.OffsetUtils;
import org.springframework.http.HttpStatus;

/**
 * A runtime connector's source offsets, read and written in the store its engine uses, the way Kafka Connect's
 * {@code Worker} serves {@code GET/PATCH/DELETE /connectors/{name}/offsets}: the same store class, the same keys
 * ({@code [<connector name>, <partition>]} as JSON without schemas) and values, so the engine reads back exactly what
 * was written here. A reset writes a tombstone for every partition the connector has offsets for, as Connect does: the
 * next start has no offsets and begins as a new connector would (a snapshot if {@code snapshot.mode} asks for one, then
 * streaming from the replication slot).
 *
 * <p>Writes happen only while the connector is stopped (checked by {@link ConnectorService}), so no engine commits
 * offsets at the same time.
 */
public class ConnectorOffsetStore {

    /** Reading the offset topic to its end needs Kafka: past this the request is a 503 the caller may retry. */
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** The connector's offsets by source partition; a partition whose offsets were reset is not listed. */
    public Map<Map<String, Object>, Map<String, Object>> read(String connector, Properties engine) {
        return withStore(connector, engine, store -> {
            Set<Map<String, Object>> partitions = store.connectorPartitions(connector);
            try (OffsetStorageReaderImpl reader = new OffsetStorageReaderImpl(store, connector, converter(), converter())) {
                Map<Map<String, Object>, Map<String, Object>> offsets = new LinkedHashMap<>();
                reader.offsets(partitions).forEach((partition, offset) -> {
                    if (offset != null) {
                        offsets.put(partition, offset);
                    }
                });
                return offsets;
            }
        });
    }

    /**
     * Writes the offsets (a null offset resets its partition); with {@code offsets == null}, resets every partition
     * the connector has offsets for. Returns how many partitions were written.
     */
    public int write(String connector, Properties engine, Map<Map<String, ?>, Map<String, ?>> offsets) {
        return withStore(connector, engine, store -> {
            Map<Map<String, ?>, Map<String, ?>> toWrite = new HashMap<>();
            if (offsets == null) {
                store.connectorPartitions(connector).forEach(partition -> toWrite.put(partition, null));
            } else {
                toWrite.putAll(normalized(offsets));
            }
            if (toWrite.isEmpty()) {
                return 0;
            }
            OffsetStorageWriter writer = new OffsetStorageWriter(store, connector, converter(), converter());
            toWrite.forEach(writer::offset);
            writer.beginFlush();
            writer.doFlush((error, result) -> { }).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return toWrite.size();
        });
    }

    /**
     * As Connect's {@code Worker.normalizeSourceConnectorOffsets}: only primitive values (a 400 otherwise), and the
     * types the engine will read back (every integer a long).
     */
    @SuppressWarnings("unchecked")
    static Map<Map<String, ?>, Map<String, ?>> normalized(Map<Map<String, ?>, Map<String, ?>> offsets) {
        Converter converter = converter();
        Map<Map<String, ?>, Map<String, ?>> normalized = new HashMap<>();
        offsets.forEach((partition, offset) -> {
            try {
                OffsetUtils.validateFormat(partition);
                OffsetUtils.validateFormat(offset);
            } catch (DataException e) {
                throw ApiException.badRequest("offsets", e.getMessage());
            }
            Object key = converter.toConnectData("", converter.fromConnectData("", null, partition)).value();
            Object value = converter.toConnectData("", converter.fromConnectData("", null, offset)).value();
            normalized.put((Map<String, ?>) key, (Map<String, ?>) value);
        });
        return normalized;
    }

    /** Debezium's PostgreSQL offset fields that are numbers (LSNs, transaction id, commit time). */
    private static final Set<String> NUMERIC_OFFSET_FIELDS = Set.of("lsn", "lsn_commit", "lsn_proc", "txId", "ts_usec", "xmin");

    /**
     * Offsets the PostgreSQL connector can start from: its one partition {@code {"server": <topic.prefix>}} (another
     * partition would be written and never read) and an offset with a numeric {@code lsn} (or null: reset). Connect
     * itself writes whatever it is given, and the connector then fails or ignores it at its next start; here the caller
     * learns it at once.
     */
    static void requirePostgresOffsets(Map<Map<String, ?>, Map<String, ?>> offsets, String topicPrefix) {
        for (Map.Entry<Map<String, ?>, Map<String, ?>> entry : offsets.entrySet()) {
            Map<String, ?> partition = entry.getKey();
            if (partition == null || partition.size() != 1 || !topicPrefix.equals(partition.get("server"))) {
                throw ApiException.badRequest("offsets.partition", "must be {\"server\": \"" + topicPrefix
                        + "\"} (the connector's topic.prefix: the PostgreSQL connector has this one partition), but is " + partition);
            }
            Map<String, ?> offset = entry.getValue();
            if (offset == null) {
                continue;
            }
            if (!(offset.get("lsn") instanceof Number)) {
                throw ApiException.badRequest("offsets.offset.lsn", "is required: the log sequence number to resume after, as a number");
            }
            for (String field : NUMERIC_OFFSET_FIELDS) {
                Object value = offset.get(field);
                if (value != null && !(value instanceof Long || value instanceof Integer) || value instanceof Number n && n.longValue() < 0) {
                    throw ApiException.badRequest("offsets.offset." + field, "must be a whole number of at least 0, but is " + value);
                }
            }
        }
    }

    private static Converter converter() {
        return KafkaConnectUtil.converterForOffsetStore();
    }

    @FunctionalInterface
    private interface StoreWork<T> {
        T apply(SourceOffsetStore store) throws Exception;
    }

    /**
     * Runs the work on a started store of the connector's kind, with a time limit: Connect's stores wait for Kafka
     * without one. The store is stopped in every case (its stop is bounded, see {@link SourceKafkaOffsetStore}).
     */
    private <T> T withStore(String connector, Properties engine, StoreWork<T> work) {
        SourceOffsetStore store = storeOf(engine);
        Map<String, String> settings = new HashMap<>();
        engine.forEach((key, value) -> settings.put((String) key, (String) value));
        store.configure(new EmbeddedWorkerConfig(settings));
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "offset-store-api-" + connector);
            t.setDaemon(true);
            return t;
        });
        try {
            Callable<T> task = () -> {
                store.start();
                return work.apply(store);
            };
            Future<T> result = thread.submit(task);
            return result.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, null, "the offsets of connector " + connector
                    + " could not be read or written within " + TIMEOUT.toSeconds() + " s (is Kafka reachable?); retry");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, null, "interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ApiException refused) {
                throw refused;
            }
            throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, null, "the offsets of connector " + connector
                    + " could not be read or written: " + e.getCause());
        } finally {
            try {
                store.stop();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(ConnectorOffsetStore.class).warn("Offset store of {} did not stop cleanly: {}", connector, e.toString());
            }
            thread.shutdownNow();
        }
    }

    /** The engine's own store class (cdc-hub sets it: a configuration cannot name another). */
    private static SourceOffsetStore storeOf(Properties engine) {
        String kind = engine.getProperty("offset.storage");
        if (SourceKafkaOffsetStore.class.getName().equals(kind)) {
            return new SourceKafkaOffsetStore();
        }
        if (SourceFileOffsetStore.class.getName().equals(kind)) {
            return new SourceFileOffsetStore();
        }
        throw new IllegalStateException("unexpected offset store " + kind);
    }
}
