package io.cdchub.sink.parquet;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdchub.change.ChangeEvent;
import io.cdchub.sink.SinkUnavailableException;
import io.cdchub.sink.lakehouse.LakeColumn;
import io.cdchub.sink.lakehouse.LakeColumn.Kind;
import io.cdchub.sink.parquet.ParquetSettings.Measure;
import org.apache.iceberg.Schema;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.InputFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Parquet sink's streaming aggregates ({@code cdc.sink.parquet.aggregates.<name>}): each one's state
 * ({@link StreamingAggregate}) is loaded from its folder on first use, changed by each batch, and written back after the
 * batch: first the aggregate's file {@code <path>/<name>/<name>.parquet} (replaced), then its state
 * {@code <path>/<name>/_cdc_hub_state.json.gz} (keys, LSNs, Kafka offsets applied). Readers skip files starting with
 * {@code _}. A crash between the two writes leaves the old state, whose offsets make the batch be applied again; a
 * crash after both, before Kafka's commit, makes the replayed batch be skipped by those offsets.
 */
final class ParquetAggregates {

    private static final Logger LOG = LoggerFactory.getLogger(ParquetAggregates.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);
    static final String STATE_FILE = "_cdc_hub_state.json.gz";

    private final Map<String, ParquetSettings.Aggregate> definitions;
    private final ParquetFiles files;
    private final String root;
    private final Map<String, StreamingAggregate> loaded = new ConcurrentHashMap<>();
    private final java.util.Set<String> warned = ConcurrentHashMap.newKeySet();
    /** Aggregates changed in memory and not yet written (guarded by this). */
    private final java.util.Set<String> unsaved = new java.util.LinkedHashSet<>();

    ParquetAggregates(Map<String, ParquetSettings.Aggregate> definitions, ParquetFiles files, String root) {
        this.definitions = definitions;
        this.files = files;
        this.root = root;
    }

    boolean isEmpty() {
        return definitions.isEmpty();
    }

    /** The aggregates a source table feeds, loaded (from their state files) or made from the table's columns. */
    List<StreamingAggregate> of(String schema, String table, List<LakeColumn> tableColumns) {
        List<StreamingAggregate> fed = new ArrayList<>();
        definitions.forEach((name, definition) -> {
            if (definition.isFor(schema, table)) {
                fed.add(loaded.computeIfAbsent(name, n -> load(n, definition, tableColumns)));
            }
        });
        return fed;
    }

    /** The inputs one change gives its table's aggregates (none for a keyless table). Runs on several threads at once. */
    List<StreamingAggregate.Input> inputs(ChangeEvent event, List<StreamingAggregate> aggregates, String partition, long offset) {
        if (event.keyJson() == null) {
            if (warned.add(event.schema() + '.' + event.table())) {
                LOG.warn("{}.{} has no primary key: its changes cannot be followed by key, so the Parquet sink's aggregates skip them",
                        event.schema(), event.table());
            }
            return List.of();
        }
        String key = new String(event.keyJson(), java.nio.charset.StandardCharsets.UTF_8);
        JsonNode row = event.isDelete() ? null : event.afterWithUnchangedToast();
        List<StreamingAggregate.Input> inputs = new ArrayList<>(aggregates.size());
        for (StreamingAggregate aggregate : aggregates) {
            List<Object> group = null;
            BigDecimal[] values = null;
            if (row != null) {
                group = new ArrayList<>(aggregate.groupColumns.size());
                for (LakeColumn column : aggregate.groupColumns) {
                    group.add(column.value(row.get(column.name())));
                }
                values = new BigDecimal[aggregate.measureColumns.size()];
                for (int i = 0; i < values.length; i++) {
                    LakeColumn column = aggregate.measureColumns.get(i);
                    values[i] = column == null ? null : number(column.value(row.get(column.name())));
                }
            }
            inputs.add(new StreamingAggregate.Input(key, event.lsn(), event.isDelete(), group, values, aggregate.name + '|' + partition, offset));
        }
        return inputs;
    }

    /**
     * Applies one batch's inputs in memory; {@link #save} writes them (at the sink's commit, after the change files). A
     * crash before the save loses them with the batches, whose offsets are not committed: Kafka gives them again.
     */
    synchronized int apply(List<List<StreamingAggregate.Input>> batch) {
        int applied = 0;
        for (List<StreamingAggregate.Input> inputs : batch) {
            for (StreamingAggregate.Input input : inputs) {
                String name = input.partition().substring(0, input.partition().indexOf('|'));
                if (loaded.get(name).apply(input)) {
                    unsaved.add(name);
                    applied++;
                }
            }
        }
        return applied;
    }

    /** Writes each aggregate changed since the last save: its file, then its state. One whose writing failed stays unsaved. */
    synchronized void save() {
        for (Iterator<String> names = unsaved.iterator(); names.hasNext(); ) {
            StreamingAggregate aggregate = loaded.get(names.next());
            writeFile(aggregate);
            writeState(aggregate);
            names.remove();
        }
    }

    private static BigDecimal number(Object value) {
        if (value instanceof BigDecimal d) {
            return d;
        }
        if (value instanceof Integer || value instanceof Long) {
            return BigDecimal.valueOf(((Number) value).longValue());
        }
        if (value instanceof Float || value instanceof Double) {
            double d = ((Number) value).doubleValue();
            return Double.isFinite(d) ? new BigDecimal(Double.toString(d)) : null;
        }
        if (value instanceof String s) {
            try {
                return new BigDecimal(s.trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    // ---- output

    /** The aggregate file's columns: the group-by columns as in the table, then one per measure. */
    static List<LakeColumn> outputColumns(StreamingAggregate aggregate) {
        List<LakeColumn> columns = new ArrayList<>(aggregate.groupColumns);
        for (int i = 0; i < aggregate.measures.size(); i++) {
            Measure measure = aggregate.measures.get(i);
            LakeColumn input = aggregate.measureColumns.get(i);
            Kind kind = input == null ? Kind.STRING : input.kind();
            boolean integral = kind == Kind.INT || kind == Kind.LONG;
            columns.add(switch (measure.function()) {
                case COUNT -> LakeColumn.of(measure.name(), Kind.LONG);
                case AVG -> LakeColumn.of(measure.name(), Kind.DOUBLE);
                case SUM -> integral ? LakeColumn.of(measure.name(), Kind.LONG)
                        : kind == Kind.DECIMAL ? new LakeColumn(measure.name(), Kind.DECIMAL, 38, input.scale()) : LakeColumn.of(measure.name(), Kind.DOUBLE);
                case MIN, MAX -> integral || kind == Kind.FLOAT || kind == Kind.DOUBLE || kind == Kind.DECIMAL
                        ? new LakeColumn(measure.name(), kind, input.precision(), input.scale()) : LakeColumn.of(measure.name(), Kind.DOUBLE);
            });
        }
        return columns;
    }

    private void writeFile(StreamingAggregate aggregate) {
        List<LakeColumn> columns = outputColumns(aggregate);
        Schema schema = ParquetFiles.schema(columns);
        int groupColumns = aggregate.groupColumns.size();
        List<Record> records = new ArrayList<>();
        for (Object[] row : aggregate.rows()) {
            for (int i = groupColumns; i < row.length; i++) {
                row[i] = measureValue(row[i], columns.get(i));
            }
            records.add(ParquetFiles.record(schema, row));
        }
        files.write(folder(aggregate.name) + aggregate.name + ".parquet", schema, records);
    }

    private static Object measureValue(Object value, LakeColumn column) {
        if (value == null) {
            return null;
        }
        BigDecimal d = value instanceof BigDecimal b ? b : BigDecimal.valueOf(((Number) value).longValue());
        return switch (column.kind()) {
            case LONG -> d.longValue();
            case INT -> d.intValue();
            case FLOAT -> d.floatValue();
            case DOUBLE -> d.doubleValue();
            case DECIMAL -> d.setScale(column.scale(), java.math.RoundingMode.HALF_EVEN);
            default -> d.toPlainString();
        };
    }

    private String folder(String name) {
        return root + '/' + name + '/';
    }

    // ---- state

    private void writeState(StreamingAggregate aggregate) {
        ObjectNode state = NODES.objectNode();
        state.put("aggregate", aggregate.name);
        state.put("table", aggregate.definition.table());
        state.set("groupColumns", columnsJson(aggregate.groupColumns));
        state.set("measureColumns", columnsJson(aggregate.measureColumns));
        state.set("measures", NODES.textNode(String.valueOf(aggregate.definition.measures())));
        ObjectNode offsets = state.putObject("offsets");
        aggregate.offsets.forEach(offsets::put);
        ArrayNode keys = state.putArray("keys");
        aggregate.keys.forEach((key, k) -> {
            ArrayNode entry = keys.addArray().add(key).add(k.lsn());
            if (k.group() == null) {
                return;
            }
            ArrayNode group = entry.addArray();
            k.group().forEach(v -> group.add(valueJson(v)));
            ArrayNode values = entry.addArray();
            for (BigDecimal v : k.values()) {
                values.add(v == null ? NODES.nullNode() : NODES.textNode(v.toPlainString()));
            }
        });
        String location = folder(aggregate.name) + STATE_FILE;
        try (OutputStream out = new GZIPOutputStream(files.io().newOutputFile(location).createOrOverwrite())) {
            ChangeEvent.JSON.writeValue(out, state);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the state of aggregate " + aggregate.name + " to " + location + ": " + e.getMessage(), e);
        }
    }

    private StreamingAggregate load(String name, ParquetSettings.Aggregate definition, List<LakeColumn> tableColumns) {
        String location = folder(name) + STATE_FILE;
        InputFile file = files.io().newInputFile(location);
        if (!file.exists()) {
            return fresh(name, definition, tableColumns);
        }
        JsonNode state;
        try (InputStream in = new GZIPInputStream(file.newStream())) {
            state = ChangeEvent.JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the state of aggregate " + name + " from " + location + ": " + e.getMessage(), e);
        }
        List<LakeColumn> groupColumns = columns(state.get("groupColumns"));
        List<LakeColumn> measureColumns = columns(state.get("measureColumns"));
        if (!String.valueOf(definition.measures()).equals(state.path("measures").asText())
                || !definition.groupBy().equals(groupColumns.stream().map(LakeColumn::name).toList())) {
            throw new SinkUnavailableException("Aggregate " + name + " was defined differently when its state (" + location + ") was written: "
                    + "give the changed aggregate a new name, or delete its folder and reset the sink's consumer group so it is rebuilt from the topics");
        }
        StreamingAggregate aggregate = new StreamingAggregate(name, definition, groupColumns, measureColumns);
        state.path("offsets").fields().forEachRemaining(e -> aggregate.offsets.put(e.getKey(), e.getValue().asLong()));
        for (JsonNode entry : state.path("keys")) {
            if (entry.size() < 3) {
                aggregate.restore(entry.get(0).asText(), new StreamingAggregate.KeyState(entry.get(1).asLong(), null, null));
                continue;
            }
            List<Object> group = new ArrayList<>(groupColumns.size());
            for (int i = 0; i < groupColumns.size(); i++) {
                group.add(groupColumns.get(i).value(entry.get(2).get(i)));
            }
            BigDecimal[] values = new BigDecimal[measureColumns.size()];
            for (int i = 0; i < values.length; i++) {
                JsonNode v = entry.get(3).get(i);
                values[i] = v == null || v.isNull() ? null : new BigDecimal(v.asText());
            }
            aggregate.restore(entry.get(0).asText(), new StreamingAggregate.KeyState(entry.get(1).asLong(), group, values));
        }
        LOG.info("Aggregate {}: {} keys in {} groups restored from {}", name, aggregate.keys.size(), aggregate.groupCount(), location);
        return aggregate;
    }

    private StreamingAggregate fresh(String name, ParquetSettings.Aggregate definition, List<LakeColumn> tableColumns) {
        List<LakeColumn> groupColumns = new ArrayList<>();
        for (String column : definition.groupBy()) {
            groupColumns.add(column(name, column, tableColumns));
        }
        List<LakeColumn> measureColumns = new ArrayList<>();
        for (Measure measure : definition.parsedMeasures()) {
            measureColumns.add(measure.column() == null ? null : column(name, measure.column(), tableColumns));
        }
        return new StreamingAggregate(name, definition, groupColumns, measureColumns);
    }

    private static LakeColumn column(String aggregate, String name, List<LakeColumn> tableColumns) {
        for (LakeColumn c : tableColumns) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        LOG.warn("Aggregate {}: its table has no column {} (yet): it is read as text", aggregate, name);
        return LakeColumn.of(name, Kind.STRING);
    }

    private static ArrayNode columnsJson(List<LakeColumn> columns) {
        ArrayNode array = NODES.arrayNode();
        for (LakeColumn c : columns) {
            if (c == null) {
                array.addNull();
            } else {
                array.addObject().put("name", c.name()).put("kind", c.kind().name()).put("precision", c.precision()).put("scale", c.scale());
            }
        }
        return array;
    }

    private static List<LakeColumn> columns(JsonNode array) {
        List<LakeColumn> columns = new ArrayList<>();
        for (Iterator<JsonNode> it = array.elements(); it.hasNext(); ) {
            JsonNode c = it.next();
            columns.add(c.isNull() ? null : new LakeColumn(c.get("name").asText(), Kind.valueOf(c.get("kind").asText()),
                    c.get("precision").asInt(), c.get("scale").asInt()));
        }
        return columns;
    }

    private static JsonNode valueJson(Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (value instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (value instanceof Integer i) {
            return NODES.numberNode(i);
        }
        if (value instanceof Long l) {
            return NODES.numberNode(l);
        }
        if (value instanceof BigDecimal d) {
            return NODES.numberNode(d);
        }
        if (value instanceof Double d && Double.isFinite(d)) {
            return NODES.numberNode(d);
        }
        if (value instanceof Float f && Float.isFinite(f)) {
            return NODES.numberNode(f);
        }
        return NODES.textNode(value.toString());
    }
}
