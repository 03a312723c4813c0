package io.cdchub.deadletter;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.cdchub.config.CdcHubProperties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Which dead letters were replayed, kept in a compacted Kafka topic ({@code cdc.dlq.replay-topic}): one record per
 * replayed dead letter, key {@code <dead-letter topic>/<partition>/<offset>}, value its last {@link DeadLetter.Replay}
 * as JSON. Kafka keeps it, so it holds after a restart and every instance sees the same; it is read whole for each
 * request (one small record per replayed dead letter, compacted), so no instance can work from a stale copy.
 */
@Component
public class ReplayLog implements DisposableBean {

    private static final ObjectMapper JSON = JsonMapper.builder().findAndAddModules()
            .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).build();

    private final CdcHubProperties hub;
    private final Admin admin;
    private volatile KafkaProducer<byte[], byte[]> producer;
    private boolean topicReady;

    public ReplayLog(CdcHubProperties hub, Admin admin) {
        this.hub = hub;
        this.admin = admin;
    }

    public String topic() {
        return hub.dlq().replayTopic();
    }

    /** The last replay of each replayed dead letter of the dead-letter topic, by {@link DeadLetter#position()}. */
    public Map<String, DeadLetter.Replay> read() {
        String prefix = hub.dlq().topic() + "/";
        Map<String, DeadLetter.Replay> replays = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = DeadLetterTopic.consumer(hub, "cdc-hub-dlq-replay-log-reader")) {
            var infos = consumer.partitionsFor(topic(), DeadLetterTopic.READ_TIMEOUT);
            if (infos == null || infos.isEmpty()) {
                return replays; // nothing replayed yet: the topic is made by the first replay
            }
            List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(topic(), i.partition())).toList();
            DeadLetterTopic.scan(consumer, consumer.beginningOffsets(partitions, DeadLetterTopic.READ_TIMEOUT), record -> {
                String key = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
                if (!key.startsWith(prefix)) {
                    return; // another dead-letter topic's (cdc.dlq.topic was changed)
                }
                if (record.value() == null) {
                    replays.remove(key.substring(prefix.length()));
                    return;
                }
                try {
                    replays.put(key.substring(prefix.length()), JSON.readValue(record.value(), DeadLetter.Replay.class));
                } catch (java.io.IOException e) {
                    // not written by cdc-hub: not a replay it knows of
                }
            });
        }
        return replays;
    }

    /**
     * Records the replays, acknowledged by every in-sync replica before this returns.
     *
     * @throws TimeoutException when Kafka does not take them in time (the replays happened: a later call may repeat them,
     *                          which the targets take idempotently)
     */
    public void record(Map<String, DeadLetter.Replay> replays) {
        if (replays.isEmpty()) {
            return;
        }
        KafkaProducer<byte[], byte[]> out = producer();
        try {
            List<Future<RecordMetadata>> acks = new java.util.ArrayList<>();
            for (Map.Entry<String, DeadLetter.Replay> replay : replays.entrySet()) {
                byte[] key = (hub.dlq().topic() + "/" + replay.getKey()).getBytes(StandardCharsets.UTF_8);
                acks.add(out.send(new ProducerRecord<>(topic(), key, JSON.writeValueAsBytes(replay.getValue()))));
            }
            for (Future<RecordMetadata> ack : acks) {
                ack.get(DeadLetterTopic.READ_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TimeoutException("Interrupted while recording replays in " + topic(), e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException | java.io.IOException e) {
            throw new TimeoutException("Could not record replays in " + topic() + ": " + (e.getCause() != null ? e.getCause() : e), e);
        }
    }

    private synchronized KafkaProducer<byte[], byte[]> producer() {
        if (!topicReady) {
            createTopic();
        }
        if (producer == null) {
            producer = DeadLetterTopic.producer(hub, "cdc-hub-dlq-replay-log");
        }
        return producer;
    }

    /** Compacted, so it keeps one record per replayed dead letter for as long as cdc-hub runs. */
    private void createTopic() {
        CdcHubProperties.Topics settings = hub.topics();
        NewTopic topic = new NewTopic(topic(), Optional.of(1),
                settings.replicationFactor() < 0 ? Optional.empty() : Optional.of(settings.replicationFactor()))
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        try {
            admin.createTopics(List.of(topic)).all().get(DeadLetterTopic.READ_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new TimeoutException("Could not create the replay topic " + topic() + ": " + e.getCause(), e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TimeoutException("Interrupted while creating the replay topic " + topic(), e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new TimeoutException("Kafka did not create the replay topic " + topic() + " in time", e);
        }
        topicReady = true;
    }

    @Override
    public void destroy() {
        if (producer != null) {
            producer.close(java.time.Duration.ofSeconds(5));
        }
    }
}
