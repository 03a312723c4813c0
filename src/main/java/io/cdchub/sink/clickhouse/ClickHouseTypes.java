package io.cdchub.sink.clickhouse;

import io.cdchub.change.ChangeEvent;
import java.io.IOException;
import java.util.Map;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
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

    /** How a column's values are written: the conversions {@link #write} applies, by the column's ClickHouse type. */
    enum Kind {
        /** String: other JSON values become their JSON text. */
        STRING,
        /** UInt8 (PostgreSQL boolean): true/false become 1/0. */
        UINT8,
        /** Float32/Float64: PostgreSQL's NaN and infinities (strings) become NULL, JSONEachRow has no form for them. */
        FLOAT,
        /** Date and DateTime('UTC'): years outside 1970..2105 are refused. */
        DATE,
        /** Array(...): each element converted for the element type; NULL becomes []. */
        ARRAY,
        /** Anything else: the value as it is. */
        AS_IS
    }

    /** A table column as {@link #write} needs it: its name, its type, the conversion, and for arrays the element's. */
    public record Column(String name, String type, Kind kind, boolean nullable, Column element) {

        public static Column of(String name, String type) {
            boolean nullable = type.startsWith("Nullable(");
            String base = nullable ? type.substring("Nullable(".length(), type.length() - 1) : type;
            if (base.startsWith("Array(")) {
                String element = base.substring("Array(".length(), base.length() - 1);
                return new Column(name, type, Kind.ARRAY, nullable, of(name, element.startsWith("Nullable(") ? element : "Nullable(" + element + ")"));
            }
            Kind kind = switch (base) {
                case "String" -> Kind.STRING;
                case "UInt8" -> Kind.UINT8;
                case "Float32", "Float64" -> Kind.FLOAT;
                case "Date", "DateTime('UTC')" -> Kind.DATE;
                default -> Kind.AS_IS;
            };
            return new Column(name, type, kind, nullable, null);
        }
    }

    /** The columns of a table (name to ClickHouse type) as {@link Column}s, in the same order. */
    public static Map<String, Column> columns(Map<String, String> types) {
        Map<String, Column> columns = new java.util.LinkedHashMap<>();
        types.forEach((name, type) -> columns.put(name, Column.of(name, type)));
        return columns;
    }

    /**
     * Writes the value the parser is at ({@code token}, its current token) as the JSONEachRow value for the column,
     * token by token, and leaves the parser on the value's last token. Numbers keep their exact text: from a record's
     * bytes ({@code fromText}) as written there, from a tree as its exact number.
     *
     * @throws RejectedRecordException when ClickHouse cannot hold the value (a date outside its range, a NULL key)
     */
    public static void write(JsonParser in, JsonToken token, Column column, JsonGenerator out, boolean fromText) throws IOException {
        if (token == JsonToken.VALUE_NULL) {
            if (column.kind() == Kind.ARRAY) {
                out.writeStartArray();
                out.writeEndArray();
            } else if (!column.nullable()) {
                throw new RejectedRecordException("Column '" + column.name() + "' is NULL, but its ClickHouse type " + column.type() + " is not Nullable");
            } else {
                out.writeNull();
            }
            return;
        }
        switch (column.kind()) {
            case ARRAY -> {
                if (token != JsonToken.START_ARRAY) {
                    throw new RejectedRecordException("Column '" + column.name() + "' is not an array, but its ClickHouse type is " + column.type());
                }
                out.writeStartArray();
                for (JsonToken element = in.nextToken(); element != JsonToken.END_ARRAY; element = in.nextToken()) {
                    write(in, element, column.element(), out, fromText);
                }
                out.writeEndArray();
            }
            case STRING -> {
                if (token == JsonToken.VALUE_STRING) {
                    out.writeString(in.getTextCharacters(), in.getTextOffset(), in.getTextLength());
                } else if (token.isStructStart()) {
                    out.writeString(ChangeEvent.JSON.readTree(in).toString()); // json/jsonb/composite: the JSON text
                } else {
                    out.writeString(in.getText());
                }
            }
            case UINT8 -> {
                if (token == JsonToken.VALUE_TRUE || token == JsonToken.VALUE_FALSE) {
                    out.writeNumber(token == JsonToken.VALUE_TRUE ? 1 : 0);
                } else {
                    copy(in, token, out, fromText);
                }
            }
            case FLOAT -> {
                if (token == JsonToken.VALUE_STRING && column.nullable()) {
                    out.writeNull();
                } else {
                    copy(in, token, out, fromText);
                }
            }
            case DATE -> {
                checkYear(column, token.isStructStart() ? "" : in.getText(), 1970, 2105);
                copy(in, token, out, fromText);
            }
            default -> copy(in, token, out, fromText);
        }
    }

    /** The value as it is. */
    private static void copy(JsonParser in, JsonToken token, JsonGenerator out, boolean fromText) throws IOException {
        switch (token) {
            case VALUE_STRING -> out.writeString(in.getTextCharacters(), in.getTextOffset(), in.getTextLength());
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                if (fromText) {
                    out.writeNumber(in.getTextCharacters(), in.getTextOffset(), in.getTextLength());
                } else {
                    Number number = in.getNumberValue();
                    if (number instanceof java.math.BigDecimal decimal) {
                        out.writeNumber(decimal);
                    } else {
                        out.writeNumber(in.getText());
                    }
                }
            }
            case VALUE_TRUE, VALUE_FALSE -> out.writeBoolean(token == JsonToken.VALUE_TRUE);
            case START_OBJECT, START_ARRAY -> out.writeTree(ChangeEvent.JSON.readTree(in));
            default -> out.writeNull();
        }
    }

    private static void checkYear(Column column, String text, int first, int last) {
        int year = -1;
        if (text.length() >= 5 && text.charAt(4) == '-') {
            try {
                year = Integer.parseInt(text.substring(0, 4));
            } catch (NumberFormatException e) {
                year = -1;
            }
        }
        if (year < first || year > last) {
            throw new RejectedRecordException("Column '" + column.name() + "' is '" + text + "', outside the range of ClickHouse's Date/DateTime ("
                    + first + ".." + last + ")");
        }
    }
}
