package io.cdchub.aggregation;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Notices that a consumer's topic was deleted and made again (route step {@code check-topic-incarnation}). A consumer
 * keeps the last aggregated offset per partition in Redis to skip records it reads twice; a topic made again under the
 * same name starts over at offset 0, so without this check its records would be skipped, silently, up to the old
 * offsets. The topic's id (Kafka's topic UUID) is kept with the offsets: when the broker reports another id, the old
 * topic's offsets are dropped, with a WARN, and the new topic's records are aggregated from its start.
 *
 * <p>The broker is asked only when it can matter, never per record: for the first record of a partition this process
 * sees for the consumer, and for a record whose offset is below the previous one of its partition (the consumer was
 * reset, or the topic is new). A failed look-up fails the poll, which is retried without committing.
 */
@Component
public class TopicIncarnations {

    private static final Logger LOG = LoggerFactory.getLogger(TopicIncarnations.class);

    private final WindowStore store;
    private final Admin admin;
    /** Per consumer and topic/partition, the offset of the last record checked or passed. */
    private final Map<String, Long> lastOffsets = new ConcurrentHashMap<>();

    public TopicIncarnations(WindowStore store, Admin admin) {
        this.store = store;
        this.admin = admin;
    }

    /**
     * Checks a run of a poll's records of one partition, in offset order.
     *
     * @param first      the run's first record
     * @param lastOffset the offset of its last record
     */
    public void check(String consumerId, AggregationEvent first, long lastOffset) {
        if (first.offset() < 0) {
            return;
        }
        String key = consumerId + "|" + first.partitionKey();
        Long previous = lastOffsets.get(key);
        if (previous == null || first.offset() < previous) {
            verify(consumerId, first.topic());
        }
        lastOffsets.put(key, lastOffset);
    }

    /** Compares the topic's id with the one stored with the consumer's offsets; drops the offsets when it changed. */
    void verify(String consumerId, String topic) {
        String id = topicId(topic);
        String before = store.topicIncarnation(consumerId, topic, id);
        if (before != null && !before.isEmpty()) {
            LOG.warn("Consumer {}: topic {} was deleted and made again (its id was {}, is now {}); the offsets aggregated from the old "
                    + "topic are dropped and the new topic is aggregated from its start", consumerId, topic, before, id);
        }
    }

    private String topicId(String topic) {
        try {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
            return description.topicId().toString();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the id of topic " + topic + " (retried): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the id of topic " + topic, e);
        }
    }
}
