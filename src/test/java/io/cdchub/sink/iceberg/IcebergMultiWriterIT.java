package io.cdchub.sink.iceberg;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.cdchub.change.ChangeEvent;
import io.cdchub.sink.SinkDriver;
import io.cdchub.sink.clickhouse.PostgresColumns;
import io.cdchub.sink.lakehouse.LakehouseFileIO;
import io.cdchub.sink.lakehouse.S3Settings;
import io.cdchub.source.SourceProperties;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TempDirs;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.Test;

/**
 * Two cdc-hub instances of one consumer group, each owning one partition of a topic, write one Iceberg table and commit
 * close together: the second commit meets the first in the catalog and is tried again. The table's committed offsets must
 * never go backwards (a retried commit must not write the other instance's partitions back at the offsets it read before),
 * and after a restart the partition's replay must skip what the table already holds (a deleted row must not come back).
 * Each instance is a sink with its own catalog, as two processes have; the race is made exact with the sink's commit seam.
 */
class IcebergMultiWriterIT {

    private static final String SCHEMA = "icemulti";
    private static final String TOPIC = "icemulti.icemulti.items";
    private static final String GROUP = "icemulti-iceberg";

    static {
        PostgresServer pg = PostgresServer.shared();
        pg.createDatabase(RealServers.DATABASE);
        pg.execute(RealServers.DATABASE, "CREATE SCHEMA IF NOT EXISTS " + SCHEMA,
                "CREATE TABLE IF NOT EXISTS " + SCHEMA + ".items (id bigint PRIMARY KEY, name text)");
    }

    @Test
    void interleavedCommitsOfTwoInstancesNeverMoveTheTableOffsetsBack() throws Exception {
        String warehouse = TempDirs.create("cdc-hub-icemulti-").resolve("warehouse").toString();
        IcebergSettings settings = new IcebergSettings(true, new IcebergSettings.Catalog("hadoop", "", "cdc_hub", "", "", Map.of()),
                warehouse, S3Settings.defaults(), SCHEMA, Map.of(), List.of(TOPIC), null, GROUP, 100, 100,
                java.time.Duration.ofSeconds(10), 1000, 134217728L, List.of(), new IcebergSettings.Maintenance(false, null, 20, null, 10));
        IcebergSink first = sink(settings);   // owns partition 0
        IcebergSink second = sink(settings);  // owns partition 1
        TableIdentifier id = TableIdentifier.of(SCHEMA, "items");

        write(first, event(0, 0, 10, "c", "{\"id\":10,\"name\":\"ten\"}"));
        first.commit(); // the table exists, with partition 0 at offset 0

        // partition 1 inserts and deletes key 1; partition 0 inserts key 20. The first instance's commit reads the table's
        // offsets, then the second's commit lands before the first's reaches the catalog: the first one's is tried again.
        write(second, event(1, 0, 1, "c", "{\"id\":1,\"name\":\"one\"}"), event(1, 1, 1, "d", null));
        write(first, event(0, 1, 20, "c", "{\"id\":20,\"name\":\"twenty\"}"));
        first.onFilesWritten(table -> {
            first.onFilesWritten(null);
            second.commit();
        });
        first.commit();

        Table table = catalog(settings).loadTable(id);
        assertOffsetsNeverGoBack(table);
        assertThat(IcebergSink.committedOffsets(table)).containsEntry(GROUP, Map.of(TOPIC + "/0", 1L, TOPIC + "/1", 1L));
        assertThat(keys(table)).containsExactly(10L, 20L);

        // the second instance restarts (or its partition moves): Kafka's committed offset may lag the table's, so partition
        // 1 is read again from its start, a batch at a time. The insert of key 1 is in the table already (and deleted since)
        IcebergSink restarted = sink(settings);
        write(restarted, event(1, 0, 1, "c", "{\"id\":1,\"name\":\"one\"}"));
        restarted.commit();
        table = catalog(settings).loadTable(id);
        assertThat(keys(table)).as("a deleted row never comes back on replay").containsExactly(10L, 20L);
        write(restarted, event(1, 1, 1, "d", null), event(1, 2, 2, "c", "{\"id\":2,\"name\":\"two\"}"));
        restarted.commit();
        table = catalog(settings).loadTable(id);
        assertOffsetsNeverGoBack(table);
        assertThat(IcebergSink.committedOffsets(table)).containsEntry(GROUP, Map.of(TOPIC + "/0", 1L, TOPIC + "/1", 2L));
        assertThat(keys(table)).containsExactly(2L, 10L, 20L);
    }

    /** Walks the table's history from the oldest snapshot: no partition's offset is ever lower than before, nor dropped. */
    private static void assertOffsetsNeverGoBack(Table table) throws Exception {
        List<Snapshot> history = new ArrayList<>();
        for (Snapshot s = table.currentSnapshot(); s != null; s = s.parentId() == null ? null : table.snapshot(s.parentId())) {
            history.add(0, s);
        }
        Map<String, Long> highest = new HashMap<>();
        for (Snapshot snapshot : history) {
            String json = snapshot.summary().get(IcebergSink.OFFSETS_PROPERTY + GROUP);
            if (json == null) {
                continue;
            }
            Map<String, Long> offsets = ChangeEvent.JSON.readValue(json, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Long>>() { });
            for (Map.Entry<String, Long> seen : highest.entrySet()) {
                assertThat(offsets.get(seen.getKey())).as("snapshot %s: offset of %s (was %s)", snapshot.snapshotId(), seen.getKey(), seen.getValue())
                        .isNotNull().isGreaterThanOrEqualTo(seen.getValue());
            }
            highest.putAll(offsets);
        }
    }

    /** The table's current keys, read with Iceberg's own reader. */
    private static List<Long> keys(Table table) throws Exception {
        TreeMap<Long, Object> keys = new TreeMap<>();
        try (CloseableIterable<Record> rows = IcebergGenerics.read(table).build()) {
            rows.forEach(row -> keys.put((Long) row.getField("id"), row));
        }
        return List.copyOf(keys.keySet());
    }

    private static Catalog catalog(IcebergSettings settings) {
        return CatalogUtil.buildIcebergCatalog(settings.catalog().name(), IcebergSink.catalogProperties(settings), LakehouseFileIO.hadoopConfiguration());
    }

    private static IcebergSink sink(IcebergSettings settings) {
        PostgresServer pg = PostgresServer.shared();
        return new IcebergSink(settings, catalog(settings),
                new PostgresColumns(new SourceProperties.Database(pg.host(), pg.port(), RealServers.DATABASE, PostgresServer.USER, "", "disable")));
    }

    /** Prepares and stages the events as the runner does. */
    private static void write(IcebergSink sink, ChangeEvent... events) {
        SinkDriver.write(sink, List.of(events));
    }

    /** A record consumed by the sink route's Kafka consumer (its group, topic, partition and offset). */
    private static ChangeEvent event(int partition, long offset, long id, String op, String after) {
        String before = "d".equals(op) ? "{\"id\":" + id + "}" : "null";
        return SinkDriver.record(TOPIC, partition, offset, GROUP, "{\"id\":" + id + "}",
                SinkDriver.change(SCHEMA, "items", op, before, after, 1000 + partition * 100 + offset));
    }
}
