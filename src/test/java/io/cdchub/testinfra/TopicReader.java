package io.cdchub.testinfra;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;

/** Reads whole topics from the shared test broker, and waits (with Awaitility) until they hold what a test expects. */
public final class TopicReader {

    /** Exact numbers: the events carry decimals that a double would round. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(com.fasterxml.jackson.databind.node.JsonNodeFactory.withExactBigDecimals(true));

    /** One Kafka record as a test sees it: JSON key and value (null for a tombstone) and text headers. */
    public record Event(String topic, int partition, long offset, JsonNode key, JsonNode value, Map<String, String> headers) {

        public boolean isTombstone() {
            return value == null;
        }

        public String op() {
            return value == null ? null : value.path("op").asText();
        }

        public JsonNode after() {
            return value.path("after");
        }

        public JsonNode before() {
            return value.path("before");
        }

        public long lsn() {
            return value.path("source").path("lsn").asLong();
        }
    }

    private TopicReader() {
    }

    /** Every record in the topic now, in partition then offset order; empty when the topic does not exist. */
    public static List<Event> readAll(String topic) {
        return readAll(KafkaServer.shared().bootstrapServers(), topic);
    }

    /** Every record in the topic of the given broker now. */
    public static List<Event> readAll(String bootstrapServers, String topic) {
        List<Event> events = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : readRecords(bootstrapServers, topic)) {
            events.add(new Event(r.topic(), r.partition(), r.offset(), parse(r.key()), parse(r.value()), headers(r)));
        }
        return events;
    }

    /** Every record in the topic now as Kafka holds it (key and value bytes), in partition then offset order. */
    public static List<ConsumerRecord<byte[], byte[]>> readRecords(String bootstrapServers, String topic) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", bootstrapServers);
        settings.put("enable.auto.commit", "false");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
            if (infos == null || infos.isEmpty()) {
                return List.of();
            }
            List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Could not read " + topic + " to its end within 30 s");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    records.add(r);
                }
            }
            records.sort((a, b) -> a.partition() != b.partition() ? Integer.compare(a.partition(), b.partition()) : Long.compare(a.offset(), b.offset()));
            return records;
        }
    }

    /** Waits until the topic holds records satisfying the condition, and returns them all. */
    public static List<Event> await(String topic, Predicate<List<Event>> condition) {
        return await(KafkaServer.shared().bootstrapServers(), topic, condition);
    }

    /** Waits until the topic of the given broker holds records satisfying the condition, and returns them all. */
    public static List<Event> await(String bootstrapServers, String topic, Predicate<List<Event>> condition) {
        return Awaitility.await("records in " + topic).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions()
                .until(() -> readAll(bootstrapServers, topic), condition::test);
    }

    /** The distinct {@code after.id} values of the change events, tombstones left out (copies of a change count once). */
    public static java.util.Set<Integer> rowIds(List<Event> events) {
        return events.stream().filter(e -> !e.isTombstone()).map(e -> e.after().get("id").asInt())
                .collect(java.util.stream.Collectors.toSet());
    }

    /** Waits until the topic holds at least {@code count} records. */
    public static List<Event> awaitCount(String topic, int count) {
        return await(topic, events -> events.size() >= count);
    }

    private static JsonNode parse(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return JSON.readTree(bytes);
        } catch (java.io.IOException e) {
            return JSON.getNodeFactory().textNode(new String(bytes, StandardCharsets.UTF_8));
        }
    }

    private static Map<String, String> headers(ConsumerRecord<byte[], byte[]> record) {
        Map<String, String> headers = new HashMap<>();
        for (Header h : record.headers()) {
            headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
        }
        return headers;
    }
}
