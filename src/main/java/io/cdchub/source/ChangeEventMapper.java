package io.cdchub.source;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.debezium.DebeziumConstants;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultMessage;
import org.apache.kafka.connect.data.Struct;
import org.springframework.stereotype.Component;

/**
 * Turns one change from Camel's debezium-postgres consumer into the Kafka records cdc-hub publishes:
 * the Debezium envelope ({@code before}, {@code after}, {@code source}, {@code op}, {@code ts_ms}) as
 * JSON, keyed by the primary key as a JSON object, and, after a delete, a tombstone. Heartbeats and
 * the heartbeat table's own changes produce nothing.
 */
@Component
public class ChangeEventMapper {

    /** Exchange property set when a Debezium record produces nothing to publish (heartbeats). */
    public static final String NOTHING_TO_PUBLISH = "CdcHubNothingToPublish";

    /** Kafka headers set on every record, so consumers can route without parsing the value. */
    public static final String HEADER_OP = "cdc.op";
    public static final String HEADER_SCHEMA = "cdc.schema";
    public static final String HEADER_TABLE = "cdc.table";
    public static final String HEADER_LSN = "cdc.lsn";

    /** Debezium's order of the source block's fields; others follow in the connector's order. */
    private static final List<String> SOURCE_FIELDS = List.of("version", "connector", "name", "ts_ms", "snapshot", "db", "sequence",
            "ts_us", "ts_ns", "schema", "table", "txId", "lsn", "xmin");
    private static final Set<String> OPERATIONS = Set.of("c", "u", "d", "r", "t");

    private static final ObjectWriter JSON = new ObjectMapper()
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
            .writer();
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

    private final ConnectValueConverter values = new ConnectValueConverter();
    private final ChangeTopicNames topics;
    private final String heartbeatTable;
    private final int maxEventBytes;
    private final boolean tombstones;

    public ChangeEventMapper(ChangeTopicNames topics, SourceProperties source) {
        this.topics = topics;
        this.heartbeatTable = source.heartbeat().table();
        this.maxEventBytes = source.maxEventBytes();
        this.tombstones = source.tombstones();
    }

    /**
     * Replaces the body with the list of Kafka records ({@link Message}s carrying their own key, topic
     * and headers) for this change; for heartbeats an empty list and the property {@link #NOTHING_TO_PUBLISH}.
     *
     * @throws UnconvertibleChangeException when the change cannot become an event (unknown type, too large)
     */
    public void toKafkaRecords(Exchange exchange) {
        Message in = exchange.getIn();
        String op = in.getHeader(DebeziumConstants.HEADER_OPERATION, String.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> source = in.getHeader(DebeziumConstants.HEADER_SOURCE_METADATA, Map.class);
        if (op == null || source == null) {
            skip(exchange); // heartbeat or other connector record
            return;
        }
        String schema = String.valueOf(source.get("schema"));
        String table = String.valueOf(source.get("table"));
        if (heartbeatTable.equals(schema + '.' + table)) {
            skip(exchange);
            return;
        }
        if (!OPERATIONS.contains(op)) {
            throw new UnconvertibleChangeException("Unknown Debezium operation '" + op + "' for " + schema + '.' + table);
        }

        Struct key = in.getHeader(DebeziumConstants.HEADER_KEY, Struct.class);
        Struct before = in.getHeader(DebeziumConstants.HEADER_BEFORE, Struct.class);
        Struct after = in.getBody(Struct.class);
        Long tsMs = in.getHeader(DebeziumConstants.HEADER_TIMESTAMP, Long.class);

        ObjectNode envelope = NODES.objectNode();
        envelope.set("before", values.convertRow(before));
        envelope.set("after", values.convertRow(after));
        envelope.set("source", sourceNode(source));
        envelope.putNull("transaction");
        envelope.put("op", op);
        if (tsMs != null) {
            envelope.put("ts_ms", tsMs);
        } else {
            envelope.putNull("ts_ms");
        }

        byte[] keyBytes = key == null ? null : write(values.convertRow(key));
        byte[] valueBytes = write(envelope);
        if (valueBytes.length > maxEventBytes) {
            throw new UnconvertibleChangeException("Change event for " + schema + '.' + table + " is " + valueBytes.length
                    + " bytes, more than cdc.source.max-event-bytes (" + maxEventBytes + ")");
        }

        String topic = topics.topicFor(schema, table);
        String lsn = String.valueOf(source.get("lsn"));
        List<Message> records = new ArrayList<>(2);
        Message event = record(exchange, topic, keyBytes, valueBytes, schema, table, lsn);
        event.setHeader(HEADER_OP, op);
        records.add(event);
        if (tombstones && "d".equals(op) && keyBytes != null) {
            records.add(record(exchange, topic, keyBytes, null, schema, table, lsn));
        }
        in.setBody(records);
    }

    private static void skip(Exchange exchange) {
        exchange.getIn().setBody(List.of());
        exchange.setProperty(NOTHING_TO_PUBLISH, Boolean.TRUE);
    }

    private static Message record(Exchange exchange, String topic, byte[] key, byte[] value, String schema, String table, String lsn) {
        Message record = new DefaultMessage(exchange.getContext());
        record.setHeader(KafkaConstants.OVERRIDE_TOPIC, topic);
        if (key != null) {
            record.setHeader(KafkaConstants.KEY, key);
        }
        record.setHeader(HEADER_SCHEMA, schema);
        record.setHeader(HEADER_TABLE, table);
        record.setHeader(HEADER_LSN, lsn);
        record.setBody(value);
        return record;
    }

    private static ObjectNode sourceNode(Map<String, Object> source) {
        ObjectNode node = NODES.objectNode();
        for (String field : SOURCE_FIELDS) {
            if (source.containsKey(field)) {
                node.putPOJO(field, source.get(field));
            }
        }
        source.forEach((field, value) -> {
            if (!node.has(field)) {
                node.putPOJO(field, value);
            }
        });
        return node;
    }

    private static byte[] write(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new UnconvertibleChangeException("Cannot write change event as JSON: " + e.getOriginalMessage(), e);
        }
    }
}
