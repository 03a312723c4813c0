package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.debezium.connector.base.ChangeEventQueue;
import io.debezium.pipeline.DataChangeEvent;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/**
 * {@link ChangeQueueDrain} on Debezium's own {@link ChangeEventQueue}: it must know this Debezium's queue (so an
 * upgrade that changes the queue fails here, not silently in production), and take batches as {@code poll()} does.
 */
class ChangeQueueDrainTest {

    @Test
    void knowsThisDebeziumsQueue() {
        assertThat(ChangeQueueDrain.supported()).as("Debezium's ChangeEventQueue fields (see ChangeQueueDrain)").isTrue();
        assertThat(ChangeQueueDrain.of(queue(10, 16, 0))).isNotNull();
    }

    @Test
    void aQueueLimitedInBytesIsLeftToDebeziumsPoll() {
        assertThat(ChangeQueueDrain.of(queue(10, 16, 1024 * 1024))).isNull();
    }

    @Test
    void takesAFullBatchAtOnceInOrderAndTheRestNext() throws Exception {
        ChangeEventQueue<DataChangeEvent> queue = queue(60_000, 3, 0); // a long interval: only a full batch returns early
        for (int i = 0; i < 5; i++) {
            queue.enqueue(event(i));
        }
        ChangeQueueDrain drain = ChangeQueueDrain.of(queue);
        assertThat(ids(drain.poll())).containsExactly(0, 1, 2);
        queue.enqueue(event(5));
        assertThat(ids(drain.poll())).containsExactly(3, 4, 5);
    }

    @Test
    void returnsWhatArrivedWhenTheIntervalEnds() throws Exception {
        ChangeEventQueue<DataChangeEvent> queue = queue(20, 100, 0);
        ChangeQueueDrain drain = ChangeQueueDrain.of(queue);
        assertThat(drain.poll()).isEmpty();
        queue.enqueue(event(7));
        assertThat(ids(drain.poll())).containsExactly(7);
    }

    @Test
    void aWaitingPollWakesForAFullBatch() throws Exception {
        ChangeEventQueue<DataChangeEvent> queue = queue(60_000, 2, 0);
        ChangeQueueDrain drain = ChangeQueueDrain.of(queue);
        CompletableFuture<List<DataChangeEvent>> polled = CompletableFuture.supplyAsync(() -> {
            try {
                return drain.poll();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        queue.enqueue(event(1));
        queue.enqueue(event(2));
        assertThat(ids(polled.get(30, TimeUnit.SECONDS))).containsExactly(1, 2);
    }

    @Test
    void aProducerFailureIsThrownAsPollThrowsIt() {
        ChangeEventQueue<DataChangeEvent> queue = queue(10, 16, 0);
        IllegalStateException failure = new IllegalStateException("streaming failed");
        queue.producerException(failure);
        assertThatThrownBy(() -> ChangeQueueDrain.of(queue).poll()).isSameAs(failure);
    }

    private static ChangeEventQueue<DataChangeEvent> queue(long pollMillis, int maxBatchSize, long maxBytes) {
        return new ChangeEventQueue.Builder<DataChangeEvent>()
                .pollInterval(Duration.ofMillis(pollMillis))
                .maxBatchSize(maxBatchSize)
                .maxQueueSize(maxBatchSize * 4)
                .maxQueueSizeInBytes(maxBytes)
                .loggingContextSupplier(() -> null)
                .build();
    }

    private static DataChangeEvent event(int id) {
        return new DataChangeEvent(new SourceRecord(null, null, "t", 0, null, id));
    }

    private static List<Integer> ids(List<DataChangeEvent> events) {
        List<Integer> ids = new ArrayList<>();
        events.forEach(e -> ids.add((Integer) e.getRecord().value()));
        return ids;
    }
}
