package io.cdchub.sink.lakehouse;

import io.cdchub.change.ChangeEvent;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;

/**
 * Where a change event was read from: the file sinks name their output by it (a replayed batch writes the same names)
 * and remember the last offset applied per partition. A record that is no consumed Kafka record (a dead letter written
 * again through the runner) has no offset: {@code offset} -1.
 *
 * @param topic     the Kafka topic ({@code "?"} when unknown)
 * @param partition its partition (-1 when unknown)
 * @param offset    the record's offset (-1 when unknown)
 */
public record KafkaPosition(String topic, int partition, long offset) {

    public static KafkaPosition of(ChangeEvent event) {
        if (event.record() == null) {
            return new KafkaPosition("?", -1, -1);
        }
        Message message = event.record().getMessage();
        String topic = message.getHeader(KafkaConstants.TOPIC, String.class);
        Integer partition = message.getHeader(KafkaConstants.PARTITION, Integer.class);
        Long offset = message.getHeader(KafkaConstants.OFFSET, Long.class);
        return new KafkaPosition(topic == null ? "?" : topic, partition == null ? -1 : partition, offset == null ? -1 : offset);
    }

    /** {@code topic/partition}: the key of per-partition progress. */
    public String partitionKey() {
        return topic + '/' + partition;
    }

    public boolean known() {
        return offset >= 0;
    }
}
