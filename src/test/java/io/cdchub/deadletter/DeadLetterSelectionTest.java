package io.cdchub.deadletter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** Which dead letters a selection chooses, and how a dead-letter record reads (no Kafka needed). */
class DeadLetterSelectionTest {

    static DeadLetter letter(int partition, long offset, long timestamp, String route, String exception, String message, String topic,
            String replayCount) {
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("cdc.dlq", partition, offset, timestamp, TimestampType.CREATE_TIME, 1, 10,
                "k".getBytes(StandardCharsets.UTF_8), "{\"op\":\"c\"}".getBytes(StandardCharsets.UTF_8), new RecordHeaders(), Optional.empty());
        add(record, DeadLetterEnricher.ROUTE_ID, route);
        add(record, DeadLetterEnricher.EXCEPTION_CLASS, exception);
        add(record, DeadLetterEnricher.EXCEPTION_MESSAGE, message);
        add(record, DeadLetterEnricher.ORIGINAL_TOPIC, topic);
        add(record, DeadLetterEnricher.ORIGINAL_OFFSET, "12");
        add(record, DeadLetterEnricher.REPLAY_COUNT, replayCount);
        return DeadLetter.of(record);
    }

    private static void add(ConsumerRecord<byte[], byte[]> record, String name, String value) {
        if (value != null) {
            record.headers().add(new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8)));
        }
    }

    static final DeadLetter NARROW = letter(0, 5, 1_000, "kafka-to-clickhouse", "io.cdchub.sink.RejectedRecordException",
            "ClickHouse answered 500: Too large value for FixedString(8)", "cdc.public.orders", null);
    static final DeadLetter NOT_JSON = letter(1, 7, 2_000, "kafka-to-elasticsearch", "io.cdchub.sink.RejectedRecordException", "Not JSON",
            "cdc.public.items", "2");

    @Test
    void aDeadLetterReadsItsReasonAndPlaceFromTheHeaders() {
        assertThat(NARROW.position()).isEqualTo("0/5");
        assertThat(NARROW.originalOffset()).isEqualTo(12L);
        assertThat(NARROW.originalPartition()).isNull();
        assertThat(NARROW.replayCount()).isZero();
        assertThat(NOT_JSON.replayCount()).isEqualTo(2);
        assertThat(NARROW.timestamp()).isEqualTo(Instant.ofEpochMilli(1_000));
        assertThat(NARROW.reason()).startsWith("io.cdchub.sink.RejectedRecordException: ClickHouse");
        assertThat(NARROW.valuePreview()).isEqualTo("{\"op\":\"c\"}");
    }

    @Test
    void filtersMustAllHold() {
        assertThat(new DeadLetterSelection("kafka-to-clickhouse", null, "fixedstring", null, null, null).matches(NARROW)).isTrue();
        assertThat(new DeadLetterSelection("kafka-to-clickhouse", null, "not json", null, null, null).matches(NARROW)).isFalse();
        assertThat(new DeadLetterSelection(null, "cdc.public.items", null, null, null, null).matches(NOT_JSON)).isTrue();
        assertThat(new DeadLetterSelection(null, null, "RejectedRecord", null, null, null).matches(NOT_JSON)).as("the class counts too").isTrue();
        DeadLetterSelection window = new DeadLetterSelection(null, null, null, Instant.ofEpochMilli(1_000), Instant.ofEpochMilli(2_000), null);
        assertThat(window.matches(NARROW)).as("from is included").isTrue();
        assertThat(window.matches(NOT_JSON)).as("until is not").isFalse();
        assertThat(new DeadLetterSelection(null, null, null, null, null, List.of(new DeadLetterSelection.Position(1, 7))).matches(NOT_JSON)).isTrue();
        assertThat(new DeadLetterSelection(null, null, null, null, null, List.of(new DeadLetterSelection.Position(1, 7))).matches(NARROW)).isFalse();
        assertThat(new DeadLetterSelection(null, null, null, null, null, null).isEverything()).isTrue();
    }

    @Test
    void aSelectionThatCannotBeMeantIsRefusedNamingTheField() {
        assertThatThrownBy(() -> new DeadLetterSelection(null, null, null, Instant.ofEpochMilli(2), Instant.ofEpochMilli(1), null))
                .hasMessageStartingWith("until: ");
        assertThatThrownBy(() -> new DeadLetterSelection("r", null, null, null, null, List.of(new DeadLetterSelection.Position(0, 1))))
                .hasMessageStartingWith("offsets: ");
        assertThatThrownBy(() -> new DeadLetterSelection(null, null, null, null, null, List.of(new DeadLetterSelection.Position(-1, 1))))
                .hasMessageStartingWith("offsets: ");
    }
}
