package io.cdchub.gateway;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A resume: one connection's own Kafka consumer (assigned partitions, no group, no commits) reads the subscribed
 * topics from the client's position up to the end offsets taken after the subscription started holding live
 * records, then hands over to the live stream. Everything the fan-out dispatched before the hold is below those end
 * offsets; everything after is held; the connection drops what it already had by partition offset. So: no gap, no
 * duplicate. A plain Kafka client is used because the reads are per client and bounded (assign, seek, read to an end),
 * which a Camel consumer endpoint does not model.
 */
final class CatchUp implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(CatchUp.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final ClientConnection connection;
    private final Set<String> topics;
    private final GatewayHub hub;
    private final Map<String, Object> kafka;

    CatchUp(ClientConnection connection, Set<String> topics, GatewayHub hub, Map<String, Object> kafkaSettings) {
        this.connection = connection;
        this.topics = topics;
        this.hub = hub;
        this.kafka = new HashMap<>(kafkaSettings);
        kafka.remove(ConsumerConfig.GROUP_ID_CONFIG);
        kafka.put(ConsumerConfig.CLIENT_ID_CONFIG, "cdc-hub-gateway-resume-" + connection.id);
        kafka.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // an offset older than retention starts at the oldest record still there
        kafka.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        kafka.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        kafka.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        kafka.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500");
    }

    @Override
    public void run() {
        if (connection.isEnding()) {
            return;
        }
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                    partitions.add(new TopicPartition(topic, info.partition()));
                }
            }
            consumer.assign(partitions);
            seekToStart(consumer, partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            if (LOG.isDebugEnabled()) {
                Map<TopicPartition, Long> start = new HashMap<>();
                partitions.forEach(p -> start.put(p, consumer.position(p)));
                LOG.debug("Gateway client {} resumes {} from {} to {}", connection.id, topics, start, end);
            }
            long read = 0;
            while (!connection.isEnding()) {
                if (reached(consumer, partitions, end)) {
                    if (connection.handOver(topics)) {
                        LOG.debug("Gateway client {} resumed {}: {} records read back", connection.id, topics, read);
                        return;
                    }
                    // live records were let go while reading: read on to the new end
                    end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
                    continue;
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    read++;
                    GatewayRecord record = hub.parse(r.topic(), r.partition(), r.offset(), r.key(), r.value(), r.timestamp());
                    if (record != null) {
                        connection.offerCatchUp(record);
                    } else {
                        connection.skipped(new TopicPartition(r.topic(), r.partition()), r.offset());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("Gateway client {}: resume of {} failed: {}", connection.id, topics, e.toString());
            connection.refuseResume("resume failed (" + e.getClass().getSimpleName() + "); reconnect and resume again");
        }
    }

    private void seekToStart(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions) {
        long since = Math.max(0, connection.sinceMs() - hub.settings().resumeLookback().toMillis());
        List<TopicPartition> nothingSince = PartitionStarts.seek(consumer, partitions, connection::nextOffset, since);
        LOG.debug("Gateway client {}: partitions without a position start at {} ms; nothing since in {}", connection.id, since, nothingSince);
        if (!nothingSince.isEmpty()) { // an empty list would mean every assigned partition
            consumer.seekToEnd(nothingSince);
        }
    }

    private static boolean reached(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions, Map<TopicPartition, Long> end) {
        for (TopicPartition partition : partitions) {
            if (consumer.position(partition) < end.getOrDefault(partition, 0L)) {
                return false;
            }
        }
        return true;
    }
}
