package io.cdchub.sink;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
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
        long sourceTsMs) {

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
        JsonNode envelope;
        try {
            envelope = READER.readTree(value);
        } catch (IOException e) {
            throw new RejectedRecordException("Not JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
        }
        if (envelope == null || !envelope.isObject()) {
            throw new RejectedRecordException("Not a change event: the value is not a JSON object");
        }
        String op = envelope.path("op").asText(null);
        if (op == null || !ROW_OPERATIONS.contains(op)) {
            throw new RejectedRecordException("Not a row change: op is " + envelope.get("op"));
        }
        JsonNode source = envelope.path("source");
        String schema = source.path("schema").asText(null);
        String table = source.path("table").asText(null);
        if (schema == null || table == null || schema.isEmpty() || table.isEmpty()) {
            throw new RejectedRecordException("Change event without source.schema/source.table");
        }
        long lsn = lsn(source.get("lsn"));
        ObjectNode before = object(envelope.get("before"), "before");
        ObjectNode after = object(envelope.get("after"), "after");
        if (!"d".equals(op) && after == null) {
            throw new RejectedRecordException("A '" + op + "' change event needs an 'after' row");
        }
        ObjectNode key = key(message.getHeader(KafkaConstants.KEY));
        if ("d".equals(op) && key == null && before == null) {
            throw new RejectedRecordException("A delete needs a key or a 'before' row");
        }
        long tsMs = source.path("ts_ms").asLong(envelope.path("ts_ms").asLong(0));
        return new ChangeEvent(record, schema, table, op, key, before, after, lsn, tsMs);
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
