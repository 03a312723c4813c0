package io.cdchub.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.apache.kafka.common.TopicPartition;

/**
 * One change record as the gateway sends it, parsed once however many clients get it: the frame's shared part
 * ({@code {"topic":...,"key":...,"value":...,"position":"}) with key and value embedded as the JSON they are, and
 * what filters look at (op, the row).
 *
 * @param partition the Kafka topic and partition
 * @param offset    the record's offset
 * @param op        c, u, d, r (null when the value has no op)
 * @param row       {@code after}, or {@code before} for a delete (null when there is none)
 * @param key       the record key as JSON (null when the record has none)
 * @param commitMs  when the source committed the change ({@code source.ts_ms}), or the record timestamp
 * @param framePrefix the frame up to the position's value
 * @param before    an update's {@code before} image (null otherwise): the row-level rule checks it too
 * @param withoutBefore the frame prefix with {@code before} set to null, made when first needed (an update that moved
 *                  a row to another tenant: the new tenant must not see the old tenant's image)
 */
public record GatewayRecord(TopicPartition partition, long offset, String op, JsonNode row, JsonNode key, long commitMs, String framePrefix,
        JsonNode before, Lazy withoutBefore) {

    /** A value computed at most once, on first use (by whichever thread asks first; the result is the same). */
    static final class Lazy {
        private final java.util.function.Supplier<String> compute;
        private volatile String value;

        Lazy(java.util.function.Supplier<String> compute) {
            this.compute = compute;
        }

        String get() {
            String v = value;
            if (v == null) {
                v = compute.get();
                value = v;
            }
            return v;
        }
    }

    /** Exact numbers; trailing garbage after a JSON value is an error (the bytes are embedded in frames as they are). */
    static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    /**
     * Parses a consumed record.
     *
     * @return the record, or null for a tombstone (the delete before it already told clients)
     * @throws IllegalArgumentException when the value is not a JSON object ({@link io.cdchub.change.UnreadableChangeException})
     */
    public static GatewayRecord parse(String topic, int partition, long offset, byte[] keyBytes, byte[] value, long recordTimestamp) {
        if (value == null) {
            return null;
        }
        // the envelope is read by the one change-event parser (strict about trailing bytes: the value is embedded as it is)
        io.cdchub.change.ChangeEvent envelope = io.cdchub.change.ChangeEvent.read(keyBytes, value, recordTimestamp);
        String keyJson = "null";
        JsonNode key = null;
        if (keyBytes != null) {
            String keyText = new String(keyBytes, StandardCharsets.UTF_8);
            try {
                key = JSON.readTree(keyBytes);
                keyJson = key == null || key.isMissingNode() ? "null" : keyText.trim();
            } catch (IOException e) {
                // a key that is not JSON (not one the source wrote) still goes out, as a string
                keyJson = JSON.getNodeFactory().textNode(keyText).toString();
            }
        }
        String op = envelope.op();
        JsonNode row = "d".equals(op) ? envelope.before() : envelope.after();
        if ("d".equals(op) && row == null && key != null && key.isObject()) {
            row = key; // a delete without a before image still names its key columns
        }
        long commitMs = envelope.sourceTsMs();
        StringBuilder frame = new StringBuilder(value.length + 128);
        frame.append("{\"topic\":\"");
        JsonStringEncoder.getInstance().quoteAsString(topic, frame);
        frame.append("\",\"key\":");
        frame.append(keyJson);
        String head = frame.toString();
        frame.append(",\"value\":").append(new String(value, StandardCharsets.UTF_8).trim()).append(",\"position\":\"");
        JsonNode before = "u".equals(op) && envelope.hasBefore() ? envelope.before() : null;
        Lazy withoutBefore = null;
        if (before != null) {
            io.cdchub.change.ChangeEvent parsed = envelope;
            withoutBefore = new Lazy(() -> head + ",\"value\":" + new String(parsed.valueWithoutBefore(), StandardCharsets.UTF_8).trim()
                    + ",\"position\":\"");
        }
        return new GatewayRecord(new TopicPartition(topic, partition), offset, op, row, key, commitMs, frame.toString(), before, withoutBefore);
    }

    public String topic() {
        return partition.topic();
    }

    /** The whole change message for one client. */
    public String frame(String position) {
        return framePrefix + position + "\"}";
    }

    /** The change message with {@code before} set to null (only for updates with a before image). */
    public String frameWithoutBefore(String position) {
        return withoutBefore.get() + position + "\"}";
    }
}
