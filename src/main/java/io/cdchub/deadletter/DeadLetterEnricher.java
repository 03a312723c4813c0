package io.cdchub.deadletter;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Prepares a dead letter: the original payload (bounded in size) and why it failed, as Kafka headers
 * ({@code cdc.dlq.*}), so an operator can see, fix and replay it. Works for the kinds of original
 * message cdc-hub routes carry: a change the source could not publish (its event, or a description of
 * it, with its topic in {@code kafka.TOPIC}), a list of Kafka records, a consumed Kafka record.
 */
@Component
public class DeadLetterEnricher {

    public static final String EXCEPTION_CLASS = "cdc.dlq.exception-class";
    public static final String EXCEPTION_MESSAGE = "cdc.dlq.exception-message";
    public static final String FAILED_ENDPOINT = "cdc.dlq.failed-endpoint";
    public static final String ROUTE_ID = "cdc.dlq.route-id";
    public static final String ORIGINAL_TOPIC = "cdc.dlq.original-topic";
    public static final String ORIGINAL_PARTITION = "cdc.dlq.original-partition";
    public static final String ORIGINAL_OFFSET = "cdc.dlq.original-offset";
    public static final String FAILED_AT = "cdc.dlq.failed-at";
    /**
     * How many times the record was replayed from the dead-letter topic before this failure (absent: never), and the
     * dead letter ({@code <partition>/<offset>}) whose replay failed: set as exchange properties of the same names by
     * {@link DeadLetterReplayer}, so a record that fails again is one new dead letter with its new reason.
     */
    public static final String REPLAY_COUNT = "cdc.dlq.replay-count";
    public static final String REPLAY_OF = "cdc.dlq.replay-of";

    private final int maxPayloadBytes;

    public DeadLetterEnricher(@Value("${cdc.dlq.max-payload-bytes:900000}") int maxPayloadBytes) {
        this.maxPayloadBytes = maxPayloadBytes;
    }

    public void enrich(Exchange exchange) {
        Message message = exchange.getMessage();
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        // a change's Kafka records (from the publisher) carry their own key and topic; the first is the event
        Message record = message.getBody() instanceof List<?> records && !records.isEmpty() && records.get(0) instanceof Message first
                ? first : message;
        Object key = record.getHeader(KafkaConstants.KEY);
        byte[] payload = payload(message);
        String originalTopic = record != message ? record.getHeader(KafkaConstants.OVERRIDE_TOPIC, String.class)
                : message.getHeader(KafkaConstants.TOPIC, String.class);
        Object partition = message.getHeader(KafkaConstants.PARTITION);
        Object offset = message.getHeader(KafkaConstants.OFFSET);
        Object replayCount = exchange.getProperty(REPLAY_COUNT);
        Object replayOf = exchange.getProperty(REPLAY_OF);

        // Only the dead letter's own headers go out: Camel's and the source's internals stay behind.
        message.getHeaders().clear();
        message.setHeader(EXCEPTION_CLASS, cause == null ? "unknown" : cause.getClass().getName());
        message.setHeader(EXCEPTION_MESSAGE, cause == null ? "unknown" : String.valueOf(cause.getMessage()));
        message.setHeader(FAILED_ENDPOINT, exchange.getProperty(Exchange.FAILURE_ENDPOINT, "", String.class));
        message.setHeader(ROUTE_ID, exchange.getProperty(Exchange.FAILURE_ROUTE_ID, exchange.getFromRouteId(), String.class));
        message.setHeader(FAILED_AT, Instant.now().toString());
        if (originalTopic != null) {
            message.setHeader(ORIGINAL_TOPIC, originalTopic);
        }
        if (partition != null) {
            message.setHeader(ORIGINAL_PARTITION, String.valueOf(partition));
        }
        if (offset != null) {
            message.setHeader(ORIGINAL_OFFSET, String.valueOf(offset));
        }
        if (replayCount != null) {
            message.setHeader(REPLAY_COUNT, String.valueOf(replayCount));
            message.setHeader(REPLAY_OF, String.valueOf(replayOf));
        }
        if (key != null) {
            message.setHeader(KafkaConstants.KEY, key instanceof byte[] bytes ? bytes : String.valueOf(key).getBytes(StandardCharsets.UTF_8));
        }
        message.setBody(payload);
    }

    private byte[] payload(Message message) {
        Object body = message.getBody();
        byte[] bytes;
        if (body == null) {
            bytes = null;
        } else if (body instanceof byte[] b) {
            bytes = b;
        } else if (body instanceof List<?> records && !records.isEmpty() && records.get(0) instanceof Message first) {
            Object value = first.getBody(); // a change's records: the event is first, a tombstone may follow
            bytes = value instanceof byte[] b ? b : null;
        } else {
            bytes = message.getBody(String.class) != null ? message.getBody(String.class).getBytes(StandardCharsets.UTF_8) : null;
        }
        if (bytes != null && bytes.length > maxPayloadBytes) {
            return ("{\"truncated\":true,\"size\":" + bytes.length + "}").getBytes(StandardCharsets.UTF_8);
        }
        return bytes;
    }
}
