package io.cdchub.testinfra;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Writes records to the shared test broker as they are given (to replay events or inject poison). */
public final class TopicWriter {

    /** One record: key and value as bytes (null allowed), headers as text. */
    public record Out(byte[] key, byte[] value, Map<String, String> headers) {

        public static Out json(String key, String value) {
            return new Out(key == null ? null : key.getBytes(StandardCharsets.UTF_8), value == null ? null : value.getBytes(StandardCharsets.UTF_8), Map.of());
        }
    }

    private TopicWriter() {
    }

    /** Writes the records to partition 0 of the topic, in order, and waits for the broker's acknowledgement. */
    public static void write(String topic, List<Out> records) {
        Map<String, Object> settings = Map.of("bootstrap.servers", KafkaServer.shared().bootstrapServers(), "acks", "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (Out out : records) {
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, 0, out.key(), out.value());
                out.headers().forEach((k, v) -> record.headers().add(new RecordHeader(k, v.getBytes(StandardCharsets.UTF_8))));
                producer.send(record);
            }
            producer.flush();
        }
    }
}
