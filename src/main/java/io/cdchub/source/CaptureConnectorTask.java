package io.cdchub.source;

import java.util.ArrayList;
import java.util.List;

import io.debezium.connector.base.ChangeEventQueue;
import io.debezium.connector.postgresql.PostgresConnectorTask;
import io.debezium.pipeline.DataChangeEvent;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Debezium's PostgreSQL task, with its change queue drained by {@link ChangeQueueDrain} instead of
 * {@code ChangeEventQueue.poll()}, which spins for up to a millisecond at the end of every poll interval. Everything
 * else (snapshot, streaming, offsets, metrics) is Debezium's. If this Debezium's queue is not the one
 * {@link ChangeQueueDrain} knows, Debezium's own poll is used, as before.
 */
public class CaptureConnectorTask extends PostgresConnectorTask {

    private volatile ChangeQueueDrain drain;
    /** The queue last found undrainable (max.queue.size.in.bytes set): left to Debezium's poll until the task restarts. */
    private volatile Object leftToDebezium;

    @Override
    public List<SourceRecord> doPoll() throws InterruptedException {
        ChangeQueueDrain current = drain;
        // Debezium builds a new queue each time the task starts, and restarts the task in place after a retriable
        // failure (a killed replication connection): a drain of the old queue would wait on it for ever
        if (current == null || !current.drains(this)) {
            ChangeEventQueue<DataChangeEvent> queue = ChangeQueueDrain.queueOf(this);
            if (queue == null || queue == leftToDebezium) {
                return super.doPoll();
            }
            current = ChangeQueueDrain.of(queue);
            if (current == null) {
                leftToDebezium = queue; // decided once per queue, not on every poll
                return super.doPoll();
            }
            drain = current;
        }
        List<DataChangeEvent> events = current.poll();
        List<SourceRecord> records = new ArrayList<>(events.size());
        for (DataChangeEvent event : events) {
            records.add(event.getRecord());
        }
        return records;
    }
}
