package io.cdchub.sink.iceberg;

import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.RewriteFiles;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.TaskWriter;
import org.apache.iceberg.io.WriteResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Small-file care for the sink's tables ({@code cdc.sink.iceberg.maintenance.*}, README "Iceberg"): on a schedule, or when
 * called ({@link #run}), each table of the namespace with at least {@code compact-min-files} data or delete files is
 * compacted, then its old snapshots are expired.
 *
 * <p><b>Compaction</b> is a plain bin-pack done with Iceberg core's API: Iceberg's {@code RewriteDataFiles} action exists
 * only for Spark (and Flink), and cdc-hub runs neither. The table's live rows (deletes applied, read with Iceberg's own
 * generic reader) are written again into files of the target size, and one {@link RewriteFiles} commit swaps them for every
 * data and delete file they came from. It reads the whole table, so it suits the tables of a change stream up to a few
 * million rows; larger ones are better compacted by a Spark job. The rewrite carries the table's Kafka offsets
 * ({@link IcebergSink#OFFSETS_PROPERTY}) forward, so expiring the snapshots before it loses nothing of exactly-once.
 * It runs under the sink's lock: no commit of the sink lands between its read and its commit (and one of another writer
 * makes the rewrite fail its validation, to be tried at the next run).
 *
 * <p><b>Expiry</b> is Iceberg core's {@code ExpireSnapshots}: snapshots older than {@code expire-older-than}, always keeping
 * the newest {@code retain-last}, and the files only they referenced are deleted.
 */
public class IcebergMaintenance implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(IcebergMaintenance.class);

    private final IcebergSettings settings;
    private final IcebergSink sink;
    private final ScheduledExecutorService schedule;

    public IcebergMaintenance(IcebergSettings settings, IcebergSink sink) {
        this.settings = settings;
        this.sink = sink;
        if (settings.maintenance().enabled()) {
            long every = settings.maintenance().interval().toMillis();
            schedule = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "cdc-sink-iceberg-maintenance");
                thread.setDaemon(true);
                return thread;
            });
            schedule.scheduleWithFixedDelay(this::runLogged, every, every, TimeUnit.MILLISECONDS);
        } else {
            schedule = null;
        }
    }

    private void runLogged() {
        try {
            run();
        } catch (RuntimeException e) {
            LOG.warn("Iceberg maintenance failed; trying again at the next run: {}", e.toString());
        }
    }

    /** Compacts and expires every table of the namespace that needs it; returns the tables compacted. */
    public List<TableIdentifier> run() {
        List<TableIdentifier> compacted = new java.util.ArrayList<>();
        for (TableIdentifier id : sink.catalog().listTables(sink.namespace())) {
            Table table = sink.catalog().loadTable(id);
            if (compact(table, settings.maintenance().compactMinFiles())) {
                compacted.add(id);
            }
            long olderThan = System.currentTimeMillis() - settings.maintenance().expireOlderThan().toMillis();
            table.refresh();
            table.expireSnapshots().expireOlderThan(olderThan).retainLast(settings.maintenance().retainLast()).commit();
        }
        return compacted;
    }

    /** Rewrites the table's live rows into new files when it has at least {@code minFiles} files; whether it did. */
    boolean compact(Table table, int minFiles) {
        synchronized (sink) {
            table.refresh();
            Snapshot snapshot = table.currentSnapshot();
            if (snapshot == null) {
                return false;
            }
            Set<DataFile> dataFiles = new HashSet<>();
            Set<DeleteFile> deleteFiles = new HashSet<>();
            try (CloseableIterable<FileScanTask> tasks = table.newScan().useSnapshot(snapshot.snapshotId()).planFiles()) {
                for (FileScanTask task : tasks) {
                    dataFiles.add(task.file());
                    deleteFiles.addAll(task.deletes());
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            if (dataFiles.size() + deleteFiles.size() < minFiles) {
                return false;
            }
            TaskWriter<Record> writer = IcebergDeltaWriter.appender(table, table.schema(), settings.targetFileSizeBytes(), System.nanoTime());
            WriteResult written;
            try (CloseableIterable<Record> rows = IcebergGenerics.read(table).useSnapshot(snapshot.snapshotId()).build()) {
                for (Record row : rows) {
                    writer.write(row);
                }
                written = writer.complete();
            } catch (IOException | RuntimeException e) {
                try {
                    writer.abort();
                } catch (IOException ignored) {
                    // orphans, never visible
                }
                throw e instanceof RuntimeException r ? r : new java.io.UncheckedIOException((IOException) e);
            }
            RewriteFiles rewrite = table.newRewrite().validateFromSnapshot(snapshot.snapshotId());
            dataFiles.forEach(rewrite::deleteFile);
            deleteFiles.forEach(rewrite::deleteFile);
            for (DataFile file : written.dataFiles()) {
                rewrite.addFile(file);
            }
            // the Kafka offsets travel with the table's newest snapshot, so expiring older ones keeps exactly-once
            for (Map.Entry<String, Map<String, Long>> group : IcebergSink.committedOffsets(table).entrySet()) {
                try {
                    rewrite.set(IcebergSink.OFFSETS_PROPERTY + group.getKey(), io.cdchub.change.ChangeEvent.JSON.writeValueAsString(group.getValue()));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            rewrite.commit();
            LOG.info("Compacted Iceberg table {}: {} data and {} delete files into {} data files", table.name(), dataFiles.size(),
                    deleteFiles.size(), written.dataFiles().length);
            return true;
        }
    }

    @Override
    public void close() {
        if (schedule != null) {
            schedule.shutdownNow();
        }
    }
}
