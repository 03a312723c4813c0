package io.cdchub.gateway;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;

/** Where the gateway's consumers (the live fan-out and each resuming client's catch-up) start reading a partition. */
final class PartitionStarts {

    private PartitionStarts() {
    }

    /**
     * Seeks each partition to its known next offset, else to its first record at or after {@code sinceMs}.
     *
     * @return the partitions with no record since then, not yet positioned: the caller puts them at their end
     */
    static List<TopicPartition> seek(Consumer<?, ?> consumer, Collection<TopicPartition> partitions, Function<TopicPartition, Long> knownNext,
            long sinceMs) {
        Map<TopicPartition, Long> byTime = new HashMap<>();
        for (TopicPartition partition : partitions) {
            Long next = knownNext.apply(partition);
            if (next != null) {
                consumer.seek(partition, next);
            } else {
                byTime.put(partition, sinceMs);
            }
        }
        List<TopicPartition> nothingSince = new ArrayList<>();
        if (!byTime.isEmpty()) {
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(byTime, Duration.ofSeconds(30));
            for (TopicPartition partition : byTime.keySet()) {
                OffsetAndTimestamp at = found.get(partition);
                if (at != null) {
                    consumer.seek(partition, at.offset());
                } else {
                    nothingSince.add(partition);
                }
            }
        }
        return nothingSince;
    }
}
