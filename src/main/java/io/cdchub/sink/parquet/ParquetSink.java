package io.cdchub.sink.parquet;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.change.ChangeEvent;
import io.cdchub.sink.RejectedRecordException;
import io.cdchub.sink.Sink;
import io.cdchub.sink.SinkRequest;
import io.cdchub.sink.SinkRequestRefusedException;
import io.cdchub.sink.SinkUnavailableException;
import io.cdchub.sink.SinkWriteResult;
import io.cdchub.sink.clickhouse.ClickHouseTables;
import io.cdchub.sink.lakehouse.KafkaPosition;
import io.cdchub.sink.lakehouse.LakeColumn;
import io.cdchub.sink.lakehouse.LakeTableColumns;
import org.apache.iceberg.Schema;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.FileAppender;

/**
 * The Parquet {@link Sink}: the change events (after the route's transforms) as Parquet files, one open file per source
 * table, hour of commit and Kafka partition, at
 * {@code <path>/<prefix>/<table>/dt=YYYY-MM-DD/hour=HH/<topic>-<partition>-<first offset>.parquet}; and the streaming
 * aggregates of {@code cdc.sink.parquet.aggregates} ({@link ParquetAggregates}).
 *
 * <p><b>Rolled by size or time, not by batch.</b> A {@link Sink.Staging} sink: {@link #write} stages a batch's rows for
 * their open files (and changes the aggregates in memory); {@link #commit} (every {@code roll-interval-ms}, or once
 * {@code max-staged-rows} wait, run by the {@link io.cdchub.sink.SinkPipeline}) writes each open file whole, a new one
 * starting whenever a file reaches {@code roll-size-bytes}, then the aggregates. Only then are the batches' Kafka offsets
 * committed: a row is in a complete file before its offset is committed. The rows wait in memory rather than in open
 * Parquet writers so that a commit that fails (the store down) can write the same files again.
 *
 * <p><b>Idempotent by name.</b> A file is named by its first row's Kafka offset (and the commit hour of its changes). After
 * a crash, Kafka gives the changes after the last committed offset again: the first of them opened the lost files, so
 * the restart writes the same names. Each row carries the change's LSN ({@code _version}) and Kafka offset, so a reader
 * takes the latest change per key (README: the current-rows query) whatever a replay left.
 *
 * <p><b>Failures.</b> A value that does not fit its column (a text where PostgreSQL has an integer) is refused alone
 * (dead-lettered); a store that cannot be written (down, refusing the credentials, a full disk) is
 * {@link SinkUnavailableException}: retried without end, never dead-lettered.
 */
public class ParquetSink implements Sink<ParquetSink.Item>, Sink.Staging {

    public static final String NAME = "parquet";
    public static final String ROUTE_ID = "kafka-to-parquet";

    /** The columns the sink adds to every row (after the table's own). */
    public static final String OP = ClickHouseTables.OP;
    public static final String VERSION = ClickHouseTables.VERSION;
    public static final String IS_DELETED = ClickHouseTables.IS_DELETED;
    public static final String SOURCE_TS_MS = ClickHouseTables.SOURCE_TS_MS;
    public static final String KAFKA_TOPIC = "_kafka_topic";
    public static final String KAFKA_PARTITION = "_kafka_partition";
    public static final String KAFKA_OFFSET = "_kafka_offset";
    static final List<LakeColumn> SINK_COLUMNS = List.of(LakeColumn.of(OP, LakeColumn.Kind.STRING), LakeColumn.of(VERSION, LakeColumn.Kind.LONG),
            LakeColumn.of(IS_DELETED, LakeColumn.Kind.BOOLEAN), LakeColumn.of(SOURCE_TS_MS, LakeColumn.Kind.LONG),
            LakeColumn.of(KAFKA_TOPIC, LakeColumn.Kind.STRING), LakeColumn.of(KAFKA_PARTITION, LakeColumn.Kind.INT),
            LakeColumn.of(KAFKA_OFFSET, LakeColumn.Kind.LONG));
    private static final Set<String> SINK_COLUMN_NAMES = Set.of(OP, VERSION, IS_DELETED, SOURCE_TS_MS, KAFKA_TOPIC, KAFKA_PARTITION, KAFKA_OFFSET);
    /** The target of the request that feeds the aggregates (last in each batch). */
    static final String AGGREGATES = "(aggregates)";

    /** One prepared item: a change file's row, or a change's inputs to its table's aggregates. */
    public sealed interface Item permits Row, AggregateInputs {
    }

    /** A row of a change file, with the offset it came from (the file is named by its first row's). */
    public record Row(Record record, KafkaPosition position, long lsn) implements Item {
    }

    public record AggregateInputs(List<StreamingAggregate.Input> inputs) implements Item {
    }

    private final ParquetSettings settings;
    private final LakeTableColumns tableColumns;
    private final ParquetFiles files;
    private final ParquetAggregates aggregates;
    /** {@code <path>[/<prefix>]}: the change files' root. */
    private final String changesRoot;
    private final String root;
    /** Open files by {@code <folder>dt=.../hour=.../<topic>-<partition>}: their rows, oldest first (guarded by this). */
    private final Map<String, List<Row>> openFiles = new LinkedHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong stagedRows = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param root where the sink writes ({@code path} as the store's location: a local folder or {@code s3://bucket/prefix}),
     *             without a trailing slash
     */
    public ParquetSink(ParquetSettings settings, LakeTableColumns tableColumns, org.apache.iceberg.io.FileIO io, String root) {
        this.settings = settings;
        this.tableColumns = tableColumns;
        this.root = root;
        this.files = new ParquetFiles(io, settings.compression());
        this.aggregates = new ParquetAggregates(settings.aggregates(), files, root);
        this.changesRoot = settings.prefix().isEmpty() ? root : root + '/' + settings.prefix();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String endpoint() {
        return "parquet:" + root;
    }

    /** The files' store location, for the readiness indicator. */
    public String root() {
        return root;
    }

    /** A cheap look-up in the store for the readiness indicator: throws when it cannot be reached. */
    public Object probeStore() {
        return files.io().newInputFile(root + "/_cdc_hub_probe").exists();
    }

    @Override
    public List<SinkRequest<Item>> prepare(List<ChangeEvent> events, Preparation preparation) {
        Map<String, List<ChangeEvent>> byTable = new LinkedHashMap<>();
        for (ChangeEvent event : events) {
            String folder = settings.folderFor(event.schema(), event.table());
            if (!ParquetSettings.FOLDER_NAME.matcher(folder).matches()) {
                preparation.refuse(event, new RejectedRecordException("Table name '" + folder + "' is not usable as a folder name: map "
                        + event.schema() + "." + event.table() + " to another name with cdc.sink.parquet.tables"));
                continue;
            }
            byTable.computeIfAbsent(event.schema() + '.' + event.table(), t -> new ArrayList<>()).add(event);
        }
        List<SinkRequest<Item>> requests = new ArrayList<>();
        List<ChangeEvent> aggregated = new ArrayList<>();
        Map<String, List<StreamingAggregate>> aggregatesOf = new HashMap<>();
        for (List<ChangeEvent> tableEvents : byTable.values()) {
            ChangeEvent first = tableEvents.get(0);
            List<LakeColumn> columns = tableColumns.columns(first.schema(), first.table(), tableEvents).stream()
                    .filter(c -> !SINK_COLUMN_NAMES.contains(c.name())).toList();
            List<LakeColumn> fileColumns = new ArrayList<>(columns);
            fileColumns.addAll(SINK_COLUMNS);
            Schema schema = ParquetFiles.schema(fileColumns);
            String folder = changesRoot + '/' + settings.folderFor(first.schema(), first.table()) + '/';
            Map<String, List<ChangeEvent>> byFile = new LinkedHashMap<>();
            for (ChangeEvent event : tableEvents) {
                byFile.computeIfAbsent(folder + fileBase(event), f -> new ArrayList<>()).add(event);
            }
            List<StreamingAggregate> fed = aggregates.isEmpty() ? List.of() : aggregatesOf(first.schema(), first.table(), columns);
            for (Map.Entry<String, List<ChangeEvent>> file : byFile.entrySet()) {
                SinkRequest<Item> request = preparation.request(file.getKey(), file.getValue(), event -> row(event, columns, schema));
                requests.add(request);
                if (!fed.isEmpty()) {
                    aggregated.addAll(request.events());
                }
            }
            if (!fed.isEmpty()) {
                aggregatesOf.put(first.schema() + '.' + first.table(), fed);
            }
        }
        if (!aggregated.isEmpty()) {
            // last, so the aggregates change only once every change file of the batch is written
            requests.add(preparation.request(AGGREGATES, aggregated, event -> {
                KafkaPosition position = KafkaPosition.of(event);
                return new AggregateInputs(aggregates.inputs(event, aggregatesOf.get(event.schema() + '.' + event.table()),
                        position.partitionKey(), position.offset()));
            }));
        }
        return requests;
    }

    /** The table's aggregates, their state read from the store on first use: a store that cannot be read is an outage. */
    private List<StreamingAggregate> aggregatesOf(String schema, String table, List<LakeColumn> columns) {
        try {
            return aggregates.of(schema, table, columns);
        } catch (SinkUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new SinkUnavailableException("Cannot read the aggregates' state under " + root + ": " + e.getMessage(), e);
        }
    }

    /** {@code dt=YYYY-MM-DD/hour=HH/<topic>-<partition>}: the change's commit hour (UTC) and Kafka partition. */
    private static String fileBase(ChangeEvent event) {
        ZonedDateTime committed = Instant.ofEpochMilli(event.sourceTsMs()).atZone(ZoneOffset.UTC);
        KafkaPosition position = KafkaPosition.of(event);
        return String.format("dt=%1$tY-%1$tm-%1$td/hour=%1$tH/%2$s-%3$d", committed, position.topic(), position.partition());
    }

    private static Row row(ChangeEvent event, List<LakeColumn> columns, Schema schema) {
        JsonNode row = event.isDelete() ? event.row() : event.afterWithUnchangedToast();
        KafkaPosition position = KafkaPosition.of(event);
        Object[] values = new Object[columns.size() + SINK_COLUMNS.size()];
        int i = 0;
        for (LakeColumn column : columns) {
            values[i++] = column.value(row.get(column.name()));
        }
        values[i++] = event.op();
        values[i++] = event.lsn();
        values[i++] = event.isDelete();
        values[i++] = event.sourceTsMs();
        values[i++] = position.topic();
        values[i++] = position.partition();
        values[i] = position.offset();
        return new Row(ParquetFiles.record(schema, values), position, event.lsn());
    }

    @Override
    public synchronized SinkWriteResult write(SinkRequest<Item> request) {
        if (AGGREGATES.equals(request.target())) {
            List<List<StreamingAggregate.Input>> inputs = new ArrayList<>(request.size());
            request.items().forEach(item -> inputs.add(((AggregateInputs) item).inputs()));
            aggregates.apply(inputs); // in memory; written at the commit, after the change files
            return SinkWriteResult.allWritten(0); // the changes themselves are counted with their files
        }
        List<Row> rows = openFiles.computeIfAbsent(request.target(), t -> new ArrayList<>());
        request.items().forEach(item -> rows.add((Row) item));
        stagedRows.addAndGet(request.size());
        return SinkWriteResult.allWritten(request.size());
    }

    @Override
    public Staging staging() {
        return this;
    }

    @Override
    public java.time.Duration commitInterval() {
        return java.time.Duration.ofMillis(settings.rollIntervalMs());
    }

    @Override
    public boolean commitWanted() {
        return stagedRows.get() >= settings.maxStagedRows();
    }

    /** Writes every open file, then the changed aggregates; what fails stays staged and is written whole by the next commit. */
    @Override
    public synchronized void commit() {
        try {
            for (java.util.Iterator<Map.Entry<String, List<Row>>> files = openFiles.entrySet().iterator(); files.hasNext(); ) {
                Map.Entry<String, List<Row>> file = files.next();
                writeFiles(file.getKey(), file.getValue());
                stagedRows.addAndGet(-file.getValue().size());
                files.remove();
            }
            aggregates.save();
        } catch (SinkUnavailableException | SinkRequestRefusedException | RejectedRecordException e) {
            throw e;
        } catch (RuntimeException e) {
            // the store (a folder, an S3 bucket) could not be written: an outage, retried; the files are rewritten whole
            throw new SinkUnavailableException("Cannot write Parquet files under " + root + ": " + e.getMessage(), e);
        }
    }

    /** Rows check their file's size this often: asking the writer for its length costs a little. */
    private static final int SIZE_CHECK_ROWS = 1000;

    /**
     * Writes an open file's rows: a new file (named by its first row) whenever one reaches the roll size or the table's
     * columns change. Sizes are checked at fixed row counts within a file, so the same rows are cut the same way again.
     */
    private void writeFiles(String base, List<Row> rows) {
        int next = 0;
        while (next < rows.size()) {
            Row first = rows.get(next);
            String location = base + '-' + fileOffset(first) + ".parquet";
            org.apache.iceberg.types.Types.StructType struct = first.record().struct();
            FileAppender<Record> appender = files.open(location, new Schema(struct.fields()));
            try (appender) {
                int inFile = 0;
                // each batch's rows share one struct: compare the columns once per batch, not per row
                org.apache.iceberg.types.Types.StructType sameColumns = struct;
                while (true) {
                    appender.add(rows.get(next).record());
                    next++;
                    inFile++;
                    if (next == rows.size() || inFile % SIZE_CHECK_ROWS == 0 && appender.length() >= settings.rollSizeBytes()) {
                        break;
                    }
                    org.apache.iceberg.types.Types.StructType columns = rows.get(next).record().struct();
                    if (columns != sameColumns) {
                        if (!columns.equals(struct)) {
                            break; // a column was added: the next file has the new schema
                        }
                        sameColumns = columns;
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("Cannot write " + location + ": " + e.getMessage(), e);
            }
        }
    }

    /** The first row's offset, zero-padded so names sort by it; a record with no offset (a replayed dead letter) by its LSN. */
    private static String fileOffset(Row first) {
        return first.position().known() ? String.format("%020d", first.position().offset()) : "lsn-" + first.lsn();
    }
}
