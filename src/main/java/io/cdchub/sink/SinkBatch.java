package io.cdchub.sink;

import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import org.apache.camel.Exchange;

/** How every sink reads a consumed batch: the change events of its records, with dead letters and tombstones handled alike. */
public final class SinkBatch {

    private SinkBatch() {
    }

    /**
     * Hands each change event of the records to {@code action}, in order: records already dead-lettered are skipped,
     * tombstones counted, and a record that is not a change event, or that {@code action} rejects, is dead-lettered.
     */
    public static void forEachChangeEvent(List<?> records, SinkMetrics metrics, BiConsumer<Exchange, RuntimeException> deadLetter,
            Consumer<ChangeEvent> action) {
        for (Object item : records) {
            Exchange record = (Exchange) item;
            if (SinkDeadLetters.isDeadLettered(record)) {
                continue;
            }
            try {
                ChangeEvent event = ChangeEvent.parse(record);
                if (event == null) {
                    metrics.tombstone();
                    continue;
                }
                action.accept(event);
            } catch (RejectedRecordException e) {
                deadLetter.accept(record, e);
            }
        }
    }
}
