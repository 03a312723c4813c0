package io.cdchub.sink.transform;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.cdchub.change.ChangeEvent;
import org.apache.camel.component.kafka.KafkaConstants;

/**
 * The pipeline metadata fields a transform can add ({@code metadata: [...]}), named as the lakehouse jobs name them.
 * The values are the change's own (LSN, commit time, Kafka timestamp), except {@code _ingestion_timestamp}, when the
 * sink converted it.
 */
enum TransformMetadata {
    /** When the sink converted the change: ISO-8601 UTC, e.g. 2026-12-04T18:40:00.123Z. */
    INGESTION_TIMESTAMP("_ingestion_timestamp"),
    /** The transform's {@code source-system} (default postgresql). */
    SOURCE_SYSTEM("_source_system"),
    /** The transform's {@code pipeline-id} (default: the sink route's id). */
    PIPELINE_ID("_pipeline_id"),
    /** The change's position in PostgreSQL's WAL (source.lsn), a number. */
    SOURCE_LSN("_source_lsn"),
    /** When PostgreSQL committed the change (source.ts_ms), epoch milliseconds. */
    EVENT_TIMESTAMP_MS("_event_timestamp_ms"),
    /** The Kafka record's timestamp, epoch milliseconds (null when the record has none). */
    KAFKA_TIMESTAMP("_kafka_timestamp");

    final String field;

    TransformMetadata(String field) {
        this.field = field;
    }

    static TransformMetadata named(String field) {
        return Arrays.stream(values()).filter(m -> m.field.equals(field)).findFirst().orElse(null);
    }

    static List<String> fields() {
        return Arrays.stream(values()).map(m -> m.field).toList();
    }

    JsonNode value(ChangeEvent event, String pipelineId, String sourceSystem, long nowMs) {
        JsonNodeFactory json = ChangeEvent.JSON.getNodeFactory();
        return switch (this) {
            case INGESTION_TIMESTAMP -> json.textNode(Instant.ofEpochMilli(nowMs).toString());
            case SOURCE_SYSTEM -> json.textNode(sourceSystem);
            case PIPELINE_ID -> json.textNode(pipelineId);
            case SOURCE_LSN -> json.numberNode(event.lsn());
            case EVENT_TIMESTAMP_MS -> json.numberNode(event.sourceTsMs());
            case KAFKA_TIMESTAMP -> {
                Long timestamp = event.record() == null ? null : event.record().getMessage().getHeader(KafkaConstants.TIMESTAMP, Long.class);
                yield timestamp == null ? json.nullNode() : json.numberNode(timestamp);
            }
        };
    }
}
