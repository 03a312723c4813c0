package io.cdchub.deadletter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import io.cdchub.config.CdcHubProperties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.springframework.stereotype.Component;

/**
 * Reads the dead-letter topic as it is now: a plain consumer assigned to its partitions (no consumer group, nothing
 * committed, no other reader disturbed), from the first record a selection can match (by time through
 * {@code offsetsForTimes}, or the named offsets) to the end offsets seen when the read began.
 */
@Component
public class DeadLetterTopic {

    /** Longest a read may wait for Kafka in all. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    private final CdcHubProperties hub;

    public DeadLetterTopic(CdcHubProperties hub) {
        this.hub = hub;
    }

    public String name() {
        return hub.dlq().topic();
    }

    /**
     * The dead letters the selection chooses, in partition then offset order.
     *
     * @throws NoSuchDeadLetterException some named offsets hold no dead letter (beyond the end, removed by retention,
     *                                   or no such partition)
     * @throws TimeoutException          Kafka did not answer in time
     */
    public List<DeadLetter> read(DeadLetterSelection selection) {
        List<DeadLetter> letters = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(hub, "cdc-hub-dlq-reader")) {
            Map<TopicPartition, Long> starts = starts(consumer, selection);
            // named offsets: no further than the last one named in each partition
            Map<TopicPartition, Long> stops = new HashMap<>();
            selection.offsets().forEach(p -> stops.merge(new TopicPartition(name(), p.partition()), p.offset() + 1, Math::max));
            scan(consumer, starts, stops, record -> {
                DeadLetter letter = DeadLetter.of(record);
                if (selection.matches(letter)) {
                    letters.add(letter);
                }
            });
        }
        if (!selection.offsets().isEmpty()) {
            List<String> found = letters.stream().map(DeadLetter::position).toList();
            List<String> missing = selection.offsets().stream().map(DeadLetterSelection.Position::toString).filter(p -> !found.contains(p)).toList();
            if (!missing.isEmpty()) {
                throw new NoSuchDeadLetterException("No dead letter at " + missing + " in " + name() + " (partition/offset)");
            }
        }
        return letters;
    }

    private Map<TopicPartition, Long> starts(KafkaConsumer<byte[], byte[]> consumer, DeadLetterSelection selection) {
        List<PartitionInfo> infos = consumer.partitionsFor(name(), READ_TIMEOUT);
        Map<TopicPartition, Long> starts = new TreeMap<>(java.util.Comparator.comparingInt(TopicPartition::partition));
        if (infos == null || infos.isEmpty()) {
            return starts; // no dead letter yet: the topic is made by the first
        }
        List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(name(), i.partition())).toList();
        Map<TopicPartition, Long> beginnings = consumer.beginningOffsets(partitions, READ_TIMEOUT);
        if (!selection.offsets().isEmpty()) {
            for (DeadLetterSelection.Position position : selection.offsets()) {
                TopicPartition partition = new TopicPartition(name(), position.partition());
                if (beginnings.containsKey(partition)) {
                    starts.merge(partition, Math.max(position.offset(), beginnings.get(partition)), Math::min);
                }
            }
            return starts;
        }
        starts.putAll(beginnings);
        if (selection.from() != null) {
            Map<TopicPartition, Long> times = new HashMap<>();
            partitions.forEach(p -> times.put(p, selection.from().toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(times, READ_TIMEOUT);
            // no record at or after the time: nothing to read there
            found.forEach((partition, at) -> starts.put(partition, at == null ? Long.MAX_VALUE : at.offset()));
        }
        return starts;
    }

    /**
     * Hands {@code each} every record from the start offsets to the end offsets seen now, partition by partition.
     *
     * @throws TimeoutException when Kafka does not answer within {@link #READ_TIMEOUT}
     */
    static void scan(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> starts, Consumer<ConsumerRecord<byte[], byte[]>> each) {
        scan(consumer, starts, Map.of(), each);
    }

    /** Like {@link #scan(KafkaConsumer, Map, Consumer)}, but in a partition of {@code stops} only up to that offset (excluded). */
    static void scan(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> starts, Map<TopicPartition, Long> stops,
            Consumer<ConsumerRecord<byte[], byte[]>> each) {
        Map<TopicPartition, Long> ends = new HashMap<>(consumer.endOffsets(starts.keySet(), READ_TIMEOUT));
        stops.forEach((partition, stop) -> ends.computeIfPresent(partition, (p, end) -> Math.min(end, stop)));
        long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
        for (Map.Entry<TopicPartition, Long> start : starts.entrySet()) {
            TopicPartition partition = start.getKey();
            long end = ends.getOrDefault(partition, 0L);
            if (start.getValue() >= end) {
                continue;
            }
            consumer.assign(List.of(partition));
            consumer.seek(partition, start.getValue());
            while (consumer.position(partition, READ_TIMEOUT) < end) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("Reading " + partition + " took longer than " + READ_TIMEOUT.toSeconds() + " s");
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() < end) {
                        each.accept(record);
                    }
                }
            }
        }
    }

    /** A consumer of cdc-hub's Kafka settings with no group: it reads where it is told and commits nothing. */
    static KafkaConsumer<byte[], byte[]> consumer(CdcHubProperties hub, String clientId) {
        Map<String, Object> settings = new HashMap<>(hub.kafka().clientSettings());
        settings.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        settings.remove(ConsumerConfig.GROUP_ID_CONFIG);
        settings.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // reading never makes a topic
        return new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** A producer of cdc-hub's Kafka settings that waits for every in-sync replica and writes each record once. */
    static KafkaProducer<byte[], byte[]> producer(CdcHubProperties hub, String clientId) {
        Map<String, Object> settings = new HashMap<>(hub.kafka().clientSettings());
        settings.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        settings.put(ProducerConfig.ACKS_CONFIG, "all");
        settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(settings, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Named dead letters that are not in the topic: the API answers 404. */
    public static class NoSuchDeadLetterException extends RuntimeException {
        public NoSuchDeadLetterException(String message) {
            super(message);
        }
    }
}
