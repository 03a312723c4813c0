package io.cdchub.sink.delta;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdchub.change.ChangeEvent;
import io.cdchub.sink.RejectedRecordException;
import io.cdchub.sink.Sink;
import io.cdchub.sink.SinkRequest;
import io.cdchub.sink.SinkUnavailableException;
import io.cdchub.sink.SinkWriteResult;
import io.cdchub.sink.clickhouse.ClickHouseTables;
import io.cdchub.sink.lakehouse.KafkaPosition;
import io.cdchub.sink.lakehouse.LakeColumn;
import io.cdchub.sink.lakehouse.LakeTableColumns;
import io.delta.kernel.DataWriteContext;
import io.delta.kernel.Operation;
import io.delta.kernel.Snapshot;
import io.delta.kernel.Table;
import io.delta.kernel.Transaction;
import io.delta.kernel.TransactionBuilder;
import io.delta.kernel.TransactionCommitResult;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.exceptions.TableNotFoundException;
import io.delta.kernel.hook.PostCommitHook;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterable;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Delta Lake {@link Sink}: one <b>append-only change table</b> per source table, {@code <path>/<table>}, with
 * Change Data Feed on, written with Delta Kernel (no Spark). Each change is a row: the row's columns, then
 * {@value #CHANGE_TYPE} ({@code insert}, {@code update_preimage}, {@code update_postimage}, {@code delete}),
 * {@value #VERSION} (the source LSN), {@value #OP}, {@value #SOURCE_TS_MS}, the Kafka topic, partition and offset, and
 * {@value #EXTRA_COLUMNS}.
 *
 * <p><b>Why a change table.</b> Delta Kernel 4.4.0 refuses a commit that both adds and removes files on a table with
 * Change Data Feed on, so rows cannot be updated or deleted in place without Spark. The current rows are a query over the
 * change table (the latest change per key by {@value #VERSION}, unless it is a delete: README "Delta Lake"), and Spark's
 * {@code readChangeFeed} gives every appended change with Delta's own {@code _change_type} ({@code insert}: each commit
 * appends), {@code _commit_version} and {@code _commit_timestamp}. The change's own kind is in {@value #CHANGE_TYPE}:
 * Delta reserves the names {@code _change_type}, {@code _commit_version} and {@code _commit_timestamp} for the feed's own
 * columns, and Spark refuses Change Data Feed on a table having them.
 *
 * <p><b>Exactly once per partition.</b> A batch becomes one commit per table and Kafka partition, carrying the Delta
 * transaction id (SetTransaction) {@code cdc-hub-<topic>-<partition>} with the last offset in it as its version. A
 * batch written again (a retry, a restart before Kafka's commit) skips the changes at or below the table's recorded
 * version for that partition, so nothing is appended twice. A crash before a commit leaves only unreferenced files.
 *
 * <p><b>Columns.</b> A table is created with the columns its source table has then (PostgreSQL's catalog, plus the fields
 * of the first changes); Delta Kernel 4.4.0 can neither change a table's schema without column mapping nor write a
 * table that has column mapping, so a column that appears later goes, with its value, into {@value #EXTRA_COLUMNS} (a
 * JSON object; null when there is none).
 */
public class DeltaSink implements Sink<DeltaSink.Change> {

    public static final String NAME = "delta";
    public static final String ROUTE_ID = "kafka-to-delta";
    private static final Logger LOG = LoggerFactory.getLogger(DeltaSink.class);

    public static final String CHANGE_TYPE = "_cdc_change_type";
    public static final String VERSION = ClickHouseTables.VERSION;
    public static final String OP = ClickHouseTables.OP;
    public static final String SOURCE_TS_MS = ClickHouseTables.SOURCE_TS_MS;
    public static final String KAFKA_TOPIC = "_kafka_topic";
    public static final String KAFKA_PARTITION = "_kafka_partition";
    public static final String KAFKA_OFFSET = "_kafka_offset";
    public static final String EXTRA_COLUMNS = "_extra_columns";
    static final List<LakeColumn> SINK_COLUMNS = List.of(LakeColumn.of(CHANGE_TYPE, LakeColumn.Kind.STRING),
            LakeColumn.of(VERSION, LakeColumn.Kind.LONG), LakeColumn.of(OP, LakeColumn.Kind.STRING), LakeColumn.of(SOURCE_TS_MS, LakeColumn.Kind.LONG),
            LakeColumn.of(KAFKA_TOPIC, LakeColumn.Kind.STRING), LakeColumn.of(KAFKA_PARTITION, LakeColumn.Kind.INT),
            LakeColumn.of(KAFKA_OFFSET, LakeColumn.Kind.LONG), LakeColumn.of(EXTRA_COLUMNS, LakeColumn.Kind.STRING));
    private static final Set<String> SINK_COLUMN_NAMES = Set.of(CHANGE_TYPE, VERSION, OP, SOURCE_TS_MS, KAFKA_TOPIC, KAFKA_PARTITION,
            KAFKA_OFFSET, EXTRA_COLUMNS);
    /** Delta's names for Change Data Feed's own columns: a table with them cannot have the feed (Spark refuses it). */
    private static final Set<String> RESERVED = Set.of("_change_type", "_commit_version", "_commit_timestamp");
    private static final String ENGINE_INFO = "cdc-hub";

    /**
     * A table's shape as the rows of one batch were made for it.
     *
     * @param location the table's location
     * @param columns  its data columns (the row's), then the sink's
     * @param schema   the Delta schema of {@code columns}
     * @param exists   whether the table existed when the rows were made (else the commit creates it)
     */
    record Shape(String location, List<LakeColumn> columns, StructType schema, boolean exists) {
        int dataColumns() {
            return columns.size() - SINK_COLUMNS.size();
        }
    }

    /** One change's rows (two for an update with the old row), for one table shape. */
    public record Change(Shape shape, List<Object[]> rows, KafkaPosition position) {
    }

    private final DeltaSettings settings;
    private final LakeTableColumns tableColumns;
    private final Engine engine;
    private final String root;
    /** The tables' shapes as last seen; forgotten when a commit finds the table changed. */
    private final Map<String, Shape> shapes = new ConcurrentHashMap<>();

    /** @param root the tables' parent location: a local folder or {@code s3://...}, without a trailing slash */
    public DeltaSink(DeltaSettings settings, LakeTableColumns tableColumns, Engine engine, String root) {
        this.settings = settings;
        this.tableColumns = tableColumns;
        this.engine = engine;
        this.root = root;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String endpoint() {
        return "delta:" + root;
    }

    public String root() {
        return root;
    }

    /** A cheap look-up in the store for the readiness indicator: throws when it cannot be reached. */
    public Object probeStore() throws IOException {
        return engine.getFileSystemClient().resolvePath(root);
    }

    @Override
    public List<SinkRequest<Change>> prepare(List<ChangeEvent> events, Preparation preparation) {
        Map<String, List<ChangeEvent>> byTable = new LinkedHashMap<>();
        for (ChangeEvent event : events) {
            String table = settings.tableFor(event.schema(), event.table());
            if (!DeltaSettings.TABLE_NAME.matcher(table).matches()) {
                preparation.refuse(event, new RejectedRecordException("Table name '" + table + "' is not usable as a Delta table folder: map "
                        + event.schema() + "." + event.table() + " to another name with cdc.sink.delta.tables"));
                continue;
            }
            byTable.computeIfAbsent(table, t -> new ArrayList<>()).add(event);
        }
        List<SinkRequest<Change>> requests = new ArrayList<>();
        for (Map.Entry<String, List<ChangeEvent>> entry : byTable.entrySet()) {
            Shape shape = shape(root + '/' + entry.getKey(), entry.getValue());
            Map<String, List<ChangeEvent>> byPartition = new LinkedHashMap<>();
            for (ChangeEvent event : entry.getValue()) {
                byPartition.computeIfAbsent(KafkaPosition.of(event).partitionKey(), p -> new ArrayList<>()).add(event);
            }
            for (List<ChangeEvent> partitionEvents : byPartition.values()) {
                requests.add(preparation.request(entry.getKey(), partitionEvents, event -> change(event, shape)));
            }
        }
        return requests;
    }

    /** The table's shape: as it is, when it exists; else as it will be created from these changes. */
    private Shape shape(String location, List<ChangeEvent> events) {
        Shape known = shapes.get(location);
        if (known != null && known.exists()) {
            return known;
        }
        Optional<Snapshot> snapshot = snapshot(location);
        if (snapshot.isPresent()) {
            StructType schema = snapshot.get().getSchema();
            Map<String, LakeColumn> typed = new LinkedHashMap<>();
            ChangeEvent first = events.get(0);
            tableColumns.columns(first.schema(), first.table(), events).forEach(c -> typed.put(c.name(), c));
            List<LakeColumn> columns = new ArrayList<>();
            for (StructField field : schema.fields()) {
                LakeColumn column = SINK_COLUMN_NAMES.contains(field.getName()) ? sinkColumn(field.getName()) : typed.get(field.getName());
                columns.add(column != null && DeltaRows.type(column).equals(field.getDataType()) ? column : fromDelta(field));
            }
            Shape shape = new Shape(location, List.copyOf(columns), schema, true);
            shapes.put(location, shape);
            return shape;
        }
        ChangeEvent first = events.get(0);
        List<LakeColumn> columns = new ArrayList<>();
        for (LakeColumn column : tableColumns.columns(first.schema(), first.table(), events)) {
            if (!SINK_COLUMN_NAMES.contains(column.name()) && !RESERVED.contains(column.name())) {
                columns.add(column);
            }
        }
        columns.addAll(SINK_COLUMNS);
        return new Shape(location, List.copyOf(columns), DeltaRows.schema(columns), false);
    }

    private static LakeColumn sinkColumn(String name) {
        return SINK_COLUMNS.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    /** A column of an existing table the sink did not type itself (made by another writer): read from its Delta type. */
    private static LakeColumn fromDelta(StructField field) {
        String type = field.getDataType().toString().toLowerCase(java.util.Locale.ROOT);
        for (LakeColumn.Kind kind : LakeColumn.Kind.values()) {
            if (kind != LakeColumn.Kind.DECIMAL && DeltaRows.type(LakeColumn.of(field.getName(), kind)).equals(field.getDataType())) {
                return LakeColumn.of(field.getName(), kind);
            }
        }
        if (field.getDataType() instanceof io.delta.kernel.types.DecimalType d) {
            return new LakeColumn(field.getName(), LakeColumn.Kind.DECIMAL, d.getPrecision(), d.getScale());
        }
        throw new SinkUnavailableException("Delta column " + field.getName() + " has type " + type + ", which the sink does not write");
    }

    private Optional<Snapshot> snapshot(String location) {
        try {
            return Optional.of(Table.forPath(engine, location).getLatestSnapshot(engine));
        } catch (TableNotFoundException e) {
            return Optional.empty();
        } catch (RuntimeException e) {
            throw new SinkUnavailableException("Cannot read Delta table " + location + ": " + e.getMessage(), e);
        }
    }

    private static Change change(ChangeEvent event, Shape shape) {
        KafkaPosition position = KafkaPosition.of(event);
        List<Object[]> rows = new ArrayList<>(2);
        switch (event.op()) {
            case "c", "r" -> rows.add(row(event, event.after(), "insert", shape, position));
            case "u" -> {
                if (event.hasBefore()) {
                    rows.add(row(event, event.before(), "update_preimage", shape, position));
                }
                rows.add(row(event, event.afterWithUnchangedToast(), "update_postimage", shape, position));
            }
            default -> rows.add(row(event, event.row(), "delete", shape, position));
        }
        return new Change(shape, rows, position);
    }

    private static Object[] row(ChangeEvent event, ObjectNode row, String changeType, Shape shape, KafkaPosition position) {
        int data = shape.dataColumns();
        Object[] values = new Object[shape.columns().size()];
        Set<String> written = new java.util.HashSet<>();
        for (int i = 0; i < data; i++) {
            LakeColumn column = shape.columns().get(i);
            values[i] = column.value(row.get(column.name()));
            written.add(column.name());
        }
        ObjectNode extra = null;
        for (Iterator<Map.Entry<String, JsonNode>> fields = row.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (!written.contains(field.getKey()) && !SINK_COLUMN_NAMES.contains(field.getKey())) {
                if (extra == null) {
                    extra = ChangeEvent.JSON.createObjectNode();
                }
                extra.set(field.getKey(), field.getValue());
            }
        }
        int i = data;
        values[i++] = changeType;
        values[i++] = event.lsn();
        values[i++] = event.op();
        values[i++] = event.sourceTsMs();
        values[i++] = position.topic();
        values[i++] = position.partition();
        values[i++] = position.offset();
        values[i] = extra == null ? null : extra.toString();
        return values;
    }

    /**
     * One commit: the request's changes (one table, one Kafka partition) not yet in the table, appended with the
     * partition's transaction id. One table is committed by one thread at a time (this sink is its only writer).
     */
    @Override
    public SinkWriteResult write(SinkRequest<Change> request) {
        if (request.isEmpty()) {
            return SinkWriteResult.allWritten(0);
        }
        Shape shape = request.items().get(0).shape();
        synchronized (lock(shape.location())) {
            try {
                return commit(shape, request.items());
            } catch (SinkUnavailableException e) {
                throw e;
            } catch (RuntimeException | IOException e) {
                throw new SinkUnavailableException("Cannot write Delta table " + shape.location() + ": " + e.getMessage(), e);
            }
        }
    }

    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    private Object lock(String location) {
        return locks.computeIfAbsent(location, l -> new Object());
    }

    private SinkWriteResult commit(Shape shape, List<Change> changes) throws IOException {
        Table table = Table.forPath(engine, shape.location());
        Optional<Snapshot> snapshot = snapshot(shape.location());
        if (snapshot.isPresent() != shape.exists() || snapshot.isPresent() && !snapshot.get().getSchema().equals(shape.schema())) {
            // made by another batch (or another writer) since these rows were made: converted again by the retry
            shapes.remove(shape.location());
            throw new SinkUnavailableException("Delta table " + shape.location() + " changed since the batch was converted; converting it again");
        }
        KafkaPosition position = changes.get(0).position();
        String appId = "cdc-hub-" + position.topic() + "-" + position.partition();
        long applied = position.known() && snapshot.isPresent() ? snapshot.get().getLatestTransactionVersion(engine, appId).orElse(-1L) : -1L;
        List<Object[]> rows = new ArrayList<>();
        int skipped = 0;
        long last = -1;
        for (Change change : changes) {
            if (change.position().known() && change.position().offset() <= applied) {
                skipped++;
                continue;
            }
            rows.addAll(change.rows());
            last = Math.max(last, change.position().offset());
        }
        if (rows.isEmpty()) {
            return new SinkWriteResult(0, skipped, List.of(), null);
        }
        // no retries inside Delta Kernel: a failed commit (the store away, another writer) fails the batch, and the
        // runner's retry converts it again against the table as it is then
        TransactionBuilder builder = table.createTransactionBuilder(engine, ENGINE_INFO, snapshot.isPresent() ? Operation.WRITE : Operation.CREATE_TABLE)
                .withMaxRetries(0);
        if (snapshot.isEmpty()) {
            builder = builder.withSchema(engine, shape.schema()).withTableProperties(engine, Map.of("delta.enableChangeDataFeed", "true"));
        }
        if (last >= 0) {
            builder = builder.withTransactionId(engine, appId, last);
        }
        Transaction transaction = builder.build(engine);
        Row state = transaction.getTransactionState(engine);
        FilteredColumnarBatch batch = new FilteredColumnarBatch(DeltaRows.batch(shape.schema(), rows), Optional.empty());
        CloseableIterator<FilteredColumnarBatch> physical = Transaction.transformLogicalData(engine, state,
                io.delta.kernel.internal.util.Utils.singletonCloseableIterator(batch), Map.of());
        DataWriteContext context = Transaction.getWriteContext(engine, state, Map.of());
        CloseableIterator<DataFileStatus> files = engine.getParquetHandler().writeParquetFiles(context.getTargetDirectory(), physical,
                context.getStatisticsColumns());
        CloseableIterator<Row> actions = Transaction.generateAppendActions(engine, state, files, context);
        TransactionCommitResult result = transaction.commit(engine, CloseableIterable.inMemoryIterable(actions));
        if (snapshot.isEmpty()) {
            shapes.put(shape.location(), new Shape(shape.location(), shape.columns(), shape.schema(), true));
            LOG.info("Created Delta change table {} (Change Data Feed on) with columns {}", shape.location(), shape.schema().fieldNames());
        }
        for (PostCommitHook hook : result.getPostCommitHooks()) {
            try {
                hook.threadSafeInvoke(engine); // checkpoints, so reading the log stays short
            } catch (IOException | RuntimeException e) {
                LOG.warn("Delta table {}: post-commit {} failed (the commit stands): {}", shape.location(), hook.getType(), e.getMessage());
            }
        }
        return new SinkWriteResult(changes.size() - skipped, skipped, List.of(), null);
    }
}
