package io.cdchub.sink;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Commits a sink batch's Kafka offsets, after the batch is written: for every partition in the batch, up to
 * its last record. The consumers run with auto-commit off, so nothing else ever commits.
 */
@Component
public class SinkOffsets {

    private static final Logger LOG = LoggerFactory.getLogger(SinkOffsets.class);

    public void commit(Exchange batch) {
        List<?> records = batch.getMessage().getBody(List.class);
        if (records == null || records.isEmpty()) {
            return;
        }
        Map<String, KafkaManualCommit> lastPerPartition = new LinkedHashMap<>();
        for (Object item : records) {
            Exchange record = (Exchange) item;
            KafkaManualCommit commit = record.getMessage().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class);
            if (commit != null) {
                lastPerPartition.put(record.getMessage().getHeader(KafkaConstants.TOPIC) + "-" + record.getMessage().getHeader(KafkaConstants.PARTITION), commit);
            }
        }
        try {
            lastPerPartition.values().forEach(KafkaManualCommit::commit);
        } catch (KafkaException e) {
            // e.g. the group rebalanced during a long outage: the batch is read again and written again,
            // which changes nothing (the sinks are idempotent by LSN).
            LOG.warn("Could not commit the offsets of a written batch ({}); it will be read and written again", e.toString());
        }
    }
}
