package io.cdchub.sink.clickhouse;

import io.cdchub.change.ChangeEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdchub.sink.RejectedRecordException;
import io.cdchub.sink.Sink;
import io.cdchub.sink.SinkProperties;
import io.cdchub.sink.SinkRequest;
import io.cdchub.sink.SinkRequestRefusedException;
import io.cdchub.sink.SinkUnavailableException;
import io.cdchub.sink.SinkWriteResult;

/**
 * The ClickHouse {@link Sink}: a batch of change events becomes one {@code INSERT ... FORMAT JSONEachRow} per table.
 * The {@link io.cdchub.sink.SinkRunner} does the rest (route template {@code kafka-to-sink}, route {@code kafka-to-clickhouse}).
 *
 * <p><b>Idempotent by LSN.</b> Each row carries {@code _version} = the change's {@code source.lsn}, and
 * {@code ReplacingMergeTree(_version)} keeps, per primary key, the row with the highest version, so a
 * replayed or duplicated change never replaces a newer one. Debezium's snapshot ('r') events all carry the
 * snapshot's LSN, but a snapshot reads each key once and every streamed change after it has a higher LSN
 * (changes to one row are serialised by PostgreSQL's row locks, so per key LSN order is commit order); equal
 * versions only ever occur for copies of the same event, and which copy is kept does not matter.
 *
 * <p><b>Deletes</b> write the key with {@code _is_deleted = 1} (and the old row's other columns when the table
 * sends them); {@code <table>_current} hides them. Tombstones are skipped.
 *
 * <p><b>Failures.</b> ClickHouse refuses an insert as a whole when one row is bad (a data error): that is a
 * {@link SinkRequestRefusedException}, and the runner halves the insert until the refused rows are alone. A ClickHouse
 * that is down or answers 5xx is {@link SinkUnavailableException}: the runner retries the batch, nothing committed.
 * A table changed under the sink (a column dropped) is an outage too: its columns are read again on the retry.
 */
public class ClickHouseSink implements Sink<byte[]> {

    public static final String NAME = "clickhouse";
    public static final String ROUTE_ID = "kafka-to-clickhouse";
    private static final java.util.Set<String> SINK_COLUMNS = java.util.Set.of(ClickHouseTables.VERSION, ClickHouseTables.IS_DELETED,
            ClickHouseTables.OP, ClickHouseTables.SOURCE_TS_MS, ClickHouseTables.SYNCED_AT);
    private static final DateTimeFormatter SYNCED_AT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private final SinkProperties.ClickHouse settings;
    private final ClickHouseClient client;
    private final ClickHouseTables tables;

    public ClickHouseSink(SinkProperties.ClickHouse settings, ClickHouseClient client, ClickHouseTables tables) {
        this.settings = settings;
        this.client = client;
        this.tables = tables;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String endpoint() {
        return "clickhouse:" + client.database();
    }

    /** The batch's change events as one insert of JSONEachRow lines per table (tables created or extended first). */
    @Override
    public List<SinkRequest<byte[]>> prepare(List<ChangeEvent> events, Preparation preparation) {
        Map<String, List<ChangeEvent>> byTable = new LinkedHashMap<>();
        for (ChangeEvent event : events) {
            String table = settings.tableFor(event.schema(), event.table());
            if (!SinkProperties.CLICKHOUSE_NAME.matcher(table).matches()) {
                preparation.refuse(event, new RejectedRecordException("Table name '" + table + "' is not usable in ClickHouse: map "
                        + event.schema() + "." + event.table() + " to another name with cdc.sink.clickhouse.tables"));
                continue;
            }
            byTable.computeIfAbsent(table, t -> new ArrayList<>()).add(event);
        }
        String syncedAt = LocalDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).format(SYNCED_AT);
        List<SinkRequest<byte[]>> inserts = new ArrayList<>(byTable.size());
        for (Map.Entry<String, List<ChangeEvent>> entry : byTable.entrySet()) {
            ClickHouseTables.Table table = tables.prepare(entry.getKey(), entry.getValue());
            Map<String, ClickHouseTypes.Column> columns = ClickHouseTypes.columns(table.columns());
            inserts.add(preparation.request(table.name(), entry.getValue(), event -> line(event, columns, syncedAt)));
        }
        return inserts;
    }

    /** Inserts the rows of one table; refused for their data, the runner halves them until the refused rows are alone. */
    @Override
    public SinkWriteResult write(SinkRequest<byte[]> insert) {
        // sized exactly: a growing buffer and its final copy were a tenth of the sink's allocations (JFR)
        int size = 0;
        for (byte[] line : insert.items()) {
            size += line.length;
        }
        byte[] body = new byte[size];
        int at = 0;
        for (byte[] line : insert.items()) {
            System.arraycopy(line, 0, body, at, line.length);
            at += line.length;
        }
        try {
            client.insert(ClickHouseClient.quote(insert.target()), body);
            return SinkWriteResult.allWritten(insert.size());
        } catch (ClickHouseException e) {
            if (e.isSchemaError()) {
                tables.forget(insert.target());
                throw new SinkUnavailableException("ClickHouse table " + insert.target() + " changed under the sink; trying again: " + e.getMessage(), e);
            }
            if (!e.isDataError()) {
                throw new SinkUnavailableException(e.getMessage(), e);
            }
            throw new SinkRequestRefusedException(e.getMessage(), e);
        }
    }

    /**
     * One JSONEachRow line: the row's columns the table has, converted to its types, then the sink's own columns.
     * Streamed from the record's own {@code after} bytes when the event has nothing to fill in from the old row;
     * otherwise from the row's tree (deletes, REPLICA IDENTITY FULL updates).
     */
    private static byte[] line(ChangeEvent event, Map<String, ClickHouseTypes.Column> columns, String syncedAt) {
        JsonParser streamed = event.isDelete() || event.hasBefore() ? null : event.afterParser();
        ObjectNode tree = streamed != null ? null : event.isDelete() ? event.row() : event.afterWithUnchangedToast();
        LineBuffer line = LINES.get();
        line.bytes.reset();
        JsonGenerator out = line.out;
        try (JsonParser in = streamed != null ? streamed : tree.traverse(ChangeEvent.JSON)) {
            out.writeStartObject();
            java.util.Set<String> written = event.isDelete() ? new java.util.HashSet<>() : null;
            in.nextToken(); // the row's START_OBJECT
            while (in.nextToken() == JsonToken.FIELD_NAME) {
                String name = in.currentName();
                JsonToken token = in.nextToken();
                ClickHouseTypes.Column column = columns.get(name);
                if (column == null || SINK_COLUMNS.contains(name)) {
                    // not in a user-supplied table (or add-columns off); or a sink column, whose own value always wins
                    in.skipChildren();
                    continue;
                }
                out.writeFieldName(name);
                ClickHouseTypes.write(in, token, column, out, streamed != null);
                if (written != null) {
                    written.add(name);
                }
            }
            if (written != null) {
                // columns the delete does not carry must still be valid for their (Nullable) types
                for (ClickHouseTypes.Column column : columns.values()) {
                    if (!written.contains(column.name()) && !column.name().startsWith("_") && column.kind() == ClickHouseTypes.Kind.ARRAY) {
                        out.writeFieldName(column.name());
                        out.writeStartArray();
                        out.writeEndArray();
                    }
                }
            }
            out.writeNumberField(ClickHouseTables.VERSION, event.lsn());
            out.writeNumberField(ClickHouseTables.IS_DELETED, event.isDelete() ? 1 : 0);
            out.writeStringField(ClickHouseTables.OP, event.op());
            out.writeNumberField(ClickHouseTables.SOURCE_TS_MS, event.sourceTsMs());
            out.writeStringField(ClickHouseTables.SYNCED_AT, syncedAt);
            out.writeEndObject();
            out.flush();
        } catch (IOException e) {
            LINES.remove(); // the generator stopped inside the row
            throw new RejectedRecordException("Cannot write the row as JSON: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            LINES.remove();
            throw e;
        }
        line.bytes.write('\n');
        return line.bytes.toByteArray();
    }

    /** Per converting thread, one generator over one buffer, reused line after line: making them was ~5% of converting. */
    private static final class LineBuffer {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024);
        final JsonGenerator out;

        LineBuffer() {
            try {
                out = ChangeEvent.JSON.getFactory().createGenerator(bytes);
            } catch (IOException e) {
                throw new IllegalStateException("A generator over a byte buffer cannot fail to open", e);
            }
            out.setRootValueSeparator(null); // lines follow each other without a separator
        }
    }

    private static final ThreadLocal<LineBuffer> LINES = ThreadLocal.withInitial(LineBuffer::new);

}
