package io.cdchub.deadletter;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * One record of the dead-letter topic as the API shows it: where it is, why it failed (the {@code cdc.dlq.*} headers
 * {@link DeadLetterEnricher} wrote), its key and the start of its payload, and its last replay if any.
 *
 * @param partition         its partition in the dead-letter topic
 * @param offset            its offset there: with the partition, what identifies it (and what a replay is recorded by)
 * @param timestamp         when it was written to the dead-letter topic (the record's timestamp)
 * @param replayCount       how many replays of the record failed before this dead letter (0: a first failure)
 * @param replayOf          the dead letter ({@code partition/offset}) whose replay failed into this one, or null
 * @param replay            its last replay, or null when it was not replayed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeadLetter(int partition, long offset, Instant timestamp, String key, String routeId, String exceptionClass,
        String exceptionMessage, String failedEndpoint, String originalTopic, Integer originalPartition, Long originalOffset,
        String failedAt, int replayCount, String replayOf, String valuePreview, Replay replay,
        @JsonIgnore byte[] keyBytes, @JsonIgnore byte[] value) {

    /** How much of the payload a listing shows. */
    static final int PREVIEW_CHARS = 1000;

    /**
     * A replay of a dead letter, as recorded in the replay topic.
     *
     * @param outcome {@code replayed} (the target took it) or {@code failed-again} (a new dead letter holds it now)
     */
    public record Replay(String outcome, Instant at, String route, String target) {
        public static final String REPLAYED = "replayed";
        public static final String FAILED_AGAIN = "failed-again";
    }

    static DeadLetter of(ConsumerRecord<byte[], byte[]> record) {
        String value = record.value() == null ? null : new String(record.value(), StandardCharsets.UTF_8);
        Integer replayCount = number(header(record, DeadLetterEnricher.REPLAY_COUNT), Integer::valueOf);
        return new DeadLetter(record.partition(), record.offset(), Instant.ofEpochMilli(record.timestamp()),
                record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8),
                header(record, DeadLetterEnricher.ROUTE_ID), header(record, DeadLetterEnricher.EXCEPTION_CLASS),
                header(record, DeadLetterEnricher.EXCEPTION_MESSAGE), header(record, DeadLetterEnricher.FAILED_ENDPOINT),
                header(record, DeadLetterEnricher.ORIGINAL_TOPIC), number(header(record, DeadLetterEnricher.ORIGINAL_PARTITION), Integer::valueOf),
                number(header(record, DeadLetterEnricher.ORIGINAL_OFFSET), Long::valueOf), header(record, DeadLetterEnricher.FAILED_AT),
                replayCount == null ? 0 : replayCount, header(record, DeadLetterEnricher.REPLAY_OF),
                value == null || value.length() <= PREVIEW_CHARS ? value : value.substring(0, PREVIEW_CHARS) + "...",
                null, record.key(), record.value());
    }

    /** Its place in the dead-letter topic, {@code partition/offset}: how replays and replay-of headers name it. */
    @JsonIgnore
    public String position() {
        return partition + "/" + offset;
    }

    /** Why it failed, as one text: what the {@code reason} filter searches and the summary groups by. */
    @JsonIgnore
    public String reason() {
        return exceptionClass + ": " + exceptionMessage;
    }

    DeadLetter withReplay(Replay last) {
        return new DeadLetter(partition, offset, timestamp, key, routeId, exceptionClass, exceptionMessage, failedEndpoint, originalTopic,
                originalPartition, originalOffset, failedAt, replayCount, replayOf, valuePreview, last, keyBytes, value);
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** A numeric header, or null when absent or not a number (a dead letter written by hand, or by another tool). */
    private static <N> N number(String text, java.util.function.Function<String, N> parse) {
        try {
            return text == null ? null : parse.apply(text.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
