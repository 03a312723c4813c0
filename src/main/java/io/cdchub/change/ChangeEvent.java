package io.cdchub.change;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdchub.sink.RejectedRecordException;
import io.cdchub.source.ValueFormat;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;

/**
 * One change read back from a change topic: the Debezium envelope the source publishes ({@code before}, {@code after},
 * {@code source}, {@code op}, the record key), and the one place that knows how to read it. The sinks, the real-time
 * gateway and the aggregation all read change records through this class; nothing else parses the envelope.
 * It also holds the rules around the envelope: the TOAST placeholder ({@link #UNAVAILABLE_VALUE}), the
 * {@value ValueFormat#HEADER} header ({@link #foreignForm}), and which topics are change topics
 * ({@link ChangeTopicRule}).
 *
 * <p>{@link #parse} (sinks) returns null for a tombstone and throws {@link RejectedRecordException} for anything that is
 * not a well-formed change event. {@link #read} (gateway, aggregation) reads any JSON object leniently: what is missing
 * is null, and the reader decides what it needs.
 *
 * <p>Parsing reads the envelope once as a token stream and keeps only positions: {@code before} and
 * {@code after} are checked to be objects and remembered as byte ranges of the record's value, and become
 * trees only when asked for ({@link #before()}, {@link #after()}). A sink that can stream a row from its bytes
 * ({@link #afterParser()}, {@link #afterJson()}) so never builds one: trees were the largest share of a sink's CPU
 * time (JFR: 36% of the consumer thread).
 */
public final class ChangeEvent {

    /** Exact numbers in and out: numeric columns must not go through a double. */
    public static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();
    private static final ObjectReader READER = JSON.reader();
    public static final ObjectWriter WRITER = JSON.writer();

    /**
     * {@code source.connector} of the polling source's events (README "Polling source"). They have no WAL position
     * ({@code source.lsn} is null): their version is the time the row was read, {@code source.ts_us}. A later read of
     * a row never returns an older state of it, so this orders a row's events as an LSN does.
     */
    public static final String POLLING_CONNECTOR = "cdc-hub-polling";

    /** Debezium's placeholder for an unchanged TOASTed value the change does not carry (README: TOAST). */
    public static final String UNAVAILABLE_VALUE = "__debezium_unavailable_value";

    private static final Set<String> ROW_OPERATIONS = Set.of("c", "u", "d", "r");
    private static final BigInteger MAX_LSN = BigInteger.valueOf(Long.MAX_VALUE);
    /** The range {@code before}/{@code after} get when they are neither an object nor null. */
    private static final int[] NOT_AN_OBJECT = {-2, -2};

    private final Exchange record;
    private final String schema;
    private final String table;
    private final String op;
    /** The record key's bytes, checked to be a JSON object of key columns; null for a table without a primary key. */
    private final byte[] keyJson;
    private final long lsn;
    private final long sourceTsMs;
    /** The record's value; {@code before} and {@code after} are ranges of it ({@code start < 0}: absent or null). */
    private final byte[] value;
    private final int beforeStart;
    private final int beforeEnd;
    private final int afterStart;
    private final int afterEnd;
    /** {@code after}'s field names in order; null when a name repeats (then only the tree, which keeps the last, is used). */
    private final List<String> afterFields;
    // made on first use, by the one thread that handles the event at a time
    private ObjectNode key;
    private ObjectNode before;
    private ObjectNode after;

    private ChangeEvent(Exchange record, String schema, String table, String op, byte[] keyJson, long lsn, long sourceTsMs, byte[] value,
            int beforeStart, int beforeEnd, int afterStart, int afterEnd, List<String> afterFields) {
        this.record = record;
        this.schema = schema;
        this.table = table;
        this.op = op;
        this.keyJson = keyJson;
        this.lsn = lsn;
        this.sourceTsMs = sourceTsMs;
        this.value = value;
        this.beforeStart = beforeStart;
        this.beforeEnd = beforeEnd;
        this.afterStart = afterStart;
        this.afterEnd = afterEnd;
        this.afterFields = afterFields;
    }

    /** The consumed Kafka record (its exchange in the batch); null for an event from {@link #read}. */
    public Exchange record() {
        return record;
    }

    /** Source schema. */
    public String schema() {
        return schema;
    }

    /** Source table. */
    public String table() {
        return table;
    }

    /** c, u, d or r ({@link #read}: whatever string the envelope has, or null). */
    public String op() {
        return op;
    }

    /** The primary key as a JSON object; null for a table without one. */
    public ObjectNode key() {
        if (key == null && keyJson != null) {
            try {
                key = (ObjectNode) READER.readTree(keyJson);
            } catch (IOException e) {
                throw new IllegalStateException("A key checked as a JSON object when the event was parsed could not be read again", e);
            }
        }
        return key;
    }

    /**
     * The record key as whatever JSON it holds (for {@link #read}'s unchecked keys); null without a key.
     *
     * @throws UnreadableChangeException when the key is not JSON
     */
    public JsonNode keyTree() {
        if (keyJson == null) {
            return null;
        }
        try {
            return READER.readTree(keyJson);
        } catch (IOException e) {
            throw new UnreadableChangeException("the record key is not JSON: " + e.getMessage(), e);
        }
    }

    /** The record key's bytes (a JSON object of the key columns); null for a table without a primary key. */
    public byte[] keyJson() {
        return keyJson;
    }

    /**
     * The version sinks order changes of a row by: the change's position in PostgreSQL's WAL, or for the polling
     * source's events (which have none) the time the row was read in microseconds ({@link #POLLING_CONNECTOR}).
     */
    public long lsn() {
        return lsn;
    }

    /** When PostgreSQL committed the change. */
    public long sourceTsMs() {
        return sourceTsMs;
    }

    public boolean isDelete() {
        return "d".equals(op);
    }

    /** Whether the event carries the row before the change (updates and deletes of REPLICA IDENTITY FULL tables). */
    public boolean hasBefore() {
        return beforeStart >= 0;
    }

    /** The record's value with {@code before} written as null, the rest byte for byte (the value itself when none). */
    public byte[] valueWithoutBefore() {
        if (beforeStart < 0) {
            return value;
        }
        byte[] out = new byte[value.length - (beforeEnd - beforeStart) + 4];
        System.arraycopy(value, 0, out, 0, beforeStart);
        out[beforeStart] = 'n';
        out[beforeStart + 1] = 'u';
        out[beforeStart + 2] = 'l';
        out[beforeStart + 3] = 'l';
        System.arraycopy(value, beforeEnd, out, beforeStart + 4, value.length - beforeEnd);
        return out;
    }

    /** The row before the change (null unless update/delete with the old row). */
    public ObjectNode before() {
        if (before == null && beforeStart >= 0) {
            before = tree(beforeStart, beforeEnd);
        }
        return before;
    }

    /** The row after the change (null for a delete). */
    public ObjectNode after() {
        if (after == null && afterStart >= 0) {
            after = tree(afterStart, afterEnd);
        }
        return after;
    }

    /** The {@code after} object exactly as the record carries it (a copy of its bytes), null when there is none. */
    public byte[] afterJson() {
        return afterStart < 0 ? null : Arrays.copyOfRange(value, afterStart, afterEnd);
    }

    /**
     * A parser over the {@code after} object's bytes, before its first token, for a sink that streams the row; null
     * when there is none, or when a field name repeats in it (a tree, {@link #after()}, settles which value counts).
     */
    public JsonParser afterParser() {
        if (afterStart < 0 || afterFields == null) {
            return null;
        }
        try {
            return JSON.getFactory().createParser(value, afterStart, afterEnd - afterStart);
        } catch (IOException e) {
            throw new IllegalStateException("A parser over a byte array cannot fail to open", e);
        }
    }

    /** The names of {@link #row()}'s fields, in order. */
    public List<String> rowFields() {
        if (!isDelete() && afterFields != null) {
            return afterFields;
        }
        List<String> names = new ArrayList<>();
        row().fieldNames().forEachRemaining(names::add);
        return names;
    }

    private ObjectNode tree(int start, int end) {
        try {
            return (ObjectNode) READER.readTree(value, start, end - start);
        } catch (IOException e) {
            throw new IllegalStateException("A range checked as a JSON object when the event was parsed could not be read again", e);
        }
    }

    /** The row to write: {@code after}, or for a delete the key columns (plus {@code before}'s, when the table sends them). */
    public ObjectNode row() {
        if (!isDelete()) {
            return after();
        }
        ObjectNode row = JSON.createObjectNode();
        if (before() != null) {
            row.setAll(before());
        }
        if (key() != null) {
            row.setAll(key());
        }
        return row;
    }

    /**
     * {@code after} with each unchanged TOASTed value, which arrives as Debezium's placeholder, taken from
     * {@code before} when the table sends the old row (REPLICA IDENTITY FULL); otherwise the placeholder stays
     * (README: TOAST). {@code after} itself when nothing is replaced.
     */
    /** Whether a row's value is Debezium's unchanged-TOAST placeholder (an array column's is a one-element array of it). */
    public static boolean isUnchangedToast(JsonNode value) {
        return isPlaceholder(value) || (value != null && value.isArray() && value.size() == 1 && isPlaceholder(value.get(0)));
    }

    /** Whether a value is the placeholder string itself. */
    public static boolean isPlaceholder(JsonNode value) {
        return value != null && value.isTextual() && UNAVAILABLE_VALUE.equals(value.textValue());
    }

    public ObjectNode afterWithUnchangedToast() {
        ObjectNode row = after();
        if (row == null || before() == null) {
            return row;
        }
        ObjectNode out = null;
        for (Iterator<Map.Entry<String, JsonNode>> fields = row.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode value = field.getValue();
            boolean placeholder = isUnchangedToast(value);
            JsonNode old = before().get(field.getKey());
            if (placeholder && old != null && !old.equals(value)) {
                if (out == null) {
                    out = row.deepCopy();
                }
                out.set(field.getKey(), old);
            }
        }
        return out == null ? row : out;
    }

    /**
     * The whole record value as a tree (the envelope: {@code before}, {@code after}, {@code source}, {@code op},
     * {@code ts_ms}, ...), made anew on each call: for a transform that reads the envelope ({@code $event}), not for
     * sinks. For an event made by {@link #withRow}, the row alone.
     */
    public ObjectNode envelope() {
        return tree(0, value.length);
    }

    /**
     * The same change (record, key, operation, LSN, commit time) with another row: what a transform hands on to the
     * sink. {@code rowJson} (a JSON object) becomes the row that {@link #row()}, {@link #rowFields()},
     * {@link #afterParser()} and {@link #afterJson()} read: for a delete it takes the place of {@code before} (the sinks
     * write a delete from the key and {@code before}), otherwise of {@code after}, and the event then has no other old
     * row. So a sink reads a transformed event exactly as a captured one.
     *
     * @throws IllegalArgumentException when {@code rowJson} is not one JSON object
     */
    public ChangeEvent withRow(byte[] rowJson) {
        List<String> names = new ArrayList<>(16);
        int[] range;
        try (JsonParser parser = JSON.getFactory().createParser(rowJson)) {
            range = objectRange(parser, parser.nextToken(), names);
            if (range == null || range == NOT_AN_OBJECT || range[0] != 0 || parser.nextToken() != null) {
                throw new IllegalArgumentException("A row must be one JSON object");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("A row must be one JSON object: " + e.getMessage(), e);
        }
        List<String> fields = hasRepeats(names) ? null : names;
        return isDelete()
                ? new ChangeEvent(record, schema, table, op, keyJson, lsn, sourceTsMs, rowJson, 0, range[1], -1, -1, null)
                : new ChangeEvent(record, schema, table, op, keyJson, lsn, sourceTsMs, rowJson, -1, -1, 0, range[1], fields);
    }

    /** Where the record came from, for messages. */
    public String origin() {
        return origin(record);
    }

    public static String origin(Exchange record) {
        Message m = record.getMessage();
        return m.getHeader(KafkaConstants.TOPIC) + "/" + m.getHeader(KafkaConstants.PARTITION) + "@" + m.getHeader(KafkaConstants.OFFSET);
    }

    /**
     * Reads a consumed record.
     *
     * @return the change, or null for a tombstone (nothing to write; the delete before it did the work)
     * @throws RejectedRecordException when the record is not a change event this sink can apply
     */
    public static ChangeEvent parse(Exchange record) {
        Message message = record.getMessage();
        byte[] value = bytes(message.getBody());
        if (value == null) {
            return null;
        }
        String foreignForm = foreignForm(message);
        if (foreignForm != null) {
            throw new RejectedRecordException("Not written: " + foreignFormReason(message.getHeader(KafkaConstants.TOPIC, String.class), foreignForm));
        }
        Envelope envelope;
        try {
            envelope = Envelope.scan(value, false);
        } catch (NotAnObjectException e) {
            throw new RejectedRecordException("Not a change event: the value is not a JSON object");
        } catch (IOException e) {
            throw new RejectedRecordException("Not JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
        }
        String op = envelope.opValue == null ? null : envelope.opValue.text();
        if (op == null || !ROW_OPERATIONS.contains(op)) {
            throw new RejectedRecordException("Not a row change: op is " + (envelope.opValue == null ? "null" : envelope.opValue.json()));
        }
        String schema = envelope.schema();
        String table = envelope.table();
        if (schema == null || table == null || schema.isEmpty() || table.isEmpty()) {
            throw new RejectedRecordException("Change event without source.schema/source.table");
        }
        long lsn = lsn(envelope.polled() ? envelope.sourceTsUsValue : envelope.lsnValue, envelope.polled() ? "source.ts_us" : "source.lsn");
        if (envelope.beforeRange == NOT_AN_OBJECT) {
            throw new RejectedRecordException("'before' is not a JSON object");
        }
        if (envelope.afterRange == NOT_AN_OBJECT) {
            throw new RejectedRecordException("'after' is not a JSON object");
        }
        if (!"d".equals(op) && envelope.afterRange == null) {
            throw new RejectedRecordException("A '" + op + "' change event needs an 'after' row");
        }
        byte[] key = key(message.getHeader(KafkaConstants.KEY));
        if ("d".equals(op) && key == null && envelope.beforeRange == null) {
            throw new RejectedRecordException("A delete needs a key or a 'before' row");
        }
        return envelope.event(record, schema, table, op, key, lsn, envelope.commitMs(0));
    }

    /**
     * Reads a change record leniently, for readers that take what they find (the gateway forwards any JSON object; the
     * aggregation checks op and LSN itself): {@link #op()}, {@link #schema()}, {@link #table()} are null when the value
     * lacks them, {@link #lsn()} is -1 unless {@code source.lsn} is a non-negative integer, {@code before}/{@code after}
     * that are not objects read as absent, and the key is kept as it came ({@link #keyJson()}, unchecked).
     *
     * @param key             the record key's bytes, or null
     * @param value           the record value's bytes (not null: a tombstone is the caller's)
     * @param recordTimestamp the commit time to report when the envelope has neither {@code source.ts_ms} nor {@code ts_ms}
     * @throws UnreadableChangeException when the value is not JSON, is followed by more JSON, or is not an object
     */
    public static ChangeEvent read(byte[] key, byte[] value, long recordTimestamp) {
        Envelope envelope;
        try {
            envelope = Envelope.scan(value, true);
        } catch (NotAnObjectException e) {
            throw new UnreadableChangeException("not a JSON object");
        } catch (IOException e) {
            throw new UnreadableChangeException("not JSON: " + e.getMessage(), e);
        }
        String op = envelope.opValue != null && envelope.opValue.token() == JsonToken.VALUE_STRING ? envelope.opValue.text() : null;
        Scalar version = envelope.polled() ? envelope.sourceTsUsValue : envelope.lsnValue;
        long lsn = version != null && version.token() == JsonToken.VALUE_NUMBER_INT ? lenientLsn(version.text()) : -1;
        if (envelope.beforeRange == NOT_AN_OBJECT) {
            envelope.beforeRange = null;
        }
        if (envelope.afterRange == NOT_AN_OBJECT) {
            envelope.afterRange = null;
            envelope.afterFields = null;
        }
        return envelope.event(null, envelope.schema(), envelope.table(), op, key, lsn, envelope.commitMs(recordTimestamp));
    }

    private static long lenientLsn(String text) {
        try {
            long lsn = Long.parseLong(text);
            return lsn < 0 ? -1 : lsn;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The value was JSON, but not an object. */
    private static final class NotAnObjectException extends IOException {
        NotAnObjectException() {
            super("not a JSON object");
        }
    }

    /** What one pass over an envelope's tokens found; a repeated field counts with its last value, as in a tree. */
    private static final class Envelope {
        final byte[] value;
        Scalar opValue;
        Scalar tsValue;
        boolean sourceIsObject;
        Scalar schemaValue;
        Scalar tableValue;
        Scalar lsnValue;
        Scalar sourceTsValue;
        Scalar sourceTsUsValue;
        Scalar connectorValue;
        int[] beforeRange;
        int[] afterRange;
        List<String> afterFields;

        private Envelope(byte[] value) {
            this.value = value;
        }

        /** @param whole also refuse anything after the object (the gateway embeds the value's bytes in its frames as they are) */
        static Envelope scan(byte[] value, boolean whole) throws IOException {
            Envelope e = new Envelope(value);
            try (JsonParser parser = JSON.getFactory().createParser(value)) {
                JsonToken first = parser.nextToken();
                if (first != JsonToken.START_OBJECT) {
                    if (first != null) {
                        parser.skipChildren(); // a malformed array is "Not JSON", as when read whole
                    }
                    throw new NotAnObjectException();
                }
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    JsonToken token = parser.nextToken();
                    switch (field) {
                        case "op" -> e.opValue = Scalar.of(parser, token);
                        case "before" -> e.beforeRange = objectRange(parser, token, null);
                        case "after" -> {
                            List<String> names = new ArrayList<>(16);
                            e.afterRange = objectRange(parser, token, names);
                            e.afterFields = e.afterRange == null || e.afterRange == NOT_AN_OBJECT || hasRepeats(names) ? null : names;
                        }
                        case "ts_ms" -> e.tsValue = Scalar.of(parser, token);
                        case "source" -> {
                            e.sourceIsObject = token == JsonToken.START_OBJECT;
                            e.schemaValue = null;
                            e.tableValue = null;
                            e.lsnValue = null;
                            e.sourceTsValue = null;
                            e.sourceTsUsValue = null;
                            e.connectorValue = null;
                            if (e.sourceIsObject) {
                                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                                    String sourceField = parser.currentName();
                                    JsonToken sourceToken = parser.nextToken();
                                    switch (sourceField) {
                                        case "schema" -> e.schemaValue = Scalar.of(parser, sourceToken);
                                        case "table" -> e.tableValue = Scalar.of(parser, sourceToken);
                                        case "lsn" -> e.lsnValue = Scalar.of(parser, sourceToken);
                                        case "ts_ms" -> e.sourceTsValue = Scalar.of(parser, sourceToken);
                                        case "ts_us" -> e.sourceTsUsValue = Scalar.of(parser, sourceToken);
                                        case "connector" -> e.connectorValue = Scalar.of(parser, sourceToken);
                                        default -> parser.skipChildren();
                                    }
                                }
                            } else {
                                parser.skipChildren();
                            }
                        }
                        default -> parser.skipChildren();
                    }
                }
                if (parser.currentToken() != JsonToken.END_OBJECT) {
                    throw new JsonParseException(parser, "Unexpected end-of-input: expected close marker for Object");
                }
                if (whole && parser.nextToken() != null) {
                    throw new JsonParseException(parser, "Trailing token (of type " + parser.currentToken() + ") found after value");
                }
            }
            return e;
        }

        String schema() {
            return !sourceIsObject || schemaValue == null ? null : schemaValue.text();
        }

        String table() {
            return !sourceIsObject || tableValue == null ? null : tableValue.text();
        }

        /** An event of the polling source without an LSN: versioned by its read time. */
        boolean polled() {
            return sourceIsObject && connectorValue != null && POLLING_CONNECTOR.equals(connectorValue.text())
                    && (lsnValue == null || lsnValue.token() == JsonToken.VALUE_NULL);
        }

        /** {@code source.ts_ms}, else the envelope's {@code ts_ms}, else {@code otherwise}. */
        long commitMs(long otherwise) {
            long envelopeTs = tsValue == null ? otherwise : tsValue.asLong(otherwise);
            return sourceTsValue == null || !sourceIsObject ? envelopeTs : sourceTsValue.asLong(envelopeTs);
        }

        ChangeEvent event(Exchange record, String schema, String table, String op, byte[] key, long lsn, long tsMs) {
            return new ChangeEvent(record, schema, table, op, key, lsn, tsMs, value,
                    beforeRange == null ? -1 : beforeRange[0], beforeRange == null ? -1 : beforeRange[1],
                    afterRange == null ? -1 : afterRange[0], afterRange == null ? -1 : afterRange[1], afterFields);
        }
    }

    /**
     * The byte range of the object the parser is at (its top-level field names added to {@code names}, when given), or
     * null for JSON null.
     */
    private static int[] objectRange(JsonParser parser, JsonToken token, List<String> names) throws IOException {
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        if (token != JsonToken.START_OBJECT) {
            parser.skipChildren();
            return NOT_AN_OBJECT; // refused once the envelope's other fields are checked, as before streaming
        }
        int start = (int) parser.currentTokenLocation().getByteOffset();
        if (names == null) {
            parser.skipChildren();
        } else {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                names.add(parser.currentName());
                parser.nextToken();
                parser.skipChildren();
            }
        }
        return new int[] {start, (int) parser.currentLocation().getByteOffset()};
    }

    private static boolean hasRepeats(List<String> names) {
        for (int i = 1; i < names.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (names.get(i).equals(names.get(j))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A scalar of the envelope as its text (null for JSON null); objects and arrays are skipped and kept as their kind. */
    private record Scalar(JsonToken token, String text) {

        static Scalar of(JsonParser parser, JsonToken token) throws IOException {
            if (token.isScalarValue()) {
                return new Scalar(token, token == JsonToken.VALUE_NULL ? null : parser.getText());
            }
            parser.skipChildren();
            return new Scalar(token, null);
        }

        /** The value as it would read in JSON, for messages. */
        String json() {
            if (token == JsonToken.VALUE_STRING) {
                return JsonNodeFactory.instance.textNode(text).toString();
            }
            return text != null ? text : token == JsonToken.START_OBJECT ? "{...}" : token == JsonToken.START_ARRAY ? "[...]" : "null";
        }

        /** A number, or a string holding one, as a long (as JsonNode.asLong does); otherwise the default. */
        long asLong(long otherwise) {
            if (token == JsonToken.VALUE_TRUE || token == JsonToken.VALUE_FALSE) {
                return token == JsonToken.VALUE_TRUE ? 1 : 0;
            }
            if (text == null) {
                return otherwise;
            }
            try {
                return Long.parseLong(text.trim());
            } catch (NumberFormatException notAnInteger) {
                try {
                    return new java.math.BigDecimal(text.trim()).longValue(); // 1.5, 1e3: as a tree's asLong reads them
                } catch (NumberFormatException e) {
                    return otherwise;
                }
            }
        }
    }

    private static long lsn(Scalar scalar, String field) {
        if (scalar == null || scalar.token() == JsonToken.VALUE_NULL) {
            throw new RejectedRecordException("Change event without " + field + ": sinks order changes by it");
        }
        try {
            if (scalar.text() == null || scalar.token() == JsonToken.VALUE_TRUE || scalar.token() == JsonToken.VALUE_FALSE) {
                throw new NumberFormatException();
            }
            BigInteger lsn = scalar.token() == JsonToken.VALUE_NUMBER_FLOAT ? new java.math.BigDecimal(scalar.text()).toBigInteger() : new BigInteger(scalar.text());
            if (lsn.signum() < 0 || lsn.compareTo(MAX_LSN) > 0) {
                throw new NumberFormatException();
            }
            return lsn.longValue();
        } catch (NumberFormatException e) {
            throw new RejectedRecordException(field + " is not a non-negative 63-bit number: " + scalar.json());
        }
    }

    /** The key's bytes when they hold a JSON object with at least one field; null for no key (or JSON null). */
    private static byte[] key(Object header) {
        byte[] bytes = bytes(header);
        if (bytes == null) {
            return null;
        }
        try (JsonParser parser = JSON.getFactory().createParser(bytes)) {
            JsonToken token = parser.nextToken();
            if (token == null || token == JsonToken.VALUE_NULL) {
                return null;
            }
            if (token != JsonToken.START_OBJECT) {
                parser.skipChildren();
                throw new RejectedRecordException("The record key is not a JSON object of primary-key columns");
            }
            boolean empty = true;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                empty = false;
                parser.nextToken();
                parser.skipChildren();
            }
            if (parser.currentToken() != JsonToken.END_OBJECT) {
                throw new JsonParseException(parser, "Unexpected end-of-input: expected close marker for Object");
            }
            if (empty) {
                throw new RejectedRecordException("The record key is not a JSON object of primary-key columns");
            }
            return bytes;
        } catch (IOException e) {
            throw new RejectedRecordException("The record key is not JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
        }
    }

    private static byte[] bytes(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof byte[] b) {
            return b;
        }
        return String.valueOf(value).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The value form a consumed record declares in its {@value ValueFormat#HEADER} header when it is not cdc-hub's (which
     * every built-in reader reads), else null. Such a record must be refused, never read as if it were cdc-hub's. (The
     * change-topic consumers' header filter, SinkHeaderFilterStrategy, lets only such a header through.)
     */
    public static String foreignForm(Message message) {
        Object form = message.getHeader(ValueFormat.HEADER);
        if (form == null) {
            return null;
        }
        return form instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(form);
    }

    /** Why a record in a foreign form is refused, naming the setting that decides the form. */
    public static String foreignFormReason(String topic, String form) {
        return "the record on " + topic + " is in the '" + form + "' value form (header " + ValueFormat.HEADER + "), and this consumer reads"
                + " the cdc-hub form: publish the topic with cdc.source.value-format=cdc-hub (or value.format=cdc-hub for a connector)";
    }

    /** The key's values in key-column order, for messages and document ids. */
    public Iterator<Map.Entry<String, JsonNode>> keyFields() {
        return key() == null ? java.util.Collections.emptyIterator() : key().fields();
    }
}
