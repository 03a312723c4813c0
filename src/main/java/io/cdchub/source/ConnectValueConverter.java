package io.cdchub.source;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.debezium.data.SpecialValueDecimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * Turns Kafka Connect data produced by Debezium's PostgreSQL connector into Jackson trees for a
 * Debezium-compatible JSON change envelope. The connector is expected to run with
 * {@code decimal.handling.mode=precise}, {@code time.precision.mode=adaptive_time_microseconds},
 * {@code binary.handling.mode=bytes}, {@code interval.handling.mode=string},
 * {@code hstore.handling.mode=json} and {@code include.unknown.datatypes=true}.
 *
 * <p>Dispatch is on the schema's logical name first, then on its Connect type:
 * <table>
 * <caption>Mapping</caption>
 * <tr><th>PostgreSQL</th><th>Connect schema</th><th>JSON</th></tr>
 * <tr><td>any SQL NULL</td><td>any</td><td>{@code null}</td></tr>
 * <tr><td>smallint, integer, bigint, oid</td><td>INT16/INT32/INT64</td><td>integer number, exact</td></tr>
 * <tr><td>real, double precision</td><td>FLOAT32/FLOAT64</td><td>number; NaN/±Infinity as the strings
 *     {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}</td></tr>
 * <tr><td>numeric(p,s), money</td><td>{@code org.apache.kafka.connect.data.Decimal}</td><td>exact number, scale kept
 *     (trailing zeros included)</td></tr>
 * <tr><td>numeric (unconstrained)</td><td>{@code io.debezium.data.VariableScaleDecimal}</td><td>exact number with the
 *     scale Debezium sent</td></tr>
 * <tr><td>boolean, bit(1)</td><td>BOOLEAN</td><td>{@code true}/{@code false}</td></tr>
 * <tr><td>text, varchar, char, inet, cidr, macaddr, ranges, ...</td><td>STRING</td><td>string</td></tr>
 * <tr><td>uuid, enum, xml, ltree, tsvector</td><td>STRING with Debezium name</td><td>string, unchanged</td></tr>
 * <tr><td>json, jsonb, hstore</td><td>{@code io.debezium.data.Json}</td><td>the document embedded as JSON
 *     (numbers exact)</td></tr>
 * <tr><td>bytea, unknown types</td><td>BYTES</td><td>base64 string (standard alphabet, padded)</td></tr>
 * <tr><td>bit(n), varbit</td><td>{@code io.debezium.data.Bits}</td><td>base64 of Debezium's bytes</td></tr>
 * <tr><td>date</td><td>{@code io.debezium.time.Date}</td><td>{@code "2024-02-29"}</td></tr>
 * <tr><td>time</td><td>{@code io.debezium.time.MicroTime}</td><td>{@code "13:45:30.123456"}, {@code "24:00:00"}</td></tr>
 * <tr><td>timestamp(0-3) / timestamp(4-6)</td><td>{@code io.debezium.time.Timestamp} /
 *     {@code MicroTimestamp}</td><td>{@code "2024-02-29T13:45:30.123456"} (local, no zone)</td></tr>
 * <tr><td>timestamptz, timetz</td><td>{@code io.debezium.time.ZonedTimestamp} / {@code ZonedTime}</td><td>Debezium's UTC
 *     text unchanged, e.g. {@code "2024-02-29T13:45:30.123456Z"}</td></tr>
 * <tr><td>interval</td><td>{@code io.debezium.time.Interval} ({@code MicroDuration} in numeric mode)</td><td>ISO-8601
 *     duration text</td></tr>
 * <tr><td>arrays</td><td>ARRAY</td><td>array, elements converted by the element schema</td></tr>
 * <tr><td>hstore (map mode)</td><td>MAP</td><td>object keyed by {@code String.valueOf(key)}</td></tr>
 * <tr><td>point, PostGIS geometry/geography, composite</td><td>STRUCT</td><td>object, one member per field
 *     ({@code wkb} as base64)</td></tr>
 * <tr><td>pgvector vector, halfvec, sparsevec</td><td>Debezium vector names (ARRAY/STRUCT)</td><td>array of numbers /
 *     object</td></tr>
 * </table>
 * The {@code org.apache.kafka.connect.data.Date/Time/Timestamp} logical types, {@code io.debezium.time.Time},
 * {@code NanoTime}, {@code NanoTimestamp}, {@code NanoDuration}, {@code IsoDate}, {@code IsoTime} and
 * {@code IsoTimestamp} are mapped the same way, for other precision modes.
 *
 * <p><b>Infinity.</b> PostgreSQL {@code 'infinity'}/{@code '-infinity'} dates and timestamps become the strings
 * {@code "infinity"} and {@code "-infinity"}, never a far-away year. Debezium 3.4 encodes them as sentinels:
 * timestamptz as those very strings (passed through); timestamp as {@code PGStatement.DATE_POSITIVE_INFINITY}
 * ({@code 9223372036825200000}) / {@code DATE_NEGATIVE_INFINITY} ({@code -9223372036832400000}) micros, or those
 * divided by 1000 as millis for timestamp(0-3); {@link Long#MAX_VALUE}/{@link Long#MIN_VALUE} are recognised too;
 * date as epoch days {@code -2147472692} (+infinity) and {@code -2147472691} (-infinity), PostgreSQL's
 * internal sentinels shifted to the Unix epoch. Any other epoch day outside PostgreSQL's date range
 * (4714-11-24 BC .. 5874897-12-31) is rejected rather than rendered as a bogus date (Debezium's snapshot
 * path encodes infinite dates that way).
 *
 * <p><b>Unchanged TOAST values.</b> A value equal to the unavailable-value placeholder (a String, or a byte[] /
 * ByteBuffer holding its UTF-8 bytes) becomes the placeholder as a JSON string whatever the schema, without
 * being parsed. Debezium's array-shaped markers for unchanged TOASTed arrays (a list holding the placeholder,
 * the placeholder bytes as an int/bigint/date list, or the name-based UUID of the placeholder for uuid[]) all
 * become {@code ["<placeholder>"]}; its hstore marker ({@code {"<placeholder>":"<placeholder>"}}) becomes the
 * placeholder string.
 *
 * <p><b>Nulls.</b> A struct field that is null is written as null even when its schema carries a default value
 * (Connect's {@code Struct.get} would substitute the default).
 *
 * <p>Anything else - a logical name this class does not know, a Java value of the wrong type for its schema,
 * a NaN/Infinity numeric, unparsable JSON text, a time of day out of range - raises
 * {@link UnconvertibleChangeException} naming the field path, the Connect type and the logical name.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class ConnectValueConverter {

    /** Debezium's default placeholder for unchanged TOAST values. */
    public static final String UNAVAILABLE_VALUE_PLACEHOLDER = io.cdchub.change.ChangeEvent.UNAVAILABLE_VALUE;

    // Logical names handled by a dedicated conversion (switch labels must be constants).
    private static final String CONNECT_DECIMAL = "org.apache.kafka.connect.data.Decimal";
    private static final String CONNECT_DATE = "org.apache.kafka.connect.data.Date";
    private static final String CONNECT_TIME = "org.apache.kafka.connect.data.Time";
    private static final String CONNECT_TIMESTAMP = "org.apache.kafka.connect.data.Timestamp";
    private static final String VARIABLE_SCALE_DECIMAL = "io.debezium.data.VariableScaleDecimal";
    private static final String JSON = "io.debezium.data.Json";
    private static final String BITS = "io.debezium.data.Bits";
    private static final String DATE = "io.debezium.time.Date";
    private static final String TIME = "io.debezium.time.Time";
    private static final String MICRO_TIME = "io.debezium.time.MicroTime";
    private static final String NANO_TIME = "io.debezium.time.NanoTime";
    private static final String TIMESTAMP = "io.debezium.time.Timestamp";
    private static final String MICRO_TIMESTAMP = "io.debezium.time.MicroTimestamp";
    private static final String NANO_TIMESTAMP = "io.debezium.time.NanoTimestamp";
    private static final String MICRO_DURATION = "io.debezium.time.MicroDuration";
    private static final String NANO_DURATION = "io.debezium.time.NanoDuration";
    private static final String UUID_LOGICAL_NAME = "io.debezium.data.Uuid";

    /** String-typed logical names whose text is already the JSON form: passed through unchanged. */
    private static final Set<String> TEXT_LOGICAL_NAMES = Set.of(
            UUID_LOGICAL_NAME,
            "io.debezium.data.Enum",
            "io.debezium.data.EnumSet",
            "io.debezium.data.Xml",
            "io.debezium.data.Ltree",
            "io.debezium.data.Tsvector",
            "io.debezium.time.ZonedTimestamp",
            "io.debezium.time.ZonedTime",
            "io.debezium.time.Interval",
            "io.debezium.time.IsoDate",
            "io.debezium.time.IsoTime",
            "io.debezium.time.IsoTimestamp");

    /** Logical names whose values are plain Connect structs/arrays: converted by their Connect type. */
    private static final Set<String> STRUCTURAL_LOGICAL_NAMES = Set.of(
            "io.debezium.data.geometry.Point",
            "io.debezium.data.geometry.Geometry",
            "io.debezium.data.geometry.Geography",
            "io.debezium.data.FloatVector",
            "io.debezium.data.DoubleVector",
            "io.debezium.data.SparseDoubleVector");

    /** Keeps every BigDecimal's scale (deprecated in Jackson 2.19 in favour of JsonNodeFeature, still supported). */
    @SuppressWarnings("deprecation")
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

    /** Parses json/jsonb/hstore text; numbers stay exact, limits fit PostgreSQL's own. Immutable, thread-safe. */
    private static final ObjectReader JSON_READER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNumberLength(200_000) // numeric: 131072 digits before the point, 16383 after
                            .maxStringLength(Integer.MAX_VALUE)
                            .maxNameLength(Integer.MAX_VALUE)
                            .maxNestingDepth(10_000)
                            .build())
                    .build())
            .nodeFactory(NODES)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build()
            .reader();

    private static final Base64.Encoder BASE64 = Base64.getEncoder();

    private static final TextNode NAN = TextNode.valueOf("NaN");
    private static final TextNode POSITIVE_INFINITY = TextNode.valueOf("Infinity");
    private static final TextNode NEGATIVE_INFINITY = TextNode.valueOf("-Infinity");
    private static final TextNode INFINITY_TIMESTAMP = TextNode.valueOf("infinity");
    private static final TextNode NEGATIVE_INFINITY_TIMESTAMP = TextNode.valueOf("-infinity");
    private static final TextNode MIDNIGHT_END_OF_DAY = TextNode.valueOf("24:00:00");

    // Debezium 3.4 sentinels for PostgreSQL +/-infinity (see class javadoc); PGStatement.DATE_*_INFINITY.
    private static final long MICROS_POSITIVE_INFINITY = 9223372036825200000L;
    private static final long MICROS_NEGATIVE_INFINITY = -9223372036832400000L;
    private static final long MILLIS_POSITIVE_INFINITY = MICROS_POSITIVE_INFINITY / 1000;
    private static final long MILLIS_NEGATIVE_INFINITY = MICROS_NEGATIVE_INFINITY / 1000;
    /** PostgresValueConverter.POSITIVE_INFINITY_LOCAL_DATE (-5877611-06-21) as epoch day. */
    private static final long EPOCH_DAY_POSITIVE_INFINITY = -2147472692L;
    /** PostgresValueConverter.NEGATIVE_INFINITY_LOCAL_DATE (-5877611-06-22) as epoch day. */
    private static final long EPOCH_DAY_NEGATIVE_INFINITY = -2147472691L;
    private static final long MIN_POSTGRES_EPOCH_DAY = LocalDate.of(-4713, 11, 24).toEpochDay(); // 4714-11-24 BC
    private static final long MAX_POSTGRES_EPOCH_DAY = LocalDate.of(5874897, 12, 31).toEpochDay();

    private static final long MILLIS_PER_DAY = 86_400_000L;
    private static final long MICROS_PER_DAY = 86_400_000_000L;
    private static final long NANOS_PER_DAY = 86_400_000_000_000L;

    private final String placeholder;
    /** UTF-8 bytes of the placeholder; never exposed nor modified after construction. */
    private final byte[] placeholderBytes;
    private final TextNode placeholderNode;
    /** Debezium's value for an unchanged TOASTed hstore in json mode: {"placeholder":"placeholder"}. */
    private final String toastedHstoreJson;
    /** Debezium's single element of an unchanged TOASTed uuid[]: the name-based UUID of the placeholder. */
    private final String toastedUuidArrayElement;

    /** Uses Debezium's default placeholder {@value #UNAVAILABLE_VALUE_PLACEHOLDER}. */
    public ConnectValueConverter() {
        this(UNAVAILABLE_VALUE_PLACEHOLDER);
    }

    /**
     * @param unavailableValuePlaceholder the connector's {@code unavailable.value.placeholder}; the
     *        {@code hex:} form is not supported
     */
    public ConnectValueConverter(String unavailableValuePlaceholder) {
        if (unavailableValuePlaceholder == null || unavailableValuePlaceholder.isEmpty()) {
            throw new IllegalArgumentException("The unavailable value placeholder must not be empty");
        }
        if (unavailableValuePlaceholder.startsWith("hex:")) {
            throw new IllegalArgumentException("A 'hex:' unavailable value placeholder is not supported: '"
                    + unavailableValuePlaceholder + "'");
        }
        this.placeholder = unavailableValuePlaceholder;
        this.placeholderBytes = unavailableValuePlaceholder.getBytes(StandardCharsets.UTF_8);
        this.placeholderNode = TextNode.valueOf(unavailableValuePlaceholder);
        this.toastedHstoreJson = NODES.objectNode().put(unavailableValuePlaceholder, unavailableValuePlaceholder).toString();
        this.toastedUuidArrayElement = UUID.nameUUIDFromBytes(placeholderBytes).toString();
    }

    /** Row struct -> ObjectNode with one field per schema field, in schema order; null struct -> NullNode. */
    public JsonNode convertRow(Struct row) {
        if (row == null) {
            return NullNode.getInstance();
        }
        Schema schema = row.schema();
        ObjectNode node = NODES.objectNode();
        for (Field field : schema.fields()) {
            String name = field.name();
            node.set(name, node(field.schema(), row.getWithoutDefault(name), schema, name, -1));
        }
        return node;
    }

    /**
     * Writes the row as {@link #convertRow} renders it, straight to the generator: the common scalar types without
     * building a tree, the rest (arrays, maps, structs, json, dates and times) through their tree. The generator
     * must come from an {@code ObjectMapper}'s factory (it writes trees) with
     * {@code JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN} on.
     */
    public void writeRow(JsonGenerator out, Struct row) throws IOException {
        if (row == null) {
            out.writeNull();
            return;
        }
        Schema schema = row.schema();
        out.writeStartObject();
        for (Field field : schema.fields()) {
            String name = field.name();
            out.writeFieldName(name);
            write(out, field.schema(), row.getWithoutDefault(name), schema, name);
        }
        out.writeEndObject();
    }

    private void write(JsonGenerator out, Schema fieldSchema, Object value, Schema rowSchema, String name) throws IOException {
        if (value == null) {
            out.writeNull();
            return;
        }
        if (fieldSchema != null) {
            String logical = fieldSchema.name();
            if (logical == null) {
                switch (fieldSchema.type()) {
                    case INT16:
                        if (value instanceof Short s) {
                            out.writeNumber(s.shortValue());
                            return;
                        }
                        break;
                    case INT32:
                        if (value instanceof Integer i) {
                            out.writeNumber(i.intValue());
                            return;
                        }
                        break;
                    case INT64:
                        if (value instanceof Long l) {
                            out.writeNumber(l.longValue());
                            return;
                        }
                        break;
                    case BOOLEAN:
                        if (value instanceof Boolean b) {
                            out.writeBoolean(b);
                            return;
                        }
                        break;
                    case STRING:
                        if (value instanceof String s && !s.equals(placeholder)) {
                            out.writeString(s);
                            return;
                        }
                        break;
                    default:
                        break;
                }
            } else if (logical.equals(ExactNumericConverter.LOGICAL_NAME) && value instanceof String text && !text.equals(placeholder)) {
                if (isPlainDecimal(text)) {
                    out.writeNumber(text); // ExactNumericConverter's toPlainString: already the number's exact JSON text
                    return;
                }
                JsonNode number = exactNumeric(fieldSchema, text, rowSchema, name, -1);
                if (number.isNumber()) {
                    out.writeNumber(number.decimalValue());
                } else {
                    out.writeString(number.textValue());
                }
                return;
            } else if (logical.equals(CONNECT_DECIMAL) && value instanceof BigDecimal d) {
                out.writeNumber(d);
                return;
            } else if (TEXT_LOGICAL_NAMES.contains(logical) && value instanceof String s && !s.equals(placeholder)) {
                out.writeString(s);
                return;
            }
        }
        out.writeTree(node(fieldSchema, value, rowSchema, name, -1));
    }

    /** Any value with its schema (field schemas, array elements, map values) -> JsonNode. */
    public JsonNode convert(Schema schema, Object value, String fieldPath) {
        return node(schema, value, fieldPath, null, -1);
    }

    // ---------------------------------------------------------------------------------------------------
    // The field path is carried as (parent, name, index) and only turned into a String when it is needed:
    // for an error message, or once per container as the parent of its members. parent is null, a String
    // path, or the row's Schema (its label is derived from the schema name only when an error occurs).

    private JsonNode node(Schema schema, Object value, Object parent, String name, int index) {
        if (value == null) {
            return NullNode.getInstance();
        }
        if (isPlaceholder(value)) {
            return placeholderNode;
        }
        if (schema == null) {
            throw new UnconvertibleChangeException("Cannot convert field '" + path(parent, name, index)
                    + "': it has no schema");
        }
        String logical = schema.name();
        if (logical != null) {
            switch (logical) {
                case CONNECT_DECIMAL:
                    return decimal(schema, value, parent, name, index);
                case VARIABLE_SCALE_DECIMAL:
                    return variableScaleDecimal(schema, value, parent, name, index);
                case DATE:
                    return date(schema, intValue(schema, value, parent, name, index), parent, name, index);
                case CONNECT_DATE:
                    return date(schema, Math.floorDiv(dateMillis(schema, value, parent, name, index), MILLIS_PER_DAY),
                            parent, name, index);
                case TIME:
                    return timeOfDay(schema, intValue(schema, value, parent, name, index), MILLIS_PER_DAY, 1_000_000L,
                            parent, name, index);
                case MICRO_TIME:
                    return timeOfDay(schema, longValue(schema, value, parent, name, index), MICROS_PER_DAY, 1_000L,
                            parent, name, index);
                case NANO_TIME:
                    return timeOfDay(schema, longValue(schema, value, parent, name, index), NANOS_PER_DAY, 1L,
                            parent, name, index);
                case CONNECT_TIME:
                    return timeOfDay(schema, dateMillis(schema, value, parent, name, index), MILLIS_PER_DAY, 1_000_000L,
                            parent, name, index);
                case TIMESTAMP:
                    return timestampMillis(longValue(schema, value, parent, name, index));
                case CONNECT_TIMESTAMP:
                    return timestampMillis(dateMillis(schema, value, parent, name, index));
                case MICRO_TIMESTAMP:
                    return timestampMicros(longValue(schema, value, parent, name, index));
                case NANO_TIMESTAMP:
                    return timestampNanos(longValue(schema, value, parent, name, index));
                case MICRO_DURATION:
                    return TextNode.valueOf(Duration.of(longValue(schema, value, parent, name, index), ChronoUnit.MICROS)
                            .toString());
                case NANO_DURATION:
                    return TextNode.valueOf(Duration.ofNanos(longValue(schema, value, parent, name, index)).toString());
                case ExactNumericConverter.LOGICAL_NAME:
                    return exactNumeric(schema, value, parent, name, index);
                case JSON:
                    return json(schema, value, parent, name, index);
                case BITS:
                    if (schema.type() == Schema.Type.STRING) {
                        return text(schema, value, parent, name, index);
                    }
                    return bytes(schema, value, parent, name, index);
                default:
                    if (TEXT_LOGICAL_NAMES.contains(logical)) {
                        return text(schema, value, parent, name, index);
                    }
                    if (!STRUCTURAL_LOGICAL_NAMES.contains(logical)) {
                        throw fail(schema, parent, name, index, "no mapping for this logical type");
                    }
            }
        }
        return byType(schema, value, parent, name, index);
    }

    private JsonNode byType(Schema schema, Object value, Object parent, String name, int index) {
        switch (schema.type()) {
            case INT8:
                if (value instanceof Byte b) {
                    return NODES.numberNode(b.byteValue());
                }
                throw mismatch(schema, value, parent, name, index);
            case INT16:
                if (value instanceof Short s) {
                    return NODES.numberNode(s.shortValue());
                }
                throw mismatch(schema, value, parent, name, index);
            case INT32:
                if (value instanceof Integer i) {
                    return NODES.numberNode(i.intValue());
                }
                throw mismatch(schema, value, parent, name, index);
            case INT64:
                if (value instanceof Long l) {
                    return NODES.numberNode(l.longValue());
                }
                throw mismatch(schema, value, parent, name, index);
            case FLOAT32:
                if (value instanceof Float f) {
                    // numberNode(float) keeps the float's own digits (0.1f stays 0.1, not 0.10000000149011612)
                    return Float.isFinite(f) ? NODES.numberNode(f.floatValue()) : nonFinite(f);
                }
                throw mismatch(schema, value, parent, name, index);
            case FLOAT64:
                if (value instanceof Double d) {
                    return Double.isFinite(d) ? NODES.numberNode(d.doubleValue()) : nonFinite(d);
                }
                throw mismatch(schema, value, parent, name, index);
            case BOOLEAN:
                if (value instanceof Boolean b) {
                    return BooleanNode.valueOf(b);
                }
                throw mismatch(schema, value, parent, name, index);
            case STRING:
                return text(schema, value, parent, name, index);
            case BYTES:
                return bytes(schema, value, parent, name, index);
            case ARRAY:
                return array(schema, value, parent, name, index);
            case MAP:
                return map(schema, value, parent, name, index);
            case STRUCT:
                return struct(schema, value, parent, name, index);
            default:
                throw fail(schema, parent, name, index, "no mapping for this Connect type");
        }
    }

    private static JsonNode text(Schema schema, Object value, Object parent, String name, int index) {
        if (value instanceof String s) {
            return TextNode.valueOf(s);
        }
        throw mismatch(schema, value, parent, name, index);
    }

    private static JsonNode bytes(Schema schema, Object value, Object parent, String name, int index) {
        if (value instanceof byte[] b) {
            return TextNode.valueOf(BASE64.encodeToString(b));
        }
        if (value instanceof ByteBuffer bb) {
            // duplicate(): encoding moves the position, the caller's buffer must not see that.
            // The encoder returns a buffer wrapping an array of exactly the encoded length.
            ByteBuffer encoded = BASE64.encode(bb.duplicate());
            return TextNode.valueOf(new String(encoded.array(), StandardCharsets.ISO_8859_1));
        }
        throw mismatch(schema, value, parent, name, index);
    }

    private JsonNode json(Schema schema, Object value, Object parent, String name, int index) {
        if (!(value instanceof String text)) {
            throw mismatch(schema, value, parent, name, index);
        }
        if (text.equals(toastedHstoreJson)) {
            return placeholderNode;
        }
        JsonNode tree;
        try {
            tree = JSON_READER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new UnconvertibleChangeException(describe(schema, parent, name, index)
                    + ": the value is not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
        if (tree == null || tree.isMissingNode()) {
            throw fail(schema, parent, name, index, "the value is not valid JSON (empty document)");
        }
        return tree;
    }

    private static JsonNode decimal(Schema schema, Object value, Object parent, String name, int index) {
        if (value instanceof BigDecimal d) {
            return NODES.numberNode(d);
        }
        if (value instanceof SpecialValueDecimal special) {
            return specialDecimal(schema, special, parent, name, index);
        }
        throw mismatch(schema, value, parent, name, index);
    }

    private static JsonNode variableScaleDecimal(Schema schema, Object value, Object parent, String name, int index) {
        if (value instanceof SpecialValueDecimal special) {
            return specialDecimal(schema, special, parent, name, index);
        }
        if (!(value instanceof Struct struct)) {
            throw mismatch(schema, value, parent, name, index);
        }
        Schema structSchema = struct.schema();
        if (structSchema.field("scale") == null || structSchema.field("value") == null) {
            throw fail(schema, parent, name, index, "the struct has no 'scale' and 'value' fields");
        }
        Object scale = struct.getWithoutDefault("scale");
        Object unscaled = struct.getWithoutDefault("value");
        byte[] bytes;
        if (unscaled instanceof byte[] b) {
            bytes = b;
        } else if (unscaled instanceof ByteBuffer bb) {
            ByteBuffer copy = bb.duplicate();
            bytes = new byte[copy.remaining()];
            copy.get(bytes);
        } else {
            bytes = null;
        }
        if (!(scale instanceof Integer s) || bytes == null || bytes.length == 0) {
            throw fail(schema, parent, name, index, "expected an INT32 'scale' and non-empty BYTES 'value', got scale "
                    + className(scale) + " and value " + className(unscaled));
        }
        return NODES.numberNode(new BigDecimal(new BigInteger(bytes), s));
    }

    private static JsonNode specialDecimal(Schema schema, SpecialValueDecimal special, Object parent, String name, int index) {
        BigDecimal decimal = special.getDecimalValue().orElse(null);
        if (decimal == null) {
            throw fail(schema, parent, name, index, "the numeric value " + special
                    + " has no exact JSON representation");
        }
        return NODES.numberNode(decimal);
    }

    private static JsonNode date(Schema schema, long epochDay, Object parent, String name, int index) {
        if (epochDay == EPOCH_DAY_POSITIVE_INFINITY) {
            return INFINITY_TIMESTAMP;
        }
        if (epochDay == EPOCH_DAY_NEGATIVE_INFINITY) {
            return NEGATIVE_INFINITY_TIMESTAMP;
        }
        if (epochDay < MIN_POSTGRES_EPOCH_DAY || epochDay > MAX_POSTGRES_EPOCH_DAY) {
            throw fail(schema, parent, name, index, "epoch day " + epochDay
                    + " is outside PostgreSQL's date range and is not a known infinity sentinel");
        }
        return TextNode.valueOf(LocalDate.ofEpochDay(epochDay).toString());
    }

    /**
     * @param amount time of day in some unit
     * @param unitsPerDay how many of that unit make 24:00:00
     * @param nanosPerUnit nanoseconds in one unit
     */
    private static JsonNode timeOfDay(Schema schema, long amount, long unitsPerDay, long nanosPerUnit,
                                      Object parent, String name, int index) {
        if (amount == unitsPerDay) {
            return MIDNIGHT_END_OF_DAY; // PostgreSQL time '24:00:00'
        }
        if (amount < 0 || amount > unitsPerDay) {
            throw fail(schema, parent, name, index, "time of day " + amount + " is outside 00:00:00..24:00:00");
        }
        return TextNode.valueOf(DateTimeFormatter.ISO_LOCAL_TIME.format(LocalTime.ofNanoOfDay(amount * nanosPerUnit)));
    }

    private static JsonNode timestampMillis(long millis) {
        if (millis == MILLIS_POSITIVE_INFINITY || millis == Long.MAX_VALUE) {
            return INFINITY_TIMESTAMP;
        }
        if (millis == MILLIS_NEGATIVE_INFINITY || millis == Long.MIN_VALUE) {
            return NEGATIVE_INFINITY_TIMESTAMP;
        }
        return localDateTime(Math.floorDiv(millis, 1_000L), (int) Math.floorMod(millis, 1_000L) * 1_000_000);
    }

    private static JsonNode timestampMicros(long micros) {
        if (micros == MICROS_POSITIVE_INFINITY || micros == Long.MAX_VALUE) {
            return INFINITY_TIMESTAMP;
        }
        if (micros == MICROS_NEGATIVE_INFINITY || micros == Long.MIN_VALUE) {
            return NEGATIVE_INFINITY_TIMESTAMP;
        }
        return localDateTime(Math.floorDiv(micros, 1_000_000L), (int) Math.floorMod(micros, 1_000_000L) * 1_000);
    }

    private static JsonNode timestampNanos(long nanos) {
        if (nanos == Long.MAX_VALUE) {
            return INFINITY_TIMESTAMP;
        }
        if (nanos == Long.MIN_VALUE) {
            return NEGATIVE_INFINITY_TIMESTAMP;
        }
        return localDateTime(Math.floorDiv(nanos, 1_000_000_000L), (int) Math.floorMod(nanos, 1_000_000_000L));
    }

    private static JsonNode localDateTime(long epochSecond, int nanoOfSecond) {
        return TextNode.valueOf(DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(
                LocalDateTime.ofEpochSecond(epochSecond, nanoOfSecond, ZoneOffset.UTC)));
    }

    private JsonNode array(Schema schema, Object value, Object parent, String name, int index) {
        if (!(value instanceof List<?> list)) {
            throw mismatch(schema, value, parent, name, index);
        }
        ArrayNode node = NODES.arrayNode(list.size());
        if (isToastedArrayMarker(schema, list)) {
            return node.add(placeholderNode);
        }
        Schema elementSchema = schema.valueSchema();
        String here = path(parent, name, index);
        int i = 0;
        for (Object element : list) {
            node.add(node(elementSchema, element, here, null, i++));
        }
        return node;
    }

    private JsonNode map(Schema schema, Object value, Object parent, String name, int index) {
        if (!(value instanceof Map<?, ?> map)) {
            throw mismatch(schema, value, parent, name, index);
        }
        ObjectNode node = NODES.objectNode();
        Schema valueSchema = schema.valueSchema();
        String here = path(parent, name, index);
        for (Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<?, ?> entry = it.next();
            String key = String.valueOf(entry.getKey());
            node.set(key, node(valueSchema, entry.getValue(), here, key, -1));
        }
        return node;
    }

    private JsonNode struct(Schema schema, Object value, Object parent, String name, int index) {
        if (!(value instanceof Struct struct)) {
            throw mismatch(schema, value, parent, name, index);
        }
        ObjectNode node = NODES.objectNode();
        String here = path(parent, name, index);
        for (Field field : struct.schema().fields()) {
            String fieldName = field.name();
            node.set(fieldName, node(field.schema(), struct.getWithoutDefault(fieldName), here, fieldName, -1));
        }
        return node;
    }

    // --- TOAST placeholder -------------------------------------------------------------------------------

    private boolean isPlaceholder(Object value) {
        if (value instanceof String s) {
            return s.equals(placeholder);
        }
        if (value instanceof byte[] b) {
            return Arrays.equals(b, placeholderBytes);
        }
        if (value instanceof ByteBuffer bb) {
            int length = placeholderBytes.length;
            if (bb.remaining() != length) {
                return false;
            }
            int position = bb.position();
            for (int i = 0; i < length; i++) {
                if (bb.get(position + i) != placeholderBytes[i]) { // absolute get: the buffer is not moved
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    /**
     * Debezium's markers for unchanged TOASTed arrays other than a list holding the placeholder itself
     * (which the element conversion already handles): integer[]/date[]/bigint[] as the placeholder's bytes,
     * one per element, and uuid[] as the single name-based UUID of the placeholder bytes.
     */
    private boolean isToastedArrayMarker(Schema schema, List<?> list) {
        int size = list.size();
        Schema elementSchema = schema.valueSchema();
        if (size == 1 && elementSchema != null && UUID_LOGICAL_NAME.equals(elementSchema.name())) {
            return toastedUuidArrayElement.equals(list.get(0));
        }
        if (size != placeholderBytes.length || elementSchema == null
                || (elementSchema.type() != Schema.Type.INT32 && elementSchema.type() != Schema.Type.INT64)) {
            return false;
        }
        int i = 0;
        for (Object element : list) {
            long v;
            if (element instanceof Integer n) {
                v = n;
            } else if (element instanceof Long n) {
                v = n;
            } else {
                return false;
            }
            if (v != placeholderBytes[i++]) {
                return false;
            }
        }
        return true;
    }

    // --- typed accessors and errors ----------------------------------------------------------------------

    private static int intValue(Schema schema, Object value, Object parent, String name, int index) {
        if (value instanceof Integer i) {
            return i;
        }
        throw mismatch(schema, value, parent, name, index);
    }

    private static long longValue(Schema schema, Object value, Object parent, String name, int index) {
        if (value instanceof Long l) {
            return l;
        }
        throw mismatch(schema, value, parent, name, index);
    }

    private static long dateMillis(Schema schema, Object value, Object parent, String name, int index) {
        if (value instanceof java.util.Date d) {
            return d.getTime();
        }
        throw mismatch(schema, value, parent, name, index);
    }

    /** An optional '-', digits, and at most one '.' between digits: BigDecimal.toPlainString's form, valid JSON as it is. */
    static boolean isPlainDecimal(String text) {
        int length = text.length();
        int i = length > 0 && text.charAt(0) == '-' ? 1 : 0;
        if (i >= length || (text.charAt(i) == '0' && i + 1 < length && text.charAt(i + 1) != '.')) {
            return false; // nothing, or a leading zero JSON does not allow
        }
        boolean point = false;
        boolean digitBefore = false;
        for (; i < length; i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                digitBefore = true;
            } else if (c == '.' && !point && digitBefore && i + 1 < length) {
                point = true;
                digitBefore = false;
            } else {
                return false;
            }
        }
        return digitBefore;
    }

    /** numeric/decimal text from ExactNumericConverter: an exact number, or NaN/Infinity/-Infinity as text. */
    private JsonNode exactNumeric(Schema schema, Object value, Object parent, String name, int index) {
        String text = text(schema, value, parent, name, index).textValue();
        switch (text) {
            case "NaN":
                return NAN;
            case "Infinity":
                return POSITIVE_INFINITY;
            case "-Infinity":
                return NEGATIVE_INFINITY;
            default:
                try {
                    return NODES.numberNode(new BigDecimal(text));
                } catch (NumberFormatException e) {
                    throw fail(schema, parent, name, index, "'" + text + "' is not a number");
                }
        }
    }

    /** JSON has no NaN or infinities: real and double precision columns send them as text. */
    private static JsonNode nonFinite(double v) {
        if (Double.isNaN(v)) {
            return NAN;
        }
        return v > 0 ? POSITIVE_INFINITY : NEGATIVE_INFINITY;
    }

    private static UnconvertibleChangeException mismatch(Schema schema, Object value, Object parent, String name, int index) {
        return fail(schema, parent, name, index, "unexpected Java value of class " + className(value));
    }

    private static UnconvertibleChangeException fail(Schema schema, Object parent, String name, int index, String reason) {
        return new UnconvertibleChangeException(describe(schema, parent, name, index) + ": " + reason);
    }

    private static String describe(Schema schema, Object parent, String name, int index) {
        String logical = schema.name();
        return "Cannot convert field '" + path(parent, name, index) + "' of type " + schema.type()
                + (logical == null ? " without logical type" : " with logical type '" + logical + "'");
    }

    private static String className(Object value) {
        return value == null ? "null" : value.getClass().getName();
    }

    private static String path(Object parent, String name, int index) {
        String base = parent instanceof Schema rowSchema ? rowLabel(rowSchema) : (String) parent;
        if (name != null) {
            return base == null || base.isEmpty() ? name : base + '.' + name;
        }
        if (index >= 0) {
            return (base == null ? "" : base) + '[' + index + ']';
        }
        return base == null ? "" : base;
    }

    /** "prefix.public.orders.Value" -> "public.orders"; null when the row schema has no name. */
    private static String rowLabel(Schema rowSchema) {
        String label = rowSchema.name();
        if (label == null) {
            return null;
        }
        if (label.endsWith(".Value")) {
            label = label.substring(0, label.length() - ".Value".length());
        } else if (label.endsWith(".Key")) {
            label = label.substring(0, label.length() - ".Key".length());
        }
        int table = label.lastIndexOf('.');
        int schema = table > 0 ? label.lastIndexOf('.', table - 1) : -1;
        return label.substring(schema + 1);
    }
}
