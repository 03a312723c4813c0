package io.cdchub.aggregation;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.springframework.stereotype.Component;

/**
 * Reads a consumed change record into an {@link AggregationEvent} (for {@link WindowAggregator}), and is the one
 * place that knows how an event is stored in a window: {@code {"t":topic,"p":partition,"o":offset,"k":key,"v":value}}.
 */
@Component
public class WindowEvents {

    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @return the event, or null for a tombstone (the delete before it carries the change)
     * @throws NotAChangeEventException for a record without a key, or whose value is not a change event with an LSN
     */
    public AggregationEvent parse(Exchange record) {
        Message message = record.getMessage();
        byte[] value = message.getBody(byte[].class);
        if (value == null) {
            return null;
        }
        String topic = message.getHeader(KafkaConstants.TOPIC, String.class);
        String foreignForm = io.cdchub.change.ChangeEvent.foreignForm(message);
        if (foreignForm != null) {
            throw new NotAChangeEventException(io.cdchub.change.ChangeEvent.foreignFormReason(topic, foreignForm));
        }
        Integer partition = message.getHeader(KafkaConstants.PARTITION, Integer.class);
        Long offset = message.getHeader(KafkaConstants.OFFSET, Long.class);
        Object rawKey = message.getHeader(KafkaConstants.KEY);
        String key = rawKey instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : rawKey == null ? null : rawKey.toString();
        if (key == null || key.isBlank()) {
            throw new NotAChangeEventException("record has no key: a window keeps the latest change per primary key, so keyless records cannot be aggregated");
        }
        io.cdchub.change.ChangeEvent envelope;
        try {
            envelope = io.cdchub.change.ChangeEvent.read(null, value, 0);
        } catch (io.cdchub.change.UnreadableChangeException e) {
            throw new NotAChangeEventException("value is " + e.getMessage());
        }
        if (envelope.op() == null) {
            throw new NotAChangeEventException("value is not a Debezium change event (no \"op\")");
        }
        if (envelope.lsn() < 0) {
            throw new NotAChangeEventException("change event has no source.lsn");
        }
        return new AggregationEvent(topic, partition == null ? 0 : partition, offset == null ? -1 : offset, key,
                Long.toString(envelope.lsn()), new String(value, StandardCharsets.UTF_8));
    }

    /** Written field by field: no tree per event. */
    static String stored(AggregationEvent event) {
        StringWriter out = new StringWriter(event.value().length() + event.key().length() + event.topic().length() + 64);
        try (JsonGenerator json = JSON.getFactory().createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("t", event.topic());
            json.writeNumberField("p", event.partition());
            json.writeNumberField("o", event.offset());
            json.writeStringField("k", event.key());
            json.writeStringField("v", event.value());
            json.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }

    static AggregationEvent fromStored(String json) {
        try {
            JsonNode node = JSON.readTree(json);
            return new AggregationEvent(node.path("t").asText(), node.path("p").asInt(), node.path("o").asLong(), node.path("k").asText(),
                    null, node.path("v").asText());
        } catch (IOException e) {
            throw new IllegalStateException("a stored window event is not JSON: " + e.getMessage(), e);
        }
    }
}
