package io.cdchub.sink;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Commits the Kafka offsets of the batches a sink has written ({@link SinkPipeline#WRITTEN}): for every partition,
 * up to its last written record. Runs on the consumer thread; the consumers run with auto-commit off, so nothing
 * else ever commits.
 */
@Component
public class SinkOffsets {

    private static final Logger LOG = LoggerFactory.getLogger(SinkOffsets.class);

    public void commit(Exchange batch) {
        List<?> batches = batch.getProperty(SinkPipeline.WRITTEN, List.class);
        if (batches == null || batches.isEmpty()) {
            return;
        }
        List<Object> records = new java.util.ArrayList<>();
        batches.forEach(written -> records.addAll((List<?>) written));
        commitRecords(records);
    }

    /**
     * Commits a batch that is done as a whole (the body of a batching Kafka consumer's exchange): route step
     * {@code commit-aggregated-offsets} of the aggregation consumers, after the poll is in Redis.
     */
    public void commitPoll(Exchange poll) {
        List<?> records = poll.getMessage().getBody(List.class);
        if (records != null && !records.isEmpty()) {
            commitRecords(records);
        }
    }

    /** For every partition of the records, commits up to its last record. */
    private void commitRecords(List<?> records) {
        // From the end: the first record met of a partition is its last; a record of a partition already met
        // (the usual case: a batch holds long runs of one partition) costs two header reads and no more.
        Map<List<Object>, KafkaManualCommit> lastPerPartition = new LinkedHashMap<>();
        Object previousTopic = null;
        Object previousPartition = null;
        for (int i = records.size() - 1; i >= 0; i--) {
            Message message = ((Exchange) records.get(i)).getMessage();
            Object topic = message.getHeader(KafkaConstants.TOPIC);
            Object partition = message.getHeader(KafkaConstants.PARTITION);
            if (previousTopic != null && previousTopic.equals(topic) && java.util.Objects.equals(previousPartition, partition)) {
                continue;
            }
            List<Object> key = java.util.Arrays.asList(topic, partition);
            if (lastPerPartition.containsKey(key)) {
                continue;
            }
            KafkaManualCommit commit = message.getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class);
            if (commit != null) {
                lastPerPartition.put(key, commit);
                previousTopic = topic;
                previousPartition = partition;
            }
        }
        try {
            lastPerPartition.values().forEach(KafkaManualCommit::commit);
        } catch (KafkaException e) {
            // e.g. the group rebalanced during a long outage: the batch is read again and written again, which
            // changes nothing (the sinks are idempotent by LSN; aggregation skips records by their offsets in Redis).
            LOG.warn("Could not commit the offsets of a written batch ({}); it will be read and written again", e.toString());
        }
    }
}
