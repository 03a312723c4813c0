package io.cdchub.source.polling;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.cdchub.config.CdcHubProperties;
import io.cdchub.source.SourceFileOffsetStore;
import io.cdchub.source.SourceKafkaOffsetStore;
import io.cdchub.source.SourceOffsetStore;
import io.cdchub.source.SourceProperties;
import io.debezium.embedded.EmbeddedWorkerConfig;
import io.debezium.embedded.KafkaConnectUtil;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.OffsetStorageReaderImpl;
import org.apache.kafka.connect.storage.OffsetStorageWriter;

/**
 * The polling source's watermarks, kept as the logical-replication source keeps its offsets: in a file under
 * {@code cdc.data-dir/offsets} or a compacted Kafka topic, through the same stores ({@link SourceFileOffsetStore},
 * {@link SourceKafkaOffsetStore}) and Kafka Connect's offset format, keyed {@code [<cdc.polling.name>, {"table":
 * "<schema>.<table>"}]}. A table's entry is written only after Kafka acknowledged the batch it covers.
 */
final class PollingOffsets implements AutoCloseable {

    private static final String TABLE = "table";
    private static final String WATERMARK = "watermark";
    private static final String POSITION = "position";
    private static final String LOADED = "loaded";
    private static final long WRITE_TIMEOUT_SECONDS = 30;

    private final SourceOffsetStore store;
    private final OffsetStorageReaderImpl reader;
    private final OffsetStorageWriter writer;

    PollingOffsets(PollingProperties polling, SourceProperties source, CdcHubProperties hub) throws java.io.IOException {
        Map<String, String> config = new HashMap<>();
        config.put("name", polling.name());
        if (polling.offsetStore() == SourceProperties.OffsetStore.KAFKA) {
            store = new SourceKafkaOffsetStore();
            hub.kafka().clientSettings().forEach((k, v) -> config.put(k, String.valueOf(v)));
            config.put("offset.storage.topic", polling.offsetTopic());
            config.put("offset.storage.partitions", "1");
            config.put("offset.storage.replication.factor", String.valueOf(hub.topics().replicationFactor()));
        } else {
            store = new SourceFileOffsetStore();
            Path dir = hub.dataDir().resolve("offsets").toAbsolutePath();
            Files.createDirectories(dir);
            config.put("offset.storage.file.filename", dir.resolve(polling.name() + ".dat").toString());
        }
        store.configure(new EmbeddedWorkerConfig(config));
        store.start();
        Converter keys = KafkaConnectUtil.converterForOffsetStore();
        Converter values = KafkaConnectUtil.converterForOffsetStore();
        reader = new OffsetStorageReaderImpl(store, polling.name(), keys, values);
        writer = new OffsetStorageWriter(store, polling.name(), keys, values);
    }

    /** Restores the table's stored watermark (none: it was never polled). */
    void restore(PolledTable table) {
        Map<String, Object> stored = reader.offset(Map.of(TABLE, table.name()));
        if (stored == null || stored.get(WATERMARK) == null) {
            table.restore(null, stored != null && Boolean.TRUE.equals(stored.get(LOADED)));
            return;
        }
        table.restore(new PolledTable.Position((String) stored.get(WATERMARK), new java.math.BigDecimal((String) stored.get(POSITION))),
                Boolean.TRUE.equals(stored.get(LOADED)));
    }

    /** Writes the table's watermark and waits until it is stored: the table's rows before it are in Kafka. */
    synchronized void store(PolledTable table) throws Exception {
        Map<String, Object> offset = new HashMap<>();
        PolledTable.Position high = table.high();
        offset.put(WATERMARK, high == null ? null : high.text());
        offset.put(POSITION, high == null ? null : high.position().toPlainString());
        offset.put(LOADED, table.loaded());
        writer.offset(Map.of(TABLE, table.name()), offset);
        if (!writer.beginFlush(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            return;
        }
        try {
            writer.doFlush((error, ignored) -> { }).get(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            writer.cancelFlush();
            throw e;
        }
    }

    @Override
    public void close() {
        store.stop();
    }
}
