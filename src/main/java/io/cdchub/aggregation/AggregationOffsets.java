package io.cdchub.aggregation;

import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.springframework.stereotype.Component;

/**
 * Commits a consumed record's offset once the aggregator stored it in Redis (route step
 * {@code commit-aggregated-offset}). Asynchronous: a commit lost to a crash only means records read again, and
 * those are skipped by the window's per-partition offsets in Redis.
 */
@Component("aggregationOffsets")
public class AggregationOffsets {

    public void commit(Exchange exchange) {
        KafkaManualCommit commit = exchange.getMessage().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class);
        if (commit != null) {
            commit.commit();
        }
    }
}
