package io.cdchub.source.snapshot;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.debezium.pipeline.notification.IncrementalSnapshotNotificationService;
import io.debezium.pipeline.notification.Notification;

/**
 * What cdc-hub knows of each connector's re-snapshots (Debezium incremental snapshots): the ones it requested and what
 * Debezium reported of them through {@link ReSnapshotNotificationChannel}. Static, because Debezium creates its
 * notification channels itself (ServiceLoader), outside Spring; keyed by the connector's logical name (its
 * {@code topic.prefix}, what Debezium's notifications carry). In memory only: after a restart Debezium resumes a
 * running snapshot from its offsets, and its chunk count here starts again from the resumed chunk.
 */
public final class ReSnapshotProgress {

    /** The last re-snapshots kept per connector. */
    static final int KEEP = 10;

    public enum State { REQUESTED, RUNNING, PAUSED, COMPLETED, ABORTED }

    /** One table of a re-snapshot: {@code scanning} until its scan completed, then Debezium's completion status. */
    public record TableProgress(String table, String state, Long rows) {
    }

    /** One re-snapshot, as the status API shows it. */
    public record Snapshot(String id, State state, List<TableProgress> tables, String currentTable, long chunks, long rows,
            String filter, Instant requestedAt, Instant updatedAt) {
    }

    private static final Map<String, Deque<Tracked>> BY_CONNECTOR = new ConcurrentHashMap<>();
    private static final Map<String, long[]> TOTALS = new ConcurrentHashMap<>(); // logical name -> {chunks, rows}

    private ReSnapshotProgress() {
    }

    /** A re-snapshot cdc-hub asked for (its signal row is committed); Debezium's notifications carry the same id. */
    public static void requested(String logicalName, String id, List<String> tables, String filter) {
        Deque<Tracked> list = BY_CONNECTOR.computeIfAbsent(logicalName, k -> new ArrayDeque<>());
        synchronized (list) {
            list.addFirst(new Tracked(id, tables, filter));
            while (list.size() > KEEP) {
                list.removeLast();
            }
        }
    }

    /** Debezium's notification of an incremental snapshot (other kinds are ignored). */
    static void notified(String logicalName, Notification notification) {
        if (!IncrementalSnapshotNotificationService.INCREMENTAL_SNAPSHOT.equals(notification.getAggregateType())) {
            return;
        }
        Map<String, String> data = notification.getAdditionalData() == null ? Map.of() : notification.getAdditionalData();
        String connector = data.getOrDefault(IncrementalSnapshotNotificationService.CONNECTOR_NAME, logicalName);
        Deque<Tracked> list = BY_CONNECTOR.computeIfAbsent(connector, k -> new ArrayDeque<>());
        long[] totals = TOTALS.computeIfAbsent(connector, k -> new long[2]);
        synchronized (list) {
            Tracked tracked = tracked(list, notification.getId(), data);
            tracked.updatedAt = Instant.now();
            switch (notification.getType()) {
                case "STARTED", "RESUMED" -> {
                    tracked.state = State.RUNNING;
                    List<String> started = tables(data.get(IncrementalSnapshotNotificationService.DATA_COLLECTIONS));
                    started.forEach(t -> tracked.tables.putIfAbsent(t, new TableProgress(t, "pending", null)));
                }
                case "IN_PROGRESS" -> {
                    tracked.state = State.RUNNING;
                    tracked.chunks++;
                    totals[0]++;
                    String current = table(data.get(IncrementalSnapshotNotificationService.CURRENT_COLLECTION_IN_PROGRESS));
                    if (current != null) {
                        tracked.currentTable = current;
                        tracked.tables.put(current, new TableProgress(current, "scanning", null));
                    }
                }
                case "TABLE_SCAN_COMPLETED" -> {
                    String scanned = table(data.get(IncrementalSnapshotNotificationService.SCANNED_COLLECTION));
                    long rows = parse(data.get(IncrementalSnapshotNotificationService.TOTAL_ROWS_SCANNED));
                    if (scanned != null) {
                        tracked.tables.put(scanned, new TableProgress(scanned,
                                data.getOrDefault(IncrementalSnapshotNotificationService.STATUS, "SUCCEEDED").toLowerCase(java.util.Locale.ROOT), rows));
                    }
                    tracked.rows += rows;
                    totals[1] += rows;
                }
                case "PAUSED" -> tracked.state = State.PAUSED;
                case "COMPLETED" -> {
                    tracked.state = State.COMPLETED;
                    tracked.currentTable = null;
                }
                case "ABORTED" -> {
                    tracked.state = State.ABORTED;
                    tracked.currentTable = null;
                }
                default -> {
                    // a status of a later Debezium: the snapshot's state stays as it was
                }
            }
        }
    }

    private static Tracked tracked(Deque<Tracked> list, String id, Map<String, String> data) {
        for (Tracked tracked : list) {
            if (tracked.id.equals(id)) {
                return tracked;
            }
        }
        // asked for another way (a signal row written by hand, a Kafka signal): tracked all the same
        Tracked tracked = new Tracked(id, tables(data.get(IncrementalSnapshotNotificationService.DATA_COLLECTIONS)), null);
        list.addFirst(tracked);
        while (list.size() > KEEP) {
            list.removeLast();
        }
        return tracked;
    }

    /** The connector's last re-snapshots, newest first. */
    public static List<Snapshot> of(String logicalName) {
        Deque<Tracked> list = BY_CONNECTOR.get(logicalName);
        if (list == null) {
            return List.of();
        }
        synchronized (list) {
            return list.stream().map(Tracked::view).toList();
        }
    }

    /** Chunks read by the connector's re-snapshots since start (a metric). */
    public static long chunks(String logicalName) {
        long[] totals = TOTALS.get(logicalName);
        return totals == null ? 0 : totals[0];
    }

    /** Rows of tables whose re-snapshot scan completed since start (a metric). */
    public static long rows(String logicalName) {
        long[] totals = TOTALS.get(logicalName);
        return totals == null ? 0 : totals[1];
    }

    /** Whether one of the connector's re-snapshots is requested or running (a metric). */
    public static boolean running(String logicalName) {
        return of(logicalName).stream().anyMatch(s -> s.state() == State.REQUESTED || s.state() == State.RUNNING);
    }

    private static List<String> tables(String joined) {
        return joined == null || joined.isBlank() ? List.of() : Arrays.stream(joined.split(IncrementalSnapshotNotificationService.LIST_DELIMITER))
                .map(ReSnapshotProgress::table).filter(t -> t != null && !t.isEmpty()).toList();
    }

    /** {@code schema.table} of Debezium's identifier, which may lead with the database ({@code db.schema.table}). */
    private static String table(String identifier) {
        if (identifier == null) {
            return null;
        }
        String trimmed = identifier.trim();
        int first = trimmed.indexOf('.');
        return first >= 0 && trimmed.indexOf('.', first + 1) >= 0 ? trimmed.substring(first + 1) : trimmed;
    }

    private static long parse(String number) {
        try {
            return number == null ? 0 : Long.parseLong(number.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static final class Tracked {
        final String id;
        final String filter;
        final Instant requestedAt = Instant.now();
        final Map<String, TableProgress> tables = new LinkedHashMap<>();
        State state = State.REQUESTED;
        String currentTable;
        long chunks;
        long rows;
        Instant updatedAt = requestedAt;

        Tracked(String id, List<String> tables, String filter) {
            this.id = id;
            this.filter = filter;
            tables.forEach(t -> this.tables.put(t, new TableProgress(t, "pending", null)));
        }

        Snapshot view() {
            return new Snapshot(id, state, new ArrayList<>(tables.values()), currentTable, chunks, rows, filter, requestedAt, updatedAt);
        }
    }
}
