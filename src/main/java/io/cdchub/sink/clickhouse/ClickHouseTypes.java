package io.cdchub.sink.clickhouse;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.cdchub.sink.RejectedRecordException;

/**
 * PostgreSQL to ClickHouse types, and change-event JSON values to what ClickHouse's JSONEachRow input
 * accepts for them. Only types ClickHouse 18.16 has are used (no Bool, DateTime64 or Map), except the
 * timestamp type, which is configurable.
 *
 * <table>
 * <caption>Type mapping (non-key columns are wrapped in Nullable)</caption>
 * <tr><th>PostgreSQL</th><th>ClickHouse</th></tr>
 * <tr><td>smallint / integer / bigint / oid</td><td>Int16 / Int32 / Int64 / UInt32</td></tr>
 * <tr><td>real / double precision</td><td>Float32 / Float64 (NaN, ±Infinity become NULL)</td></tr>
 * <tr><td>numeric(p,s), p &lt;= 38</td><td>Decimal(p,s)</td></tr>
 * <tr><td>numeric without precision, or p &gt; 38</td><td>Float64 (approximate)</td></tr>
 * <tr><td>money</td><td>Decimal(19,2)</td></tr>
 * <tr><td>boolean</td><td>UInt8 (0/1)</td></tr>
 * <tr><td>uuid</td><td>UUID</td></tr>
 * <tr><td>date</td><td>Date (1970-01-01..2105; other dates are dead-lettered)</td></tr>
 * <tr><td>timestamp, timestamptz</td><td>cdc.sink.clickhouse.timestamp-type: DateTime('UTC') (seconds) or DateTime64(6, 'UTC')</td></tr>
 * <tr><td>arrays</td><td>Array(Nullable(element)); a NULL array is written as []</td></tr>
 * <tr><td>json, jsonb, hstore, composite</td><td>String holding the JSON text</td></tr>
 * <tr><td>text, varchar, char, enum, time, timetz, interval, inet, bytea (base64), xml, anything else</td><td>String</td></tr>
 * </table>
 */
public final class ClickHouseTypes {

    private static final Map<String, String> SCALARS = Map.ofEntries(
            Map.entry("int2", "Int16"), Map.entry("int4", "Int32"), Map.entry("int8", "Int64"), Map.entry("oid", "UInt32"),
            Map.entry("float4", "Float32"), Map.entry("float8", "Float64"), Map.entry("money", "Decimal(19, 2)"),
            Map.entry("bool", "UInt8"), Map.entry("uuid", "UUID"), Map.entry("date", "Date"));

    private ClickHouseTypes() {
    }

    /** The ClickHouse type (without Nullable) for a PostgreSQL column. */
    public static String fromPostgres(PostgresColumns.Column column, String timestampType) {
        if ("ARRAY".equals(column.dataType()) && column.udtName().startsWith("_")) {
            return "Array(Nullable(" + scalar(column.udtName().substring(1), null, null, timestampType) + "))";
        }
        return scalar(column.udtName(), column.precision(), column.scale(), timestampType);
    }

    private static String scalar(String udt, Integer precision, Integer scale, String timestampType) {
        if ("numeric".equals(udt)) {
            return precision != null && precision >= 1 && precision <= 38 ? "Decimal(" + precision + ", " + (scale == null ? 0 : scale) + ")" : "Float64";
        }
        if ("timestamp".equals(udt) || "timestamptz".equals(udt)) {
            return timestampType;
        }
        return SCALARS.getOrDefault(udt, "String");
    }

    /** A type guessed from a JSON value, when PostgreSQL's catalog cannot be read. */
    public static String inferred(JsonNode value) {
        if (value == null || value.isNull()) {
            return "String";
        }
        if (value.isIntegralNumber()) {
            return "Int64";
        }
        if (value.isNumber()) {
            return "Float64";
        }
        if (value.isBoolean()) {
            return "UInt8";
        }
        if (value.isArray()) {
            return "Array(Nullable(String))";
        }
        return "String";
    }

    /** The column type for a non-key column: Nullable, except arrays (ClickHouse has no Nullable(Array)). */
    public static String nullable(String type) {
        return type.startsWith("Array(") || type.startsWith("Nullable(") ? type : "Nullable(" + type + ")";
    }

    /**
     * The JSONEachRow value for a column of this ClickHouse type.
     *
     * @throws RejectedRecordException when ClickHouse cannot hold the value (a date outside its range, a NULL key)
     */
    public static JsonNode convert(String column, JsonNode value, String type) {
        boolean nullable = type.startsWith("Nullable(");
        String base = nullable ? type.substring("Nullable(".length(), type.length() - 1) : type;
        if (value == null || value.isNull()) {
            if (base.startsWith("Array(")) {
                return JsonNodeFactory.instance.arrayNode();
            }
            if (!nullable) {
                throw new RejectedRecordException("Column '" + column + "' is NULL, but its ClickHouse type " + type + " is not Nullable");
            }
            return NullNode.instance;
        }
        if (base.startsWith("Array(")) {
            if (!value.isArray()) {
                throw new RejectedRecordException("Column '" + column + "' is not an array, but its ClickHouse type is " + type);
            }
            String element = base.substring("Array(".length(), base.length() - 1);
            ArrayNode out = JsonNodeFactory.instance.arrayNode(value.size());
            for (JsonNode item : value) {
                out.add(convert(column, item, element.startsWith("Nullable(") ? element : "Nullable(" + element + ")"));
            }
            return out;
        }
        switch (base) {
            case "String":
                return value.isTextual() ? value : TextNode.valueOf(value.toString());
            case "UInt8":
                return value.isBoolean() ? IntNode.valueOf(value.booleanValue() ? 1 : 0) : value;
            case "Float32":
            case "Float64":
                // PostgreSQL's NaN and infinities arrive as strings; ClickHouse's JSON input has no form for them
                return value.isTextual() && nullable ? NullNode.instance : value;
            case "Date":
                return checkYear(column, value, 1970, 2105);
            case "DateTime('UTC')":
                return checkYear(column, value, 1970, 2105);
            default:
                return value;
        }
    }

    private static JsonNode checkYear(String column, JsonNode value, int first, int last) {
        String text = value.asText();
        int year = -1;
        if (text.length() >= 5 && text.charAt(4) == '-') {
            try {
                year = Integer.parseInt(text.substring(0, 4));
            } catch (NumberFormatException e) {
                year = -1;
            }
        }
        if (year < first || year > last) {
            throw new RejectedRecordException("Column '" + column + "' is '" + text + "', outside the range of ClickHouse's Date/DateTime ("
                    + first + ".." + last + ")");
        }
        return value;
    }
}
