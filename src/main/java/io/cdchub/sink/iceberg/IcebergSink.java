package io.cdchub.sink.iceberg;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdchub.change.ChangeEvent;
import io.cdchub.sink.RejectedRecordException;
import io.cdchub.sink.Sink;
import io.cdchub.sink.SinkRequest;
import io.cdchub.sink.SinkUnavailableException;
import io.cdchub.sink.SinkWriteResult;
import io.cdchub.sink.clickhouse.PostgresColumns;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.KafkaEndpoint;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.RowDelta;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.TaskWriter;
import org.apache.iceberg.io.WriteResult;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Iceberg {@link Sink}: one format-v2 table per source table, {@code <namespace>.<table>}, whose current rows are the
 * source table's. A {@link Sink.Staging} sink: {@link #write} stages changes in memory; {@link #commit} (every commit
 * interval, run by the {@link io.cdchub.sink.SinkPipeline}) writes them per table as Parquet data files and equality
 * deletes by the primary key ({@link IcebergDeltaWriter}) and commits one {@link RowDelta} per table.
 *
 * <p><b>Exactly once.</b> Each commit records, in its snapshot's summary ({@value #OFFSETS_PROPERTY}{@code <group>}), the
 * last Kafka offset it holds of every topic partition, as Iceberg's own Kafka Connect sink does. A table's offsets are read
 * when the sink first meets the table, and again before each commit: a change at or below them was committed already and
 * is skipped (a batch read again after a crash or a rebalance is not applied twice), including the changes of a commit
 * whose outcome was unknown (a timeout after the catalog took it). Files written for a commit that fails are deleted and
 * never visible: a crash between writing files and committing leaves no visible change.
 *
 * <p><b>Order.</b> A change older than what a key has ({@value #LSN} at or above the change's LSN) is skipped, so a
 * republished or out-of-order topic never replaces a newer row. The LSNs of a table's keys are read from the table when
 * the sink first meets it and kept in memory (deleted keys' too, while the process runs).
 *
 * <p><b>Failures.</b> A catalog or store that cannot be reached is a {@link SinkUnavailableException} (retried without
 * end, nothing committed to Kafka); a value that does not fit its column is refused alone
 * ({@link RejectedRecordException}, dead-lettered).
 */
public class IcebergSink implements Sink<IcebergSink.Change>, Sink.Staging {

    public static final String NAME = "iceberg";
    public static final String ROUTE_ID = "kafka-to-iceberg";
    /** The change's LSN: the version of the row. */
    public static final String LSN = "_cdc_lsn";
    /** The change's operation: c, u, r (d only in tables without a primary key). */
    public static final String OP = "_cdc_op";
    /** When PostgreSQL committed the change. */
    public static final String SOURCE_TS_MS = "_cdc_source_ts_ms";
    static final Set<String> SINK_COLUMNS = Set.of(LSN, OP, SOURCE_TS_MS);
    /** Snapshot summary property (plus the consumer group): {"topic/partition": last committed offset}. */
    public static final String OFFSETS_PROPERTY = "cdc-hub.kafka-offsets.";

    private static final Logger LOG = LoggerFactory.getLogger(IcebergSink.class);

    /** One change ready to stage: its values in Iceberg's Java forms, by column, and where it came from. */
    public record Change(boolean delete, String op, Map<String, Object> values, List<Object> key, long lsn, long sourceTsMs,
            String group, String partition, long offset) {
    }

    private final IcebergSettings settings;
    private final Catalog catalog;
    private final Namespace namespace;
    private final PostgresColumns postgres;
    private final Map<String, TableState> tables = new ConcurrentHashMap<>();
    private final AtomicLong stagedRows = new AtomicLong();
    private final AtomicLong commits = new AtomicLong(System.currentTimeMillis());
    /** Runs after a commit's files are written and before its {@link RowDelta} is committed; see {@link #onFilesWritten}. */
    private volatile java.util.function.Consumer<TableIdentifier> filesWritten = id -> { };

    /** A table as the sink knows it; its staged changes and offsets are touched under the sink's lock only. */
    private static final class TableState {
        final TableIdentifier id;
        volatile Table table;
        final List<String> keyColumns;
        /** group -> "topic/partition" -> last committed offset */
        Map<String, Map<String, Long>> offsets;
        /** key -> LSN of its newest change; null for a table without a primary key */
        final Map<List<Object>, Long> lsns;
        final List<Change> staged = new ArrayList<>();

        TableState(TableIdentifier id, Table table, List<String> keyColumns, Map<String, Map<String, Long>> offsets, Map<List<Object>, Long> lsns) {
            this.id = id;
            this.table = table;
            this.keyColumns = keyColumns;
            this.offsets = offsets;
            this.lsns = lsns;
        }
    }

    public IcebergSink(IcebergSettings settings, Catalog catalog, PostgresColumns postgres) {
        this.settings = settings;
        this.catalog = catalog;
        this.namespace = Namespace.of(settings.namespace().split("\\."));
        this.postgres = postgres;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String endpoint() {
        return "iceberg:" + settings.catalog().name() + "." + namespace;
    }

    public Catalog catalog() {
        return catalog;
    }

    public Namespace namespace() {
        return namespace;
    }

    @Override
    public Staging staging() {
        return this;
    }

    @Override
    public Duration commitInterval() {
        return settings.commitInterval();
    }

    @Override
    public boolean commitWanted() {
        return stagedRows.get() >= settings.maxStagedRows();
    }

    // ---- prepare: tables made ready, values converted (converter stage) ----

    @Override
    public List<SinkRequest<Change>> prepare(List<ChangeEvent> events, Preparation preparation) {
        Map<String, List<ChangeEvent>> byTable = new LinkedHashMap<>();
        for (ChangeEvent event : events) {
            String table = settings.tableFor(event.schema(), event.table());
            if (!IcebergSettings.NAME.matcher(table).matches()) {
                preparation.refuse(event, new RejectedRecordException("Table name '" + table + "' is not usable in Iceberg here: map "
                        + event.schema() + "." + event.table() + " to another name with cdc.sink.iceberg.tables"));
                continue;
            }
            byTable.computeIfAbsent(table, t -> new ArrayList<>()).add(event);
        }
        List<SinkRequest<Change>> requests = new ArrayList<>(byTable.size());
        for (Map.Entry<String, List<ChangeEvent>> entry : byTable.entrySet()) {
            TableState state = unavailableOnFailure("preparing Iceberg table " + entry.getKey(), () -> ready(entry.getKey(), entry.getValue()));
            Schema schema = state.table.schema();
            requests.add(preparation.request(entry.getKey(), entry.getValue(), event -> change(event, schema, state)));
        }
        return requests;
    }

    /** The table, loaded or created, with a column for every field of these events. */
    private TableState ready(String name, List<ChangeEvent> events) {
        TableState state = tables.get(name);
        if (state == null) {
            synchronized (tables) {
                state = tables.get(name);
                if (state == null) {
                    state = open(name, events.get(0));
                    tables.put(name, state);
                }
            }
        }
        Set<String> missing = new LinkedHashSet<>();
        Schema schema = state.table.schema();
        List<String> checked = null;
        for (ChangeEvent event : events) {
            List<String> fields = event.rowFields();
            if (fields.equals(checked)) {
                continue;
            }
            checked = fields;
            for (String field : fields) {
                if (schema.findField(field) == null && !SINK_COLUMNS.contains(field)) {
                    missing.add(field);
                }
            }
        }
        if (!missing.isEmpty()) {
            evolve(state, missing, events);
        }
        return state;
    }

    private TableState open(String name, ChangeEvent first) {
        TableIdentifier id = TableIdentifier.of(namespace, name);
        Table loaded;
        try {
            loaded = catalog.loadTable(id);
        } catch (NoSuchTableException e) {
            loaded = create(id, first);
        }
        Table table = loaded;
        List<String> keys = new ArrayList<>(table.schema().identifierFieldNames());
        keys.sort(java.util.Comparator.comparingInt(k -> table.schema().findField(k).fieldId()));
        Map<List<Object>, Long> lsns = keys.isEmpty() ? null : readLsns(table, keys);
        LOG.info("Iceberg table {} ready: {} keys known, committed offsets {}", id, lsns == null ? "no primary key," : lsns.size(), committedOffsets(table));
        return new TableState(id, table, keys, committedOffsets(table), lsns);
    }

    private Table create(TableIdentifier id, ChangeEvent event) {
        if (catalog instanceof SupportsNamespaces namespaces && !namespaces.namespaceExists(namespace)) {
            try {
                namespaces.createNamespace(namespace);
            } catch (AlreadyExistsException e) {
                // made by another instance meanwhile
            }
        }
        Map<String, PostgresColumns.Column> source = postgres.columns(event.schema(), event.table());
        Set<String> keyColumns = new LinkedHashSet<>();
        event.keyFields().forEachRemaining(e -> keyColumns.add(e.getKey()));
        Set<String> rowColumns = event.isDelete() ? null : new java.util.HashSet<>(event.rowFields());
        Map<String, Type> columns = new LinkedHashMap<>();
        source.forEach((column, pg) -> {
            if (rowColumns == null || rowColumns.contains(column) || keyColumns.contains(column)) {
                columns.put(column, IcebergTypes.fromPostgres(pg));
            }
        });
        event.row().fields().forEachRemaining(f -> columns.computeIfAbsent(f.getKey(), c -> IcebergTypes.inferred(f.getValue())));
        keyColumns.forEach(k -> columns.computeIfAbsent(k, c -> IcebergTypes.inferred(event.key().get(c))));
        SINK_COLUMNS.forEach(columns::remove);

        List<Types.NestedField> fields = new ArrayList<>();
        Set<Integer> identifiers = new LinkedHashSet<>();
        int fieldId = 1;
        for (Map.Entry<String, Type> column : columns.entrySet()) {
            boolean key = keyColumns.contains(column.getKey());
            fields.add(key ? Types.NestedField.required(fieldId, column.getKey(), column.getValue())
                    : Types.NestedField.optional(fieldId, column.getKey(), column.getValue()));
            if (key) {
                identifiers.add(fieldId);
            }
            fieldId++;
        }
        fields.add(Types.NestedField.optional(fieldId++, LSN, Types.LongType.get()));
        fields.add(Types.NestedField.optional(fieldId++, OP, Types.StringType.get()));
        fields.add(Types.NestedField.optional(fieldId, SOURCE_TS_MS, Types.LongType.get()));
        Schema schema = new Schema(fields, identifiers);
        Map<String, String> properties = Map.of(
                TableProperties.FORMAT_VERSION, "2",
                TableProperties.DEFAULT_FILE_FORMAT, "parquet",
                TableProperties.WRITE_TARGET_FILE_SIZE_BYTES, String.valueOf(settings.targetFileSizeBytes()),
                // each commit writes a metadata file: keep the newest only (small-file care on the metadata side)
                TableProperties.METADATA_DELETE_AFTER_COMMIT_ENABLED, "true",
                TableProperties.METADATA_PREVIOUS_VERSIONS_MAX, "20");
        LOG.info("Creating Iceberg table {} for {}.{}{}", id, event.schema(), event.table(),
                source.isEmpty() ? " (types inferred from the values: PostgreSQL's catalog was not readable)" : "");
        try {
            return catalog.createTable(id, schema, PartitionSpec.unpartitioned(), properties);
        } catch (AlreadyExistsException e) {
            return catalog.loadTable(id);
        }
    }

    private void evolve(TableState state, Set<String> missing, List<ChangeEvent> events) {
        ChangeEvent last = events.get(events.size() - 1);
        Map<String, PostgresColumns.Column> source = postgres.columns(last.schema(), last.table());
        Table table = catalog.loadTable(state.id);
        org.apache.iceberg.UpdateSchema update = table.updateSchema();
        for (String column : missing) {
            Type type;
            if (source.containsKey(column)) {
                type = IcebergTypes.fromPostgres(source.get(column));
            } else {
                JsonNode sample = null;
                for (ChangeEvent e : events) {
                    JsonNode v = e.row().get(column);
                    if (v != null && !v.isNull()) {
                        sample = v;
                        break;
                    }
                }
                type = IcebergTypes.inferred(sample);
            }
            LOG.info("Adding column {} {} to Iceberg table {}", column, type, state.id);
            update.addColumn(column, type);
        }
        update.commit();
        table.refresh();
        state.table = table;
    }

    /** The change as Iceberg values; refuses a value that does not fit its column. */
    private Change change(ChangeEvent event, Schema schema, TableState state) {
        ObjectNode row = event.isDelete() ? event.row() : event.afterWithUnchangedToast();
        Map<String, Object> values = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = row.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            Types.NestedField column = schema.findField(field.getKey());
            if (column == null || SINK_COLUMNS.contains(field.getKey())) {
                continue;
            }
            values.put(field.getKey(), IcebergTypes.value(field.getKey(), field.getValue(), column.type()));
        }
        List<Object> key = null;
        if (!state.keyColumns.isEmpty()) {
            key = new ArrayList<>(state.keyColumns.size());
            ObjectNode eventKey = event.key();
            for (String column : state.keyColumns) {
                JsonNode value = eventKey != null && eventKey.has(column) ? eventKey.get(column) : row.get(column);
                Object converted = IcebergTypes.value(column, value, schema.findField(column).type());
                if (converted == null) {
                    throw new RejectedRecordException("Key column '" + column + "' is missing or null");
                }
                values.put(column, converted);
                key.add(converted);
            }
        }
        Exchange record = event.record();
        String group = null;
        String partition = null;
        long offset = -1;
        if (record != null && record.getFromEndpoint() instanceof KafkaEndpoint kafka) {
            // a record this route consumed (not a replayed dead letter): its offset is kept in the table's snapshots
            group = kafka.getConfiguration().getGroupId();
            partition = record.getMessage().getHeader(KafkaConstants.TOPIC) + "/" + record.getMessage().getHeader(KafkaConstants.PARTITION);
            Long at = record.getMessage().getHeader(KafkaConstants.OFFSET, Long.class);
            offset = at == null ? -1 : at;
            if (at == null) {
                group = null;
            }
        }
        return new Change(event.isDelete(), event.op(), values, key, event.lsn(), event.sourceTsMs(), group, partition, offset);
    }

    // ---- write: staged in memory (writer thread) ----

    @Override
    public synchronized SinkWriteResult write(SinkRequest<Change> request) {
        TableState state = tables.get(request.target());
        int written = 0;
        int already = 0;
        for (Change change : request.items()) {
            if (change.group() != null) {
                Long committed = state.offsets.getOrDefault(change.group(), Map.of()).get(change.partition());
                if (committed != null && change.offset() <= committed) {
                    already++; // committed to the table before (a batch read again after a crash or rebalance)
                    continue;
                }
            }
            if (state.lsns != null) {
                Long known = state.lsns.get(change.key());
                if (known != null && known >= change.lsn()) {
                    already++; // the table has this change or a newer one of the row
                    continue;
                }
                state.lsns.put(change.key(), change.lsn());
            }
            state.staged.add(change);
            written++;
        }
        stagedRows.addAndGet(written);
        return new SinkWriteResult(written, already, List.of(), null);
    }

    // ---- commit: files and one RowDelta per table ----

    @Override
    public synchronized void commit() {
        for (TableState state : tables.values()) {
            if (!state.staged.isEmpty()) {
                unavailableOnFailure("committing to Iceberg table " + state.id, () -> {
                    commitMerged(state);
                    return null;
                });
            }
        }
    }

    /**
     * Commits the table's staged changes, again from the table's newest offsets while another writer's commit lands in
     * between. Iceberg retries a conflicting {@link RowDelta} by re-applying it to the newer snapshot, with the summary it
     * was given: our offsets map, merged from the snapshot we read, would write the other writer's partitions back at
     * their older offsets (another instance of the consumer group owning other partitions of the topic), and on a restart
     * those partitions would re-apply changes the table holds. So each attempt is validated against the snapshot its
     * offsets were merged from ({@link #commitFrom}), and a conflict is tried again here: refreshed, merged, committed.
     */
    private void commitMerged(TableState state) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                commitFrom(state);
                return;
            } catch (org.apache.iceberg.exceptions.ValidationException e) {
                if (attempt >= MAX_MERGE_ATTEMPTS) {
                    throw new SinkUnavailableException("Iceberg: table " + state.id + " was changed by other writers during each of "
                            + attempt + " commits; trying again later: " + e.getMessage(), e);
                }
                LOG.info("Iceberg table {} was committed to by another writer meanwhile; merging its offsets again ({})", state.id, e.getMessage());
            }
        }
    }

    /** Attempts before a run of conflicting commits counts as an outage (retried later). */
    private static final int MAX_MERGE_ATTEMPTS = 10;

    private void commitFrom(TableState state) throws IOException {
        Table table = state.table;
        table.refresh();
        Snapshot base = table.currentSnapshot();
        // another commit may have landed since (one of ours whose answer was lost, or another instance's): skip what it holds
        Map<String, Map<String, Long>> committed = committedOffsets(table);
        List<Change> changes = new ArrayList<>(state.staged.size());
        Map<String, Map<String, Long>> offsets = new LinkedHashMap<>();
        committed.forEach((group, partitions) -> offsets.put(group, new LinkedHashMap<>(partitions)));
        for (Change change : state.staged) {
            if (change.group() != null) {
                Long done = committed.getOrDefault(change.group(), Map.of()).get(change.partition());
                if (done != null && change.offset() <= done) {
                    continue;
                }
                offsets.computeIfAbsent(change.group(), g -> new LinkedHashMap<>()).merge(change.partition(), change.offset(), Math::max);
            }
            changes.add(change);
        }
        if (changes.isEmpty()) {
            stagedRows.addAndGet(-state.staged.size());
            state.staged.clear();
            state.offsets = committed;
            return;
        }
        Schema schema = table.schema();
        Schema keySchema = state.keyColumns.isEmpty() ? null : schema.select(state.keyColumns);
        long number = commits.incrementAndGet();
        IcebergDeltaWriter delta = keySchema == null ? null : new IcebergDeltaWriter(table, schema, keySchema, settings.targetFileSizeBytes(), number);
        TaskWriter<Record> writer = delta != null ? delta : IcebergDeltaWriter.appender(table, schema, settings.targetFileSizeBytes(), number);
        WriteResult files;
        try {
            GenericRecord template = GenericRecord.create(schema);
            GenericRecord keyTemplate = keySchema == null ? null : GenericRecord.create(keySchema);
            for (Change change : changes) {
                if (delta != null) {
                    GenericRecord key = keyTemplate.copy();
                    for (int i = 0; i < state.keyColumns.size(); i++) {
                        key.setField(state.keyColumns.get(i), change.key().get(i));
                    }
                    delta.deleteKey(key);
                    if (change.delete()) {
                        continue;
                    }
                }
                GenericRecord row = template.copy();
                change.values().forEach((column, value) -> {
                    if (schema.findField(column) != null) {
                        row.setField(column, value);
                    }
                });
                row.setField(LSN, change.lsn());
                row.setField(OP, change.op());
                row.setField(SOURCE_TS_MS, change.sourceTsMs());
                writer.write(row);
            }
            files = writer.complete();
        } catch (IOException | RuntimeException e) {
            abort(writer);
            throw e;
        }
        RowDelta rowDelta = table.newRowDelta();
        // the offsets below are merged from `base`: refuse the commit (no retry with this summary) if any snapshot landed
        // after it. Every commit that carries offsets adds data or delete files, so these two checks catch each of them;
        // a snapshot that adds no file (a manifest rewrite) changes no offsets and may be committed over.
        if (base != null) {
            rowDelta.validateFromSnapshot(base.snapshotId());
        }
        rowDelta.validateNoConflictingDataFiles().validateNoConflictingDeleteFiles();
        for (org.apache.iceberg.DataFile file : files.dataFiles()) {
            rowDelta.addRows(file);
        }
        for (org.apache.iceberg.DeleteFile file : files.deleteFiles()) {
            rowDelta.addDeletes(file);
        }
        offsets.forEach((group, partitions) -> rowDelta.set(OFFSETS_PROPERTY + group, json(partitions)));
        filesWritten.accept(state.id);
        try {
            rowDelta.commit();
        } catch (org.apache.iceberg.exceptions.CommitStateUnknownException e) {
            // it may have landed: the files stay (they may be referenced); the next attempt reads the offsets and skips
            throw e;
        } catch (RuntimeException e) {
            deleteFiles(table, files);
            throw e;
        }
        stagedRows.addAndGet(-state.staged.size());
        state.staged.clear();
        state.offsets = offsets;
    }

    private static void abort(TaskWriter<Record> writer) {
        try {
            writer.abort();
        } catch (IOException | RuntimeException e) {
            LOG.debug("Could not delete the files of a failed commit (never visible; orphans): {}", e.toString());
        }
    }

    private static void deleteFiles(Table table, WriteResult files) {
        try {
            for (org.apache.iceberg.DataFile file : files.dataFiles()) {
                table.io().deleteFile(file.location());
            }
            for (org.apache.iceberg.DeleteFile file : files.deleteFiles()) {
                table.io().deleteFile(file.location());
            }
        } catch (RuntimeException e) {
            LOG.debug("Could not delete the files of a failed commit (never visible; orphans): {}", e.toString());
        }
    }

    /** The Kafka offsets of the newest snapshot that has any, by consumer group. */
    static Map<String, Map<String, Long>> committedOffsets(Table table) {
        Snapshot snapshot = table.currentSnapshot();
        while (snapshot != null) {
            Map<String, Map<String, Long>> offsets = new LinkedHashMap<>();
            for (Map.Entry<String, String> property : snapshot.summary().entrySet()) {
                if (property.getKey().startsWith(OFFSETS_PROPERTY)) {
                    try {
                        offsets.put(property.getKey().substring(OFFSETS_PROPERTY.length()),
                                new LinkedHashMap<>(ChangeEvent.JSON.readValue(property.getValue(), new TypeReference<Map<String, Long>>() { })));
                    } catch (IOException e) {
                        throw new IllegalStateException("Snapshot " + snapshot.snapshotId() + " of " + table.name() + " has unreadable offsets: " + property.getValue(), e);
                    }
                }
            }
            if (!offsets.isEmpty()) {
                return offsets;
            }
            snapshot = snapshot.parentId() == null ? null : table.snapshot(snapshot.parentId());
        }
        return new LinkedHashMap<>();
    }

    private static String json(Map<String, Long> partitions) {
        try {
            return ChangeEvent.JSON.writeValueAsString(partitions);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The current LSN of every key of the table (Iceberg's own reader: deletes applied). */
    private static Map<List<Object>, Long> readLsns(Table table, List<String> keys) {
        Map<List<Object>, Long> lsns = new ConcurrentHashMap<>();
        if (table.currentSnapshot() == null) {
            return lsns;
        }
        List<String> columns = new ArrayList<>(keys);
        columns.add(LSN);
        try (CloseableIterable<Record> rows = IcebergGenerics.read(table).select(columns.toArray(String[]::new)).build()) {
            for (Record row : rows) {
                List<Object> key = new ArrayList<>(keys.size());
                keys.forEach(k -> key.add(row.getField(k)));
                Object lsn = row.getField(LSN);
                lsns.merge(key, lsn == null ? -1L : (Long) lsn, Math::max);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return lsns;
    }

    @FunctionalInterface
    private interface Work<T> {
        T run() throws IOException;
    }

    /** Runs catalog or storage work; any failure but a refused record is an outage (retried, never dead-lettered). */
    private static <T> T unavailableOnFailure(String what, Work<T> work) {
        try {
            return work.run();
        } catch (RejectedRecordException | SinkUnavailableException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new SinkUnavailableException("Iceberg: " + what + " failed: " + e, e);
        }
    }

    /**
     * A test seam: {@code hook} runs with the table's name in each commit after its data and delete files are written and
     * before its {@link RowDelta} is committed (the crash test halts the JVM there). What it throws fails the commit
     * before anything is visible, as a failed {@code RowDelta.commit()} would.
     */
    public void onFilesWritten(java.util.function.Consumer<TableIdentifier> hook) {
        this.filesWritten = hook == null ? id -> { } : hook;
    }

    /** Forgets the tables (their offsets and key LSNs are read again when next met); for tests and maintenance. */
    public synchronized void forgetTables() {
        stagedRows.set(0);
        tables.clear();
    }

    /** The Iceberg catalog properties for the settings (with secrets: give them to Iceberg only). */
    static Map<String, String> catalogProperties(IcebergSettings settings) {
        Map<String, String> properties = new LinkedHashMap<>(settings.storage().icebergProperties());
        properties.put(CatalogUtilKeys.TYPE, settings.catalog().type());
        properties.put(CatalogProperties.WAREHOUSE_LOCATION, settings.storage().location());
        if (!settings.catalog().uri().isBlank()) {
            properties.put(CatalogProperties.URI, settings.catalog().uri());
        }
        if ("jdbc".equals(settings.catalog().type())) {
            if (!settings.catalog().user().isBlank()) {
                properties.put("jdbc.user", settings.catalog().user());
            }
            if (!settings.catalog().password().isBlank()) {
                properties.put("jdbc.password", settings.catalog().password());
            }
            properties.put("jdbc.schema-version", "V1");
        }
        properties.putAll(settings.catalog().properties());
        return properties;
    }

    private static final class CatalogUtilKeys {
        static final String TYPE = org.apache.iceberg.CatalogUtil.ICEBERG_CATALOG_TYPE;
    }
}
