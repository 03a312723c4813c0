package io.cdchub.sink.lakehouse;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeParseException;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.change.ChangeEvent;
import io.cdchub.sink.RejectedRecordException;
import io.cdchub.sink.clickhouse.PostgresColumns;

/**
 * One column of a source table as the file sinks (Parquet, Delta Lake) write it: its name and the kind of value a
 * change event's JSON holds for it, chosen from PostgreSQL's catalog when it can be read, else from a value. Each file
 * format maps a kind to its own type (ParquetSink, DeltaSink); the values are converted here once, so both formats keep
 * the same values.
 *
 * <table>
 * <caption>PostgreSQL to column kinds (README "Parquet (and aggregates)")</caption>
 * <tr><th>PostgreSQL</th><th>kind</th><th>Java value</th></tr>
 * <tr><td>boolean</td><td>BOOLEAN</td><td>Boolean</td></tr>
 * <tr><td>smallint, integer</td><td>INT</td><td>Integer</td></tr>
 * <tr><td>bigint, oid</td><td>LONG</td><td>Long</td></tr>
 * <tr><td>real / double precision</td><td>FLOAT / DOUBLE</td><td>Float / Double ("NaN", "Infinity" kept)</td></tr>
 * <tr><td>numeric(p,s) with p &lt;= 38, money</td><td>DECIMAL(p,s), DECIMAL(19,2)</td><td>BigDecimal, exact</td></tr>
 * <tr><td>numeric without precision or p &gt; 38</td><td>STRING</td><td>the exact number as text (no double)</td></tr>
 * <tr><td>date</td><td>DATE</td><td>LocalDate</td></tr>
 * <tr><td>timestamp</td><td>TIMESTAMP</td><td>LocalDateTime (no zone, microseconds)</td></tr>
 * <tr><td>timestamptz</td><td>TIMESTAMPTZ</td><td>Instant (UTC, microseconds)</td></tr>
 * <tr><td>text types, uuid, enums, time, timetz, interval, inet, bytea (base64), xml, json/jsonb (JSON text),
 * arrays (JSON text), composites (JSON text), anything else</td><td>STRING</td><td>String</td></tr>
 * </table>
 * A column the catalog does not have (one a transform derives, or when the catalog cannot be read) takes its kind from
 * a value: integers LONG, booleans BOOLEAN, anything else STRING (other numbers as their exact text, never through a
 * double).
 *
 * @param name      the column's name
 * @param kind      the kind of its values
 * @param precision total digits (DECIMAL only)
 * @param scale     digits after the point (DECIMAL only)
 */
public record LakeColumn(String name, Kind kind, int precision, int scale) {

    /** What a column's values are. */
    public enum Kind { BOOLEAN, INT, LONG, FLOAT, DOUBLE, DECIMAL, STRING, DATE, TIMESTAMP, TIMESTAMPTZ }

    public static LakeColumn of(String name, Kind kind) {
        return new LakeColumn(name, kind, 0, 0);
    }

    /** The column for a PostgreSQL column of the catalog. */
    public static LakeColumn fromPostgres(PostgresColumns.Column column) {
        String udt = column.udtName();
        if ("ARRAY".equals(column.dataType())) {
            return of(column.name(), Kind.STRING);
        }
        return switch (udt) {
            case "bool" -> of(column.name(), Kind.BOOLEAN);
            case "int2", "int4" -> of(column.name(), Kind.INT);
            case "int8", "oid" -> of(column.name(), Kind.LONG);
            case "float4" -> of(column.name(), Kind.FLOAT);
            case "float8" -> of(column.name(), Kind.DOUBLE);
            case "money" -> new LakeColumn(column.name(), Kind.DECIMAL, 19, 2);
            case "numeric" -> column.precision() != null && column.precision() >= 1 && column.precision() <= 38
                    ? new LakeColumn(column.name(), Kind.DECIMAL, column.precision(), column.scale() == null ? 0 : column.scale())
                    : of(column.name(), Kind.STRING);
            case "date" -> of(column.name(), Kind.DATE);
            case "timestamp" -> of(column.name(), Kind.TIMESTAMP);
            case "timestamptz" -> of(column.name(), Kind.TIMESTAMPTZ);
            default -> of(column.name(), Kind.STRING);
        };
    }

    /** The column for a field the catalog does not know, from one of its values (null: STRING). */
    public static LakeColumn inferred(String name, JsonNode sample) {
        if (sample != null && sample.isIntegralNumber()) {
            return of(name, Kind.LONG);
        }
        if (sample != null && sample.isBoolean()) {
            return of(name, Kind.BOOLEAN);
        }
        return of(name, Kind.STRING);
    }

    /**
     * A change event's JSON value as this column's Java value (see the table above); null for JSON null, a missing value,
     * and Debezium's unchanged-TOAST placeholder in a column that is not text (the placeholder stays in text columns, as
     * in the other sinks: README "TOAST").
     *
     * @throws RejectedRecordException the value does not fit the column (dead-lettered with this reason)
     */
    public Object value(JsonNode json) {
        if (json == null || json.isNull() || json.isMissingNode()) {
            return null;
        }
        if (kind != Kind.STRING && ChangeEvent.isPlaceholder(json)) {
            return null;
        }
        try {
            return switch (kind) {
                case BOOLEAN -> {
                    if (!json.isBoolean()) {
                        throw refused(json, "is not a boolean");
                    }
                    yield json.booleanValue();
                }
                case INT -> {
                    if (!json.isIntegralNumber() || !json.canConvertToInt()) {
                        throw refused(json, "is not a 32-bit integer");
                    }
                    yield json.intValue();
                }
                case LONG -> {
                    if (!json.isIntegralNumber() || !json.canConvertToLong()) {
                        throw refused(json, "is not a 64-bit integer");
                    }
                    yield json.longValue();
                }
                case FLOAT -> (float) floating(json);
                case DOUBLE -> floating(json);
                case DECIMAL -> decimal(json);
                case STRING -> json.isTextual() ? json.textValue() : json.isNumber() ? json.decimalValue().toPlainString() : json.toString();
                case DATE -> LocalDate.parse(text(json, "a date"));
                case TIMESTAMP -> LocalDateTime.parse(text(json, "a timestamp"));
                case TIMESTAMPTZ -> Instant.parse(text(json, "a timestamp with time zone"));
            };
        } catch (DateTimeParseException e) {
            throw refused(json, "is not an ISO date/time this column can hold (±infinity has no value here)");
        }
    }

    private double floating(JsonNode json) {
        if (json.isNumber()) {
            return json.doubleValue();
        }
        if (json.isTextual()) {
            switch (json.textValue()) {
                case "NaN":
                    return Double.NaN;
                case "Infinity":
                    return Double.POSITIVE_INFINITY;
                case "-Infinity":
                    return Double.NEGATIVE_INFINITY;
                default:
                    break;
            }
        }
        throw refused(json, "is not a number");
    }

    private BigDecimal decimal(JsonNode json) {
        if (!json.isNumber()) {
            throw refused(json, "is not a number a decimal(" + precision + "," + scale + ") can hold (NaN and ±Infinity have no decimal value)");
        }
        BigDecimal value;
        try {
            value = json.decimalValue().setScale(scale, RoundingMode.UNNECESSARY);
        } catch (ArithmeticException e) {
            throw refused(json, "has more than " + scale + " digits after the point");
        }
        if (value.precision() > precision) {
            throw refused(json, "has more than " + precision + " digits");
        }
        return value;
    }

    private String text(JsonNode json, String what) {
        if (!json.isTextual()) {
            throw refused(json, "is not " + what);
        }
        return json.textValue();
    }

    private RejectedRecordException refused(JsonNode json, String why) {
        String shown = json.toString();
        return new RejectedRecordException("Column " + name + " (" + kind + "): the value " + (shown.length() > 80 ? shown.substring(0, 80) + "..." : shown) + " " + why);
    }
}
