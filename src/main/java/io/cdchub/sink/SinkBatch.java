package io.cdchub.sink;

import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import org.apache.camel.Exchange;

/** What every sink does with a consumed batch around its own writing: timing, failure counting, reading the change events. */
public final class SinkBatch {

    private SinkBatch() {
    }

    /**
     * Runs {@code writer} on the batch's records (consumed record exchanges), timing it as one batch; a target that
     * is unavailable counts as a failure and propagates, so the route retries the batch without committing.
     */
    public static void write(Exchange batch, SinkMetrics metrics, Consumer<List<?>> writer) {
        long started = System.nanoTime();
        List<?> records = batch.getMessage().getBody(List.class);
        if (records == null || records.isEmpty()) {
            return;
        }
        try {
            writer.accept(records);
        } catch (SinkUnavailableException e) {
            metrics.failure();
            throw e;
        }
        metrics.batch(System.nanoTime() - started);
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
