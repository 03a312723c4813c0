package io.cdchub.admin;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.config.CdcHubProperties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.connect.util.KafkaBasedLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connector definitions in a compacted Kafka topic ({@code cdc.admin.config-topic}), the way Kafka Connect keeps
 * its configs: key = connector name, value = {@link ConnectorDefinition} JSON, a tombstone on delete. Read with
 * Connect's own {@link KafkaBasedLog}: the whole topic at start, then followed, so every instance sees every
 * definition; a write returns once this instance has read it back, so the local view is always the topic's.
 */
public class ConnectorStore {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectorStore.class);
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);
    /**
     * KafkaBasedLog closes its producer with no time limit: with Kafka unreachable and a write pending (its API call
     * already answered 503) stopping would wait out the producer's delivery timeout (2 min). The write was never
     * confirmed to the caller, so abandoning it loses nothing.
     */
    private static final Duration PRODUCER_CLOSE_TIMEOUT = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String topic;
    private final Admin admin;
    private final CdcHubProperties hub;
    private final BiConsumer<String, ConnectorDefinition> onRecord;
    private KafkaBasedLog<String, byte[]> log;

    /** @param onRecord called on the log's thread for every record in order: (name, definition or null when deleted) */
    public ConnectorStore(String topic, Admin admin, CdcHubProperties hub, BiConsumer<String, ConnectorDefinition> onRecord) {
        this.topic = topic;
        this.admin = admin;
        this.hub = hub;
        this.onRecord = onRecord;
    }

    /** Creates the topic if needed, reads it to the end (every definition is known when this returns), then follows it. */
    public void start() throws InterruptedException {
        createTopic();
        Map<String, Object> producer = new HashMap<>(hub.kafka().clientSettings());
        producer.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        producer.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producer.put(ProducerConfig.ACKS_CONFIG, "all");
        producer.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producer.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        producer.put(ProducerConfig.CLIENT_ID_CONFIG, "cdc-hub-connector-configs-producer");
        Map<String, Object> consumer = new HashMap<>(hub.kafka().clientSettings());
        consumer.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        consumer.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumer.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumer.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumer.put(ConsumerConfig.CLIENT_ID_CONFIG, "cdc-hub-connector-configs-consumer");
        log = new KafkaBasedLog<>(topic, producer, consumer, () -> null, (error, record) -> {
            if (error != null) {
                LOG.error("Reading connector definitions from {} failed", topic, error);
                return;
            }
            ConnectorDefinition definition = null;
            if (record.value() != null) {
                try {
                    definition = JSON.readValue(record.value(), ConnectorDefinition.class);
                } catch (Exception e) {
                    // not ours, or damaged: skipped rather than stopping every later definition
                    LOG.error("Skipping unreadable connector definition {} at {}-{}@{}: {}", record.key(), topic, record.partition(),
                            record.offset(), e.getMessage());
                    return;
                }
            }
            if (record.key() != null) {
                onRecord.accept(record.key(), definition);
            }
        }, Time.SYSTEM, admin -> { }) {
            @Override
            protected Producer<String, byte[]> createProducer() {
                return new KafkaProducer<>(producer) {
                    @Override
                    public void close() {
                        close(PRODUCER_CLOSE_TIMEOUT);
                    }
                };
            }
        };
        log.start();
        LOG.info("Connector definitions read from {}", topic);
    }

    public void stop() {
        if (log != null) {
            log.stop();
        }
    }

    public void put(ConnectorDefinition definition) {
        try {
            write(definition.name(), JSON.writeValueAsBytes(definition));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public void delete(String name) {
        write(name, null);
    }

    /** Written with acks=all, then read back: when this returns every instance can see it and this one has applied it. */
    private void write(String name, byte[] value) {
        try {
            log.sendWithReceipt(name, value).get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            log.readToEnd().get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted while writing connector " + name, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new StoreUnavailableException("cannot write connector " + name + " to Kafka topic " + topic + ": "
                    + (e.getCause() != null ? e.getCause() : e), e);
        }
    }

    private void createTopic() throws InterruptedException {
        CdcHubProperties.Topics settings = hub.topics();
        NewTopic newTopic = new NewTopic(topic, Optional.of(1),
                settings.replicationFactor() < 0 ? Optional.empty() : Optional.of((short) settings.replicationFactor()))
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        Duration backoff = Duration.ofMillis(200);
        while (true) {
            try {
                admin.createTopics(List.of(newTopic)).all().get(30, TimeUnit.SECONDS);
                LOG.info("Created connector config topic {} (compacted)", topic);
                return;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicExistsException) {
                    return;
                }
                LOG.warn("Cannot create connector config topic {} yet ({}); retrying in {} ms", topic, e.getCause().toString(), backoff.toMillis());
            } catch (TimeoutException e) {
                LOG.warn("Kafka did not answer the creation of topic {} within 30 s; retrying", topic);
            }
            TimeUnit.MILLISECONDS.sleep(backoff.toMillis());
            backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : backoff.multipliedBy(2);
        }
    }

    /** Kafka could not take or confirm a definition: the API answers 503 and the caller may retry. */
    public static class StoreUnavailableException extends RuntimeException {
        public StoreUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
