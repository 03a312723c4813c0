package io.cdchub.sink;

import java.util.function.BiConsumer;

import org.apache.camel.Exchange;

/** How every sink reads a consumed record: as a change event, with dead letters and tombstones handled alike. */
public final class SinkBatch {

    private SinkBatch() {
    }

    /**
     * The record's change event, or null when there is nothing to write: a record dead-lettered in an earlier
     * attempt at its batch, a tombstone (counted), or a record that is not a change event (dead-lettered now).
     * Safe to call from several converter threads at once.
     */
    public static ChangeEvent changeEvent(Object item, SinkMetrics metrics, BiConsumer<Exchange, RuntimeException> deadLetter) {
        Exchange record = (Exchange) item;
        if (SinkDeadLetters.isDeadLettered(record)) {
            return null;
        }
        try {
            ChangeEvent event = ChangeEvent.parse(record);
            if (event == null) {
                metrics.tombstone();
            }
            return event;
        } catch (RejectedRecordException e) {
            deadLetter.accept(record, e);
            return null;
        }
    }
}
