package io.cdchub.source.polling;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.data.Envelope;
import io.debezium.relational.Column;
import io.debezium.relational.Table;
import io.debezium.relational.TableSchema;
import io.debezium.util.ColumnUtils;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * One polled table: its columns and key as Debezium reads them, the queries of a poll (built once from quoted
 * identifiers; values are bound), and where polling stands.
 *
 * <p><b>Passes.</b> Rows are read in (watermark, primary key) order, {@code batchSize} at a time, each poll going on
 * after the last row read ({@code (wm, pk) > (?, ?)}, so ties on the watermark are never skipped). A poll that reads
 * fewer rows than that has reached the end of the table: the pass is over, and the next one starts again at the
 * highest watermark seen minus the margin. So a row committed late with a watermark up to the margin older than rows
 * already read is still found. Rows read again in the overlap are recognised by (key, watermark) and not published
 * again; that memory holds only the margin's rows and is lost at a restart, where the overlap is published again.
 *
 * <p>Nothing here moves until Kafka has acknowledged a batch ({@link #acknowledged}): a failed poll or publish leaves
 * the table where it was, and the next poll reads the same rows.
 */
final class PolledTable {

    /** What the watermark column holds. */
    enum WatermarkKind {
        /** timestamptz, timestamp or date: the margin is a duration */
        TIME,
        /** an increasing number: the margin is a count of key values */
        KEY
    }

    /** PostgreSQL types a watermark may have, with the SQL type its bound values are cast to. */
    private static final Map<String, String> TIME_TYPES = Map.of("timestamptz", "timestamptz", "timestamp", "timestamp", "date", "date");
    private static final Map<String, String> KEY_TYPES = Map.of("int2", "smallint", "int4", "integer", "int8", "bigint", "serial", "integer",
            "bigserial", "bigint", "smallserial", "smallint", "numeric", "numeric");

    final PollingProperties.Table config;
    final Table table;
    final TableSchema schema;
    final WatermarkKind kind;
    final int batchSize;
    final Duration pollInterval;
    /** The margin in watermark positions: microseconds for {@link WatermarkKind#TIME}, key values for {@link WatermarkKind#KEY}. */
    final BigDecimal margin;
    private final Column[] columns;
    private final int[] keyIndexes;
    /** Result columns after the table's own: the watermark as text and as a position, the row's xmin, deleted, updated. */
    private final int extras;

    private final String firstPassSql;
    private final String passSql;
    private final String nextSql;

    // where polling stands: changed only when Kafka acknowledged a batch
    private Position high;
    private Cursor cursor;
    private boolean loaded;
    /** (key, watermark) of the rows published in the current margin: not published again when read again. */
    private final Map<List<Object>, BigDecimal> published = new HashMap<>();
    private volatile long lastPollMillis;
    private volatile String lastFailure;

    PolledTable(PollingProperties.Table config, Table table, TableSchema schema, WatermarkKind kind, String watermarkSqlType,
            PostgresConnection connection, int batchSize, Duration pollInterval, BigDecimal margin) {
        this.config = config;
        this.table = table;
        this.schema = schema;
        this.kind = kind;
        this.batchSize = batchSize;
        this.pollInterval = pollInterval;
        this.margin = margin;
        this.columns = table.columns().toArray(Column[]::new);
        List<String> key = table.primaryKeyColumnNames();
        this.keyIndexes = new int[key.size()];
        for (int i = 0; i < keyIndexes.length; i++) {
            keyIndexes[i] = table.columnWithName(key.get(i)).position();
        }
        this.extras = columns.length;

        String wm = connection.quoteIdentifier(config.watermarkColumn());
        List<String> selected = new ArrayList<>();
        for (Column column : columns) {
            selected.add(connection.quoteIdentifier(column.name()));
        }
        selected.add("CAST(" + wm + " AS text)");
        selected.add(kind == WatermarkKind.TIME ? "CAST(extract(epoch FROM " + wm + ") * 1000000 AS numeric)" : "CAST(" + wm + " AS numeric)");
        selected.add("CAST(CAST(xmin AS text) AS bigint)");
        selected.add(deletedExpression(config, table, connection));
        selected.add(config.createdColumn() == null ? "CAST(NULL AS boolean)"
                : "(" + connection.quoteIdentifier(config.createdColumn()) + " IS DISTINCT FROM " + wm + ")");
        // the table's columns by their qualified names: the extras' output names (the watermark cast to text is called
        // like the watermark) would make a bare name in ORDER BY ambiguous
        String from = " FROM " + connection.quoteIdentifier(table.id().schema()) + "." + connection.quoteIdentifier(table.id().table()) + " AS t";
        List<String> order = new ArrayList<>();
        order.add("t." + wm);
        for (String k : key) {
            order.add("t." + connection.quoteIdentifier(k));
        }
        String orderBy = " ORDER BY " + String.join(", ", order) + " LIMIT ?";
        String select = "SELECT " + String.join(", ", selected) + from;
        String marginExpression = kind == WatermarkKind.TIME ? "make_interval(secs => CAST(? AS double precision))" : "CAST(? AS numeric)";
        this.firstPassSql = select + " WHERE " + wm + " IS NOT NULL" + orderBy;
        this.passSql = select + " WHERE " + wm + " >= CAST(? AS " + watermarkSqlType + ") - " + marginExpression + orderBy;
        String[] placeholders = new String[key.size()];
        Arrays.fill(placeholders, "?");
        this.nextSql = select + " WHERE (" + String.join(", ", order) + ") > (CAST(? AS " + watermarkSqlType + "), " + String.join(", ", placeholders)
                + ")" + orderBy;
    }

    /** The SQL type bound watermarks are cast to, or null when the column's type cannot be a watermark. */
    static String watermarkSqlType(Column column) {
        String type = column.typeName() == null ? "" : column.typeName().toLowerCase(java.util.Locale.ROOT);
        String time = TIME_TYPES.get(type);
        return time != null ? time : KEY_TYPES.get(type);
    }

    static WatermarkKind kindOf(Column column) {
        return TIME_TYPES.containsKey(column.typeName().toLowerCase(java.util.Locale.ROOT)) ? WatermarkKind.TIME : WatermarkKind.KEY;
    }

    private static String deletedExpression(PollingProperties.Table config, Table table, PostgresConnection connection) {
        if (config.softDeleteColumn() == null) {
            return "false";
        }
        Column column = table.columnWithName(config.softDeleteColumn());
        String quoted = connection.quoteIdentifier(config.softDeleteColumn());
        return "bool".equalsIgnoreCase(column.typeName()) ? "(" + quoted + " IS TRUE)" : "(" + quoted + " IS NOT NULL)";
    }

    String name() {
        return config.qualifiedName();
    }

    /** Restores where polling stood at the last stop (null: never polled, the first pass loads the table). */
    void restore(Position stored, boolean storedLoaded) {
        high = stored;
        loaded = storedLoaded;
        cursor = null;
    }

    /** Checks the queries against the table once, at start, so a column of the wrong type fails start-up and not every poll. */
    void check(Connection jdbc) throws SQLException {
        try (PreparedStatement statement = jdbc.prepareStatement(firstPassSql)) {
            statement.setInt(1, 0);
            statement.executeQuery().close();
        }
    }

    /**
     * Reads the next rows (at most the batch size) and returns them as Debezium records, with what the table's state
     * becomes once Kafka has them.
     */
    Poll poll(PostgresConnection connection, PolledSourceBlock sourceBlock, int queryTimeoutSeconds) throws SQLException {
        Connection jdbc = connection.connection();
        String sql = cursor != null ? nextSql : high == null ? firstPassSql : passSql;
        List<SourceRecord> records = new ArrayList<>();
        int read = 0;
        Cursor last = cursor;
        Position highest = high;
        List<Published> marked = new ArrayList<>();
        Instant now = Instant.now();
        try (PreparedStatement statement = jdbc.prepareStatement(sql)) {
            statement.setQueryTimeout(queryTimeoutSeconds);
            int p = 1;
            if (cursor != null) {
                statement.setString(p++, cursor.watermark());
                for (Object keyValue : cursor.key()) {
                    statement.setObject(p++, keyValue);
                }
            } else if (high != null) {
                statement.setString(p++, high.text());
                statement.setString(p++, kind == WatermarkKind.TIME
                        ? new BigDecimal(margin.toPlainString()).movePointLeft(6).toPlainString() : margin.toPlainString());
            }
            statement.setInt(p, batchSize);
            try (ResultSet rs = statement.executeQuery()) {
                ColumnUtils.ColumnArray columnArray = null;
                while (rs.next()) {
                    read++;
                    if (columnArray == null) {
                        columnArray = new ColumnUtils.ColumnArray(columns, maxPosition());
                    }
                    Object[] row = connection.rowToArray(table, rs, columnArray);
                    Object[] key = new Object[keyIndexes.length];
                    for (int i = 0; i < key.length; i++) {
                        key[i] = rs.getObject(keyIndexes[i]);
                    }
                    String watermark = rs.getString(extras + 1);
                    BigDecimal position = rs.getBigDecimal(extras + 2);
                    long xmin = rs.getLong(extras + 3);
                    boolean deleted = rs.getBoolean(extras + 4);
                    boolean updated = rs.getBoolean(extras + 5);
                    last = new Cursor(watermark, key);
                    if (highest == null || position.compareTo(highest.position()) > 0) {
                        highest = new Position(watermark, position);
                    }
                    List<Object> seen = List.of(Arrays.asList(key), watermark);
                    if (published.containsKey(seen) || (!loaded && deleted)) {
                        continue; // read again in the overlap; or deleted before the first load saw it
                    }
                    marked.add(new Published(seen, position));
                    String op = !loaded ? "r" : deleted ? "d" : updated ? "u" : "c";
                    records.add(record(row, op, sourceBlock.of(schema.getEnvelopeSchema().schema().field("source").schema(), table.id(), now, !loaded, xmin), now));
                    if ("d".equals(op) && sourceBlock.debeziumTombstones()) {
                        records.add(new SourceRecord(Map.of(), Map.of(), sourceBlock.debeziumTopic(table.id()), null,
                                schema.keySchema(), schema.keyFromColumnData(row), null, null));
                    }
                }
            }
        }
        return new Poll(records, read, read < batchSize, last, highest, marked);
    }

    private int maxPosition() {
        int max = 0;
        for (Column column : columns) {
            max = Math.max(max, column.position());
        }
        return max;
    }

    private SourceRecord record(Object[] row, String op, Struct source, Instant now) {
        Struct key = schema.keyFromColumnData(row);
        Struct value = schema.valueFromColumnData(row);
        Envelope envelope = schema.getEnvelopeSchema();
        Struct event = switch (op) {
            case "r" -> envelope.read(value, source, now);
            case "u" -> envelope.update(null, value, source, now);
            case "d" -> envelope.delete(value, source, now);
            default -> envelope.create(value, source, now);
        };
        return new SourceRecord(Map.of(), Map.of(), table.id().toString(), null, schema.keySchema(), key, envelope.schema(), event);
    }

    /** Kafka has every record of the poll: the table moves past its rows. */
    void acknowledged(Poll poll) {
        lastPollMillis = System.currentTimeMillis();
        lastFailure = null;
        for (Published p : poll.published()) {
            published.put(p.seen(), p.position());
        }
        high = poll.highest();
        if (poll.endOfPass()) {
            // the next pass starts a margin before the highest watermark: forget what lies before that
            cursor = null;
            loaded = true;
            if (high != null) {
                BigDecimal floor = high.position().subtract(margin);
                published.values().removeIf(position -> position.compareTo(floor) < 0);
            }
        } else {
            cursor = poll.last();
        }
    }

    /**
     * The poll failed (query refused, database away): kept for health until a poll goes through.
     *
     * @return whether this is the first failure since the last poll that went through
     */
    boolean failed(Exception e) {
        boolean first = lastFailure == null;
        lastFailure = e.getClass().getSimpleName() + ": " + e.getMessage();
        return first;
    }

    State state() {
        Position h = high;
        return new State(h == null ? null : h.text(), loaded, lastPollMillis, lastFailure);
    }

    /**
     * What health reports of a table.
     *
     * @param watermark      the highest watermark published, as PostgreSQL writes it (null before the first row)
     * @param loaded         the first load is done
     * @param lastPollMillis when a poll was last acknowledged by Kafka (0: not yet)
     * @param failure        why the last poll failed, while none has gone through since; else null
     */
    public record State(String watermark, boolean loaded, long lastPollMillis, String failure) {
    }

    Position high() {
        return high;
    }

    boolean loaded() {
        return loaded;
    }

    long lastPollMillis() {
        return lastPollMillis;
    }

    /** How far behind now the highest watermark published is, in seconds (timestamp watermarks only; else NaN). */
    double watermarkLagSeconds() {
        Position h = high;
        if (kind != WatermarkKind.TIME || h == null) {
            return Double.NaN;
        }
        long micros = Instant.now().toEpochMilli() * 1000;
        return Math.max(0, (micros - h.position().longValue()) / 1_000_000.0);
    }

    /** A watermark: as PostgreSQL writes it (bound back as text) and as a number to compare (micros, or the key). */
    record Position(String text, BigDecimal position) {
    }

    /** The last row a pass has read: the next poll goes on after it. */
    record Cursor(String watermark, Object[] key) {
    }

    record Published(List<Object> seen, BigDecimal position) {
    }

    /**
     * One poll's outcome.
     *
     * @param records   the Debezium records to publish (rows read again in the overlap are not among them)
     * @param read      rows the query returned
     * @param endOfPass fewer rows than the batch size: the pass has reached the table's end
     * @param last      the last row read
     * @param highest   the highest watermark read so far
     * @param published the rows of {@code records}, remembered once Kafka has them
     */
    record Poll(List<SourceRecord> records, int read, boolean endOfPass, Cursor last, Position highest, List<Published> published) {
    }
}
