package io.cdchub.sink.iceberg;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.sink.RejectedRecordException;
import io.cdchub.sink.clickhouse.PostgresColumns;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * PostgreSQL to Iceberg types (from PostgreSQL's catalog; from the JSON values when it cannot be read), and change-event
 * JSON values (cdc-hub's envelope, io.cdchub.source.ConnectValueConverter) to the Java values Iceberg's generic records hold.
 *
 * <table>
 * <caption>Type mapping (key columns are required, the others optional)</caption>
 * <tr><th>PostgreSQL</th><th>Iceberg</th></tr>
 * <tr><td>smallint, integer</td><td>int</td></tr>
 * <tr><td>bigint, oid</td><td>long</td></tr>
 * <tr><td>real / double precision</td><td>float / double ("NaN", "Infinity", "-Infinity" kept)</td></tr>
 * <tr><td>numeric(p,s), p &lt;= 38</td><td>decimal(p,s), exact (a value that does not fit is dead-lettered)</td></tr>
 * <tr><td>money</td><td>decimal(19,2)</td></tr>
 * <tr><td>numeric without precision, or p &gt; 38</td><td>string holding the exact number</td></tr>
 * <tr><td>boolean</td><td>boolean</td></tr>
 * <tr><td>uuid</td><td>uuid</td></tr>
 * <tr><td>date</td><td>date</td></tr>
 * <tr><td>time</td><td>time (microseconds)</td></tr>
 * <tr><td>timestamp</td><td>timestamp (microseconds, no zone)</td></tr>
 * <tr><td>timestamptz</td><td>timestamptz (microseconds, UTC)</td></tr>
 * <tr><td>bytea</td><td>binary</td></tr>
 * <tr><td>json, jsonb, arrays, hstore, composite, geometry</td><td>string holding the JSON text</td></tr>
 * <tr><td>text, varchar, char, enum, timetz, interval, inet, xml, anything else</td><td>string</td></tr>
 * </table>
 * PostgreSQL's {@code infinity} dates and timestamps, and {@code 24:00:00}, have no Iceberg value: such a change is
 * dead-lettered with the reason.
 */
public final class IcebergTypes {

    private static final Map<String, Type> SCALARS = Map.ofEntries(
            Map.entry("int2", Types.IntegerType.get()), Map.entry("int4", Types.IntegerType.get()),
            Map.entry("int8", Types.LongType.get()), Map.entry("oid", Types.LongType.get()),
            Map.entry("float4", Types.FloatType.get()), Map.entry("float8", Types.DoubleType.get()),
            Map.entry("money", Types.DecimalType.of(19, 2)), Map.entry("bool", Types.BooleanType.get()),
            Map.entry("uuid", Types.UUIDType.get()), Map.entry("date", Types.DateType.get()),
            Map.entry("time", Types.TimeType.get()), Map.entry("timestamp", Types.TimestampType.withoutZone()),
            Map.entry("timestamptz", Types.TimestampType.withZone()), Map.entry("bytea", Types.BinaryType.get()));

    private IcebergTypes() {
    }

    /** The Iceberg type for a PostgreSQL column. */
    public static Type fromPostgres(PostgresColumns.Column column) {
        if ("ARRAY".equals(column.dataType())) {
            return Types.StringType.get();
        }
        if ("numeric".equals(column.udtName())) {
            Integer precision = column.precision();
            return precision != null && precision >= 1 && precision <= 38
                    ? Types.DecimalType.of(precision, column.scale() == null ? 0 : column.scale()) : Types.StringType.get();
        }
        return SCALARS.getOrDefault(column.udtName(), Types.StringType.get());
    }

    /** A type guessed from a JSON value, when PostgreSQL's catalog cannot be read (decimals become strings: exact). */
    public static Type inferred(JsonNode value) {
        if (value != null && value.isIntegralNumber()) {
            return Types.LongType.get();
        }
        if (value != null && value.isBoolean()) {
            return Types.BooleanType.get();
        }
        return Types.StringType.get();
    }

    /**
     * The Java value of a JSON value for an Iceberg type.
     *
     * @throws RejectedRecordException when the value does not fit the type (named in the message)
     */
    public static Object value(String column, JsonNode value, Type type) {
        if (value == null || value.isNull()) {
            return null;
        }
        if (type.typeId() != Type.TypeID.STRING && io.cdchub.change.ChangeEvent.isPlaceholder(value)) {
            // the row's current value is not in the change; a text column keeps the placeholder (as in the other sinks),
            // but writing null or a made-up value here would overwrite what the table holds
            throw new RejectedRecordException("Column '" + column + "' is an unchanged TOASTed value that the change does not carry"
                    + " (Debezium's placeholder), which an Iceberg " + type + " column cannot keep: set REPLICA IDENTITY FULL on the"
                    + " source table so that changes carry it (README \"Unchanged TOAST values\")");
        }
        try {
            return switch (type.typeId()) {
                case BOOLEAN -> {
                    if (!value.isBoolean()) {
                        throw refused(column, value, type);
                    }
                    yield value.booleanValue();
                }
                case INTEGER -> {
                    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
                        throw refused(column, value, type);
                    }
                    yield value.intValue();
                }
                case LONG -> {
                    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
                        throw refused(column, value, type);
                    }
                    yield value.longValue();
                }
                case FLOAT -> value.isNumber() ? value.floatValue() : (Object) Float.parseFloat(special(column, value, type));
                case DOUBLE -> value.isNumber() ? value.doubleValue() : (Object) Double.parseDouble(special(column, value, type));
                case DECIMAL -> decimal(column, value, (Types.DecimalType) type);
                case DATE -> LocalDate.parse(value.asText());
                case TIME -> LocalTime.parse(value.asText());
                case TIMESTAMP -> ((Types.TimestampType) type).shouldAdjustToUTC() ? OffsetDateTime.parse(value.asText())
                        : LocalDateTime.parse(value.asText());
                case UUID -> UUID.fromString(value.asText());
                case BINARY -> ByteBuffer.wrap(Base64.getDecoder().decode(value.asText()));
                case STRING -> value.isTextual() ? value.textValue() : value.isNumber() ? value.decimalValue().toPlainString() : value.toString();
                default -> throw new RejectedRecordException("Column '" + column + "' has Iceberg type " + type + ", which the sink does not write");
            };
        } catch (DateTimeParseException | IllegalArgumentException e) {
            throw refused(column, value, type);
        }
    }

    private static String special(String column, JsonNode value, Type type) {
        String text = value.asText();
        if (text.equals("NaN") || text.equals("Infinity") || text.equals("-Infinity")) {
            return text;
        }
        throw refused(column, value, type);
    }

    private static BigDecimal decimal(String column, JsonNode value, Types.DecimalType type) {
        BigDecimal decimal = value.isNumber() ? value.decimalValue() : value.isTextual() ? new BigDecimal(value.textValue()) : null;
        if (decimal == null) {
            throw refused(column, value, type);
        }
        try {
            BigDecimal scaled = decimal.setScale(type.scale()); // exact: throws rather than rounds
            if (scaled.precision() > type.precision()) {
                throw refused(column, value, type);
            }
            return scaled;
        } catch (ArithmeticException e) {
            throw refused(column, value, type);
        }
    }

    private static RejectedRecordException refused(String column, JsonNode value, Type type) {
        String text = value.toString();
        return new RejectedRecordException("Column '" + column + "' cannot hold " + (text.length() > 80 ? text.substring(0, 80) + "..." : text)
                + " as Iceberg " + type);
    }
}
