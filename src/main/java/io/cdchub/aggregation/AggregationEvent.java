package io.cdchub.aggregation;

/**
 * One change record as a window holds it.
 *
 * @param topic     Kafka topic
 * @param partition its partition
 * @param offset    its offset (a record already aggregated by this consumer is skipped by offset)
 * @param key       the record key: JSON of the primary key, the dedup key of the window
 * @param lsn       source.lsn as decimal digits: the latest LSN of a key wins in a window
 * @param value     the Debezium envelope JSON
 */
public record AggregationEvent(String topic, int partition, long offset, String key, String lsn, String value) {

    /** The field of the consumer's offsets hash: topic and partition. */
    public String partitionKey() {
        return topic + "/" + partition;
    }
}
