package io.cdchub.sink.iceberg;

import static io.cdchub.sink.iceberg.IcebergChildApp.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.cdchub.testinfra.AppProcess;
import io.cdchub.testinfra.TempDirs;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A crash between writing a commit's data and delete files and committing its {@code RowDelta} (the child JVM halted
 * exactly there by {@link HaltBeforeIcebergCommit}, no shutdown hook) leaves no visible change: the same snapshots, the
 * same rows, the files it wrote referenced by no snapshot. After a restart the table's current rows are PostgreSQL's,
 * each once (the batches read again are skipped by the offsets in the snapshot summary or applied, never both). On a
 * local folder and on the S3 server ({@link IcebergChildApp}).
 */
class IcebergCrashIT {

    @ParameterizedTest
    @EnumSource(Store.class)
    void aCrashBetweenWritingFilesAndCommittingLeavesNoVisibleChangeAndARestartLosesAndDuplicatesNothing(Store store) throws Exception {
        String name = name("icecrash", store);
        Warehouse warehouse = warehouse(store, name);
        Map<String, String> settings = appSettings(name, warehouse);
        Path trigger = TempDirs.create("cdc-hub-halt-").resolve("halt-now");
        settings.put("spring.main.sources", HaltBeforeIcebergCommit.class.getName());
        settings.put(HaltBeforeIcebergCommit.TRIGGER, trigger.toString());
        TableIdentifier id = TableIdentifier.of(name, "items");
        for (int i = 1; i <= 20; i++) {
            sql("INSERT INTO " + name + ".items VALUES (" + i + ", 'item " + i + "', " + i + ")");
        }

        List<Long> snapshotsBefore;
        Map<String, Map<String, String>> rowsBefore;
        Set<String> filesBefore;
        try (AppProcess first = AppProcess.start(name + "-1", settings)) {
            awaitRows(first, "the first rows", warehouse.catalog(), id, rows -> rows.equals(pgRows(name)));
            Table table = warehouse.catalog().loadTable(id);
            snapshotsBefore = snapshotIds(table);
            rowsBefore = rows(warehouse.catalog(), id);
            filesBefore = filesOnDisk(warehouse.files());

            Files.createFile(trigger); // the next commit halts after writing its files
            sql("UPDATE " + name + ".items SET qty = qty * 10 WHERE id <= 10", "DELETE FROM " + name + ".items WHERE id % 4 = 0");
            for (int i = 21; i <= 40; i++) {
                sql("INSERT INTO " + name + ".items VALUES (" + i + ", 'after " + i + "', " + i + ")");
            }
            assertThat(first.awaitExit(600)).as("halted by the hook before the commit; log:%n%s", first.log()).isEqualTo(HaltBeforeIcebergCommit.HALTED);
        }

        Table crashed = warehouse.catalog().loadTable(id);
        assertThat(snapshotIds(crashed)).as("no snapshot from the crashed commit").isEqualTo(snapshotsBefore);
        assertThat(rows(warehouse.catalog(), id)).as("no visible change").isEqualTo(rowsBefore);
        Set<String> orphans = new HashSet<>(filesOnDisk(warehouse.files()));
        orphans.removeAll(filesBefore);
        assertThat(orphans).as("the crashed commit's files were written").isNotEmpty();
        assertThat(referencedFiles(crashed)).as("and are referenced by no snapshot").doesNotContainAnyElementsOf(orphans);

        Files.delete(trigger);
        try (AppProcess second = AppProcess.start(name + "-2", settings)) {
            Map<String, Map<String, String>> expected = pgRows(name);
            awaitRows(second, "PostgreSQL's rows after the restart", warehouse.catalog(), id, expected::equals);
            assertThat(second.terminate(180)).as("exit after SIGTERM").isIn(0, 143);
        }
        Table restarted = warehouse.catalog().loadTable(id);
        assertThat(recordCount(restarted)).as("each row once").isEqualTo(pgRows(name).size());
        assertThat(snapshotIds(restarted)).startsWith(snapshotsBefore.toArray(Long[]::new));
        assertThat(referencedFiles(restarted)).doesNotContainAnyElementsOf(orphans);
        assertThat(rows(warehouse.catalog(), id)).isEqualTo(pgRows(name));
    }
}
