package io.cdchub.source;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.source.SourceRecord;
import org.springframework.stereotype.Component;

/**
 * Writes a batch of Debezium changes as the Kafka records cdc-hub publishes: the Debezium envelope ({@code before},
 * {@code after}, {@code source}, {@code op}, {@code ts_ms}) as JSON keyed by the primary key, in the capture's
 * {@link ValueFormat}, with the headers {@code cdc.op}, {@code cdc.schema}, {@code cdc.table}, {@code cdc.lsn} and
 * {@value ValueFormat#HEADER}; in the cdc-hub form a tombstone follows each delete. Heartbeats and the heartbeat and signal
 * tables' changes produce nothing. A change that cannot be written (an unknown type, over the size limit) is set
 * aside as a dead letter with the reason; the rest of the batch goes on.
 *
 * <p>The cdc-hub form is written straight from the Connect structs with one streaming generator per thread: no
 * JSON tree, no map per change. The debezium form is Kafka Connect's own {@code JsonConverter}, so it is what
 * Debezium on Kafka Connect writes, byte for byte.
 */
@Component("changeEventWriter")
public class ChangeEventWriter implements Processor {

    public static final String HEADER_OP = "cdc.op";
    public static final String HEADER_SCHEMA = "cdc.schema";
    public static final String HEADER_TABLE = "cdc.table";
    public static final String HEADER_LSN = "cdc.lsn";

    private static final Set<String> OPERATIONS = Set.of("c", "u", "d", "r", "t");
    private static final Map<String, byte[]> OPERATION_BYTES = Map.of("c", bytes("c"), "u", bytes("u"), "d", bytes("d"), "r", bytes("r"),
            "t", bytes("t"));
    private static final Map<ValueFormat, byte[]> FORMAT_BYTES = Map.of(ValueFormat.CDC_HUB, bytes(ValueFormat.CDC_HUB.label()),
            ValueFormat.DEBEZIUM, bytes(ValueFormat.DEBEZIUM.label()));

    /** Writes trees (the rarer value types) and exact decimals as plain numbers, as the events always had them. */
    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN).build();

    private final ConnectValueConverter values = new ConnectValueConverter();
    /** Per converting thread: the buffer events are written into, reused from change to change. */
    private final ThreadLocal<Output> outputs = ThreadLocal.withInitial(Output::new);
    /** UTF-8 of schema and table names, shared by the headers of every record of a table. */
    private final Map<String, byte[]> nameBytes = new ConcurrentHashMap<>();

    @Override
    public void process(Exchange exchange) {
        write(exchange.getIn().getBody(ChangeBatch.class));
    }

    void write(ChangeBatch batch) {
        ChangeCapture endpoint = batch.capture();
        CaptureSettings settings = endpoint.settings();
        Output output = outputs.get();
        for (int i = 0, n = batch.size(); i < n; i++) {
            SourceRecord change = batch.change(i);
            try {
                write(change, settings, endpoint, output, batch);
            } catch (UnconvertibleChangeException | DataException e) {
                batch.deadLetter(new ChangeBatch.DeadLetter(topicOf(change, settings), keyText(change), describe(change), e));
                // the generator may have stopped inside the event: the next change gets a new one
                outputs.remove();
                output = outputs.get();
            }
        }
    }

    private void write(SourceRecord change, CaptureSettings settings, ChangeCapture endpoint, Output output, ChangeBatch batch) {
        Struct value = change.value() instanceof Struct struct ? struct : null;
        if (value == null) {
            // Debezium's own tombstone (debezium form, tombstones.on.delete): it follows its delete
            if (change.key() != null && settings.format() == ValueFormat.DEBEZIUM && change.topic() != null
                    && !change.topic().startsWith("__debezium")) {
                String[] table = tableOfTopic(change.topic());
                if (table == null || !settings.ownTable(table[0], table[1])) { // the signal table's watermark deletes stay unpublished
                    batch.add(tombstone(change, settings, endpoint, table));
                }
            }
            return;
        }
        Schema schema = value.schema();
        Field opField = schema.field("op");
        Field sourceField = schema.field("source");
        if (opField == null || sourceField == null) {
            return; // a heartbeat or another record of the connector's own
        }
        Struct source = value.getStruct("source");
        String table = source.getString("table");
        String dbSchema = source.getString("schema");
        if (settings.ownTable(dbSchema, table)) {
            return;
        }
        String op = value.getString("op");
        if (op == null || !OPERATIONS.contains(op)) {
            throw new UnconvertibleChangeException("Unknown Debezium operation '" + op + "' for " + dbSchema + '.' + table);
        }
        String topic = settings.topics().topicFor(dbSchema, table);
        byte[] keyBytes;
        byte[] valueBytes;
        if (settings.format() == ValueFormat.DEBEZIUM) {
            keyBytes = change.key() == null ? null : endpoint.keyConverter().fromConnectData(topic, change.keySchema(), change.key());
            valueBytes = endpoint.valueConverter().fromConnectData(topic, change.valueSchema(), value);
        } else {
            keyBytes = change.key() == null ? null : output.key(values, (Struct) change.key());
            valueBytes = output.envelope(values, value, source, op);
        }
        if (valueBytes.length > settings.maxEventBytes()) {
            throw new UnconvertibleChangeException("Change event for " + dbSchema + '.' + table + " is " + valueBytes.length
                    + " bytes, more than cdc.source.max-event-bytes (" + settings.maxEventBytes() + ")");
        }
        byte[] schemaBytes = nameBytes.computeIfAbsent(dbSchema, ChangeEventWriter::bytes);
        byte[] tableBytes = nameBytes.computeIfAbsent(table, ChangeEventWriter::bytes);
        byte[] lsn = bytes(String.valueOf(source.get("lsn")));
        byte[] format = FORMAT_BYTES.get(settings.format());
        batch.add(new ProducerRecord<>(topic, null, null, keyBytes, valueBytes, new RecordHeaders(new Header[] {
            new RecordHeader(HEADER_OP, OPERATION_BYTES.get(op)),
            new RecordHeader(HEADER_SCHEMA, schemaBytes),
            new RecordHeader(HEADER_TABLE, tableBytes),
            new RecordHeader(HEADER_LSN, lsn),
            new RecordHeader(ValueFormat.HEADER, format)})));
        if (settings.format() == ValueFormat.CDC_HUB && settings.tombstones() && "d".equals(op) && keyBytes != null) {
            batch.add(new ProducerRecord<>(topic, null, null, keyBytes, null, new RecordHeaders(new Header[] {
                new RecordHeader(HEADER_SCHEMA, schemaBytes),
                new RecordHeader(HEADER_TABLE, tableBytes),
                new RecordHeader(HEADER_LSN, lsn),
                new RecordHeader(ValueFormat.HEADER, format)})));
        }
    }

    private static ProducerRecord<byte[], byte[]> tombstone(SourceRecord change, CaptureSettings settings, ChangeCapture endpoint,
            String[] parts) {
        // Debezium names a tombstone's topic <prefix>.<schema>.<table>: the table's topic here, renames applied
        String topic = parts == null ? change.topic() : settings.topics().topicFor(parts[0], parts[1]);
        byte[] keyBytes = endpoint.keyConverter().fromConnectData(topic, change.keySchema(), change.key());
        return new ProducerRecord<>(topic, null, null, keyBytes, null, new RecordHeaders(new Header[] {
            new RecordHeader(ValueFormat.HEADER, FORMAT_BYTES.get(settings.format()))}));
    }

    /** {schema, table} of Debezium's topic name {@code <prefix>.<schema>.<table>}, or null. */
    private static String[] tableOfTopic(String topic) {
        int last = topic.lastIndexOf('.');
        int before = last > 0 ? topic.lastIndexOf('.', last - 1) : -1;
        return before < 0 ? null : new String[] {topic.substring(before + 1, last), topic.substring(last + 1)};
    }

    private static String topicOf(SourceRecord change, CaptureSettings settings) {
        try {
            Struct source = ((Struct) change.value()).getStruct("source");
            return settings.topics().topicFor(source.getString("schema"), source.getString("table"));
        } catch (RuntimeException e) {
            return change.topic();
        }
    }

    private static byte[] keyText(SourceRecord change) {
        return change.key() == null ? null : bytes(String.valueOf(change.key()));
    }

    /** A change that could not be written: what Debezium gave, as text, since writing it as an event is what failed. */
    private static byte[] describe(SourceRecord change) {
        Map<String, Object> description = new java.util.LinkedHashMap<>();
        if (change.value() instanceof Struct value) {
            for (String field : new String[] {"op", "before", "after"}) {
                if (value.schema().field(field) != null) {
                    Object part = value.get(field);
                    description.put(field, part == null ? null : String.valueOf(part));
                }
            }
            if (value.schema().field("source") != null && value.get("source") instanceof Struct source) {
                Map<String, Object> fields = new java.util.LinkedHashMap<>();
                source.schema().fields().forEach(f -> fields.put(f.name(), source.get(f)));
                description.put("source", fields);
            }
        }
        description.put("key", change.key() == null ? null : String.valueOf(change.key()));
        try {
            return JSON.writeValueAsBytes(description);
        } catch (IOException e) {
            return bytes(description.toString());
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * One converting thread's buffer and generator, reused from change to change: each event is written into the
     * buffer and its bytes copied out once.
     */
    private static final class Output {

        private final ByteArrayBuilder buffer = new ByteArrayBuilder(4096);
        private final JsonGenerator out;
        /** The source block's field names, JSON-encoded once: the same dozen names on every event. */
        private final Map<String, SerializedString> fieldNames = new java.util.HashMap<>();

        private SerializedString fieldName(Field field) {
            return fieldNames.computeIfAbsent(field.name(), SerializedString::new);
        }

        Output() {
            JsonFactory factory = JSON.getFactory().copy();
            factory.setCodec(JSON); // writes the trees of the rarer value types
            factory.setRootValueSeparator(null); // one event after another in the same generator, nothing between
            try {
                out = factory.createGenerator(buffer, JsonEncoding.UTF8);
            } catch (IOException e) {
                throw new IllegalStateException("Cannot create a JSON generator", e);
            }
        }

        byte[] key(ConnectValueConverter values, Struct key) {
            buffer.reset();
            try {
                values.writeRow(out, key);
                out.flush();
            } catch (IOException e) {
                throw new UnconvertibleChangeException("Cannot write the key as JSON: " + e.getMessage(), e);
            }
            return buffer.toByteArray();
        }

        byte[] envelope(ConnectValueConverter values, Struct value, Struct source, String op) {
            buffer.reset();
            try {
                out.writeStartObject();
                out.writeFieldName("before");
                values.writeRow(out, value.getStruct("before"));
                out.writeFieldName("after");
                values.writeRow(out, value.getStruct("after"));
                out.writeFieldName("source");
                writeSource(out, source);
                out.writeFieldName("transaction");
                out.writeNull();
                out.writeStringField("op", op);
                Object tsMs = value.schema().field("ts_ms") == null ? null : value.get("ts_ms");
                out.writeFieldName("ts_ms");
                if (tsMs instanceof Long millis) {
                    out.writeNumber(millis.longValue());
                } else {
                    out.writeNull();
                }
                out.writeEndObject();
                out.flush();
            } catch (IOException e) {
                throw new UnconvertibleChangeException("Cannot write change event as JSON: " + e.getMessage(), e);
            }
            return buffer.toByteArray();
        }

        /** Debezium's source block, its fields in Debezium's order, defaults applied as Debezium's own readers see them. */
        private void writeSource(JsonGenerator out, Struct source) throws IOException {
            out.writeStartObject();
            for (Field field : source.schema().fields()) {
                Object v = source.get(field);
                out.writeFieldName(fieldName(field));
                if (v == null) {
                    out.writeNull();
                } else if (v instanceof String s) {
                    out.writeString(s);
                } else if (v instanceof Long l) {
                    out.writeNumber(l.longValue());
                } else if (v instanceof Integer i) {
                    out.writeNumber(i.intValue());
                } else if (v instanceof Boolean b) {
                    out.writeBoolean(b);
                } else {
                    out.writeObject(v);
                }
            }
            out.writeEndObject();
        }
    }
}
