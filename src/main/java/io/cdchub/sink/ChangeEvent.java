package io.cdchub.sink;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
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
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;

/**
 * One change read back from a change topic: the Debezium envelope the source publishes, reduced to what a
 * sink needs. {@link #parse} returns null for a tombstone and throws {@link RejectedRecordException} for
 * anything that is not a well-formed change event.
 *
 * @param record   the consumed Kafka record (its exchange in the batch)
 * @param schema   source schema
 * @param table    source table
 * @param op       c, u, d or r
 * @param key      the primary key as a JSON object; null for a table without one
 * @param before   the row before the change (null unless update/delete)
 * @param after    the row after the change (null for a delete)
 * @param lsn      the change's position in PostgreSQL's WAL: the version sinks order changes of a row by
 * @param sourceTsMs when PostgreSQL committed the change
 * @param afterJson the {@code after} object exactly as the record carries it (its bytes), null when there is none
 */
public record ChangeEvent(
        Exchange record,
        String schema,
        String table,
        String op,
        ObjectNode key,
        ObjectNode before,
        ObjectNode after,
        long lsn,
        long sourceTsMs,
        byte[] afterJson) {

    /** Exact numbers in and out: numeric columns must not go through a double. */
    public static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();
    private static final ObjectReader READER = JSON.reader();
    public static final ObjectWriter WRITER = JSON.writer();

    private static final Set<String> ROW_OPERATIONS = Set.of("c", "u", "d", "r");
    private static final BigInteger MAX_LSN = BigInteger.valueOf(Long.MAX_VALUE);

    public boolean isDelete() {
        return "d".equals(op);
    }

    /** The row to write: {@code after}, or for a delete the key columns (plus {@code before}'s, when the table sends them). */
    public ObjectNode row() {
        if (!isDelete()) {
            return after;
        }
        ObjectNode row = JSON.createObjectNode();
        if (before != null) {
            row.setAll(before);
        }
        if (key != null) {
            row.setAll(key);
        }
        return row;
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
        // Streamed: only the fields a sink uses become trees (before, after and a few of source's); the rest of
        // the envelope is only checked to be well-formed JSON.
        JsonNode opNode = null;
        JsonNode beforeNode = null;
        JsonNode afterNode = null;
        JsonNode tsNode = null;
        boolean sourceIsObject = false;
        JsonNode schemaNode = null;
        JsonNode tableNode = null;
        JsonNode lsnNode = null;
        JsonNode sourceTsNode = null;
        int afterStart = -1;
        int afterEnd = -1;
        try (JsonParser parser = JSON.getFactory().createParser(value)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                parser.skipChildren(); // a malformed array is "Not JSON", as when read whole
                throw new RejectedRecordException("Not a change event: the value is not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken token = parser.nextToken();
                switch (field) {
                    case "op" -> opNode = tree(parser, token);
                    case "before" -> beforeNode = tree(parser, token);
                    case "after" -> {
                        int start = (int) parser.currentTokenLocation().getByteOffset();
                        afterNode = tree(parser, token);
                        afterStart = token == JsonToken.START_OBJECT ? start : -1;
                        afterEnd = (int) parser.currentLocation().getByteOffset();
                    }
                    case "ts_ms" -> tsNode = tree(parser, token);
                    case "source" -> {
                        // as with a tree, a repeated field counts with its last value
                        sourceIsObject = token == JsonToken.START_OBJECT;
                        schemaNode = null;
                        tableNode = null;
                        lsnNode = null;
                        sourceTsNode = null;
                        if (sourceIsObject) {
                            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                                String sourceField = parser.currentName();
                                JsonToken sourceToken = parser.nextToken();
                                switch (sourceField) {
                                    case "schema" -> schemaNode = tree(parser, sourceToken);
                                    case "table" -> tableNode = tree(parser, sourceToken);
                                    case "lsn" -> lsnNode = tree(parser, sourceToken);
                                    case "ts_ms" -> sourceTsNode = tree(parser, sourceToken);
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
        } catch (IOException e) {
            throw new RejectedRecordException("Not JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
        }
        String op = opNode == null ? null : opNode.asText(null);
        if (op == null || !ROW_OPERATIONS.contains(op)) {
            throw new RejectedRecordException("Not a row change: op is " + opNode);
        }
        String schema = !sourceIsObject || schemaNode == null ? null : schemaNode.asText(null);
        String table = !sourceIsObject || tableNode == null ? null : tableNode.asText(null);
        if (schema == null || table == null || schema.isEmpty() || table.isEmpty()) {
            throw new RejectedRecordException("Change event without source.schema/source.table");
        }
        long lsn = lsn(lsnNode);
        ObjectNode before = object(beforeNode, "before");
        ObjectNode after = object(afterNode, "after");
        if (!"d".equals(op) && after == null) {
            throw new RejectedRecordException("A '" + op + "' change event needs an 'after' row");
        }
        ObjectNode key = key(message.getHeader(KafkaConstants.KEY));
        if ("d".equals(op) && key == null && before == null) {
            throw new RejectedRecordException("A delete needs a key or a 'before' row");
        }
        long envelopeTs = tsNode == null ? 0 : tsNode.asLong(0);
        long tsMs = sourceTsNode == null ? envelopeTs : sourceTsNode.asLong(envelopeTs);
        byte[] afterJson = after != null && afterStart >= 0 && afterEnd > afterStart && afterEnd <= value.length
                && value[afterStart] == '{' && value[afterEnd - 1] == '}' ? java.util.Arrays.copyOfRange(value, afterStart, afterEnd) : null;
        return new ChangeEvent(record, schema, table, op, key, before, after, lsn, tsMs, afterJson);
    }

    /** The value the parser is at, as a tree (exact numbers); JSON null as {@link NullNode}. */
    private static JsonNode tree(JsonParser parser, JsonToken token) throws IOException {
        if (token == JsonToken.VALUE_NULL) {
            return NullNode.getInstance();
        }
        return READER.readTree(parser);
    }

    private static long lsn(JsonNode node) {
        if (node == null || node.isNull()) {
            throw new RejectedRecordException("Change event without source.lsn: sinks order changes by it");
        }
        try {
            BigInteger lsn = node.isNumber() ? node.bigIntegerValue() : new BigInteger(node.asText());
            if (lsn.signum() < 0 || lsn.compareTo(MAX_LSN) > 0) {
                throw new NumberFormatException();
            }
            return lsn.longValue();
        } catch (NumberFormatException e) {
            throw new RejectedRecordException("source.lsn is not a non-negative 63-bit number: " + node);
        }
    }

    private static ObjectNode object(JsonNode node, String field) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new RejectedRecordException("'" + field + "' is not a JSON object");
        }
        return (ObjectNode) node;
    }

    private static ObjectNode key(Object header) {
        byte[] bytes = bytes(header);
        if (bytes == null) {
            return null;
        }
        try {
            JsonNode key = READER.readTree(bytes);
            if (key == null || key.isNull()) {
                return null;
            }
            if (!key.isObject() || key.isEmpty()) {
                throw new RejectedRecordException("The record key is not a JSON object of primary-key columns");
            }
            return (ObjectNode) key;
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

    /** The key's values in key-column order, for messages and document ids. */
    public Iterator<Map.Entry<String, JsonNode>> keyFields() {
        return key == null ? java.util.Collections.emptyIterator() : key.fields();
    }
}
