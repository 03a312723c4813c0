package io.cdchub.source;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.connect.json.JsonConverter;

/**
 * What {@link ChangeEventWriter} and {@link ChangeBatchPublisher} need of a capture to write and publish its batches:
 * the logical-replication captures ({@link ChangeCaptureEndpoint}) and the polling source alike, so both publish the
 * same records through the same code.
 */
public interface ChangeCapture {

    CaptureSettings settings();

    /** Connect's JSON converter for keys in the debezium form. */
    JsonConverter keyConverter();

    /** Connect's JSON converter for values in the debezium form. */
    JsonConverter valueConverter();

    /** The Kafka producer the batches are published with (acks=all, idempotent: camel.component.kafka.*). */
    Producer<byte[], byte[]> producer();

    /** In-flight and published counts, failures, by the capture's name: read by metrics and health. */
    default SourceStatus status() {
        return SourceStatus.forEngine(settings().name());
    }
}
