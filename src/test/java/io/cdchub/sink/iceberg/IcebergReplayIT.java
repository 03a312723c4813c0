package io.cdchub.sink.iceberg;

import static io.cdchub.sink.iceberg.IcebergChildApp.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import io.cdchub.testinfra.AppProcess;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicWriter;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Exactly once on replay: the sink's consumer group rewound to the start of the topic while cdc-hub is stopped, so every
 * batch already committed to the table is read again, including older changes of keys changed since. The offsets in the
 * snapshot summary make the sink skip them: no snapshot but the one of a later sentinel row, the same rows. Older changes
 * of a key republished at new offsets (not covered by the offsets) are skipped by the key's LSN and never regress the
 * row. On a local folder and on the S3 server ({@link IcebergChildApp}).
 */
class IcebergReplayIT {

    @ParameterizedTest
    @EnumSource(Store.class)
    void batchesReadAgainAreSkippedByTheSnapshotOffsetsAndOlderChangesNeverRegressARow(Store store) throws Exception {
        String name = name("icereplay", store);
        Warehouse warehouse = warehouse(store, name);
        Map<String, String> settings = appSettings(name, warehouse);
        TableIdentifier id = TableIdentifier.of(name, "items");
        String topic = name + "." + name + ".items";
        String group = name + "-iceberg";
        try (AppProcess first = AppProcess.start(name + "-1", settings)) {
            // once a first row is in the table the source streams: each change below is a record of its own
            sql("INSERT INTO " + name + ".items VALUES (0, 'first', 0)");
            awaitRows(first, "the first row", warehouse.catalog(), id, rows -> rows.containsKey("0"));
            for (int i = 1; i <= 30; i++) {
                sql("INSERT INTO " + name + ".items VALUES (" + i + ", 'item " + i + "', " + i + ")");
            }
            sql("UPDATE " + name + ".items SET qty = qty * 10 WHERE id <= 10", "DELETE FROM " + name + ".items WHERE id % 5 = 0",
                    "INSERT INTO " + name + ".items VALUES (100, 'short-lived', 100)", "DELETE FROM " + name + ".items WHERE id = 100");
            for (int version = 1; version <= 3; version++) { // newer changes of key 1 after older ones
                sql("UPDATE " + name + ".items SET name = 'version " + version + "', qty = " + version + " WHERE id = 1");
            }
            awaitRows(first, "PostgreSQL's rows", warehouse.catalog(), id, rows -> rows.equals(pgRows(name)));
            assertThat(first.terminate(180)).as("exit after SIGTERM").isIn(0, 143);
        }
        int snapshots = snapshotIds(warehouse.catalog().loadTable(id)).size();

        rewind(group, topic); // every batch, already in the table, is read again
        try (AppProcess second = AppProcess.start(name + "-2", settings)) {
            // a sentinel after the replayed records (one partition, read in order): once it is visible, the replay was handled
            sql("INSERT INTO " + name + ".items VALUES (1000, 'sentinel', 1000)");
            awaitRows(second, "the sentinel", warehouse.catalog(), id, rows -> rows.containsKey("1000"));
            Table table = warehouse.catalog().loadTable(id);
            assertThat(snapshotIds(table)).as("one snapshot, the sentinel's; none for the replayed batches").hasSize(snapshots + 1);
            assertThat(table.currentSnapshot().summary()).containsEntry("added-records", "1");
            assertThat(rows(warehouse.catalog(), id)).isEqualTo(pgRows(name));
            assertThat(recordCount(table)).isEqualTo(pgRows(name).size());
            assertThat(rows(warehouse.catalog(), id).get("1")).containsEntry("name", "version 3");

            // key 1's older changes republished at new offsets (not covered by the committed offsets): skipped by LSN
            List<TopicWriter.Out> olderOfKeyOne = TopicReader.readAll(topic).stream()
                    .filter(e -> e.value() != null && e.value().path("after").path("id").asInt() == 1)
                    .map(e -> TopicWriter.Out.json(e.key().toString(), e.value().toString()))
                    .toList();
            assertThat(olderOfKeyOne).hasSizeGreaterThanOrEqualTo(5);
            TopicWriter.write(topic, olderOfKeyOne.subList(0, olderOfKeyOne.size() - 1));
            sql("INSERT INTO " + name + ".items VALUES (1001, 'second sentinel', 1001)");
            awaitRows(second, "the second sentinel", warehouse.catalog(), id, rows -> rows.containsKey("1001"));
            assertThat(rows(warehouse.catalog(), id)).isEqualTo(pgRows(name));
            assertThat(rows(warehouse.catalog(), id).get("1")).containsEntry("name", "version 3").containsEntry("qty", "3");
            assertThat(recordCount(warehouse.catalog().loadTable(id))).isEqualTo(pgRows(name).size());
            assertThat(second.terminate(180)).as("exit after SIGTERM").isIn(0, 143);
        }
    }
}
