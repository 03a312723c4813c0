package io.cdchub.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SinkPipelineTest {

    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final SinkPipeline pipeline = new SinkPipeline("test", new SinkMetrics(new SimpleMeterRegistry(), "test"), 2);
    private final List<String> writes = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void close() throws InterruptedException {
        pipeline.close();
    }

    private Exchange batch(String... records) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setBody(List.of((Object[]) records));
        return exchange;
    }

    private void write(Exchange batch) {
        pipeline.write(batch, records -> String.join(",", records.stream().map(Object::toString).toList()), writes::add);
    }

    @SuppressWarnings("unchecked")
    private static List<List<?>> written(Exchange batch) {
        return batch.getProperty(SinkPipeline.WRITTEN, List.class);
    }

    @Test
    void fullBatchIsCommittedWithTheNextOnePartialBatchAtOnce() {
        Exchange first = batch("a", "b");
        write(first);
        assertThat(written(first)).isEmpty(); // still being written in the background: nothing to commit yet

        Exchange second = batch("c");
        write(second);
        assertThat(written(second)).containsExactly(List.of("a", "b"), List.of("c"));
        assertThat(writes).containsExactly("a,b", "c");
    }

    @Test
    void failedWriteIsWrittenAgainBeforeAnythingNewerAndNeverCommittedEarly() throws Exception {
        AtomicBoolean targetDown = new AtomicBoolean(true);
        CountDownLatch attempted = new CountDownLatch(1);
        Exchange first = batch("a", "b");
        pipeline.write(first, records -> "a,b", line -> {
            attempted.countDown();
            if (targetDown.get()) {
                throw new SinkUnavailableException("down");
            }
            writes.add(line);
        });
        assertThat(attempted.await(10, TimeUnit.SECONDS)).isTrue();
        org.awaitility.Awaitility.await().until(() -> !pipeline.busy());

        Exchange second = batch("c", "d");
        assertThatThrownBy(() -> write(second)).isInstanceOf(SinkUnavailableException.class);
        assertThat(written(second)).isEmpty();
        assertThatThrownBy(() -> write(second)).isInstanceOf(SinkUnavailableException.class); // the route's retry: still down

        targetDown.set(false);
        write(second); // the retry writes the failed batch first (converted again), then hands this one over
        assertThat(written(second)).containsExactly(List.of("a", "b"));
        assertThat(writes.get(0)).isEqualTo("a,b"); // "c,d" may already be written in the background, never before

        Exchange third = batch("e");
        write(third);
        assertThat(written(third)).containsExactly(List.of("c", "d"), List.of("e"));
        assertThat(writes).containsExactly("a,b", "c,d", "e");
    }

    @Test
    void retriedExchangeIsNotSentTwice() {
        AtomicBoolean fail = new AtomicBoolean(true);
        Exchange partial = batch("a");
        assertThatThrownBy(() -> pipeline.write(partial, records -> "a", line -> {
            if (fail.getAndSet(false)) {
                throw new SinkUnavailableException("down");
            }
            writes.add(line);
        })).isInstanceOf(SinkUnavailableException.class);

        pipeline.write(partial, records -> "a", writes::add); // the route's redelivery of the same exchange
        assertThat(written(partial)).containsExactly(List.of("a"));
        assertThat(writes).containsExactly("a");
    }

    @Test
    void aFailureHoldsUpTheBatchesHandedOverAfterItAndTheyAreWrittenInOrderOnRetry() throws Exception {
        AtomicBoolean targetDown = new AtomicBoolean(true);
        CountDownLatch secondHandedOver = new CountDownLatch(1);
        java.util.function.Consumer<String> target = line -> {
            try {
                secondHandedOver.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (targetDown.get()) {
                throw new SinkUnavailableException("down");
            }
            writes.add(line);
        };
        pipeline.write(batch("a", "b"), records -> "a,b", target);
        pipeline.write(batch("c", "d"), records -> "c,d", target); // handed over while the first is being written
        secondHandedOver.countDown();
        org.awaitility.Awaitility.await().until(() -> !pipeline.busy());
        Exchange third = batch("e", "f");
        assertThatThrownBy(() -> write(third)).isInstanceOf(SinkUnavailableException.class);
        assertThat(writes).isEmpty(); // "c,d" was never written before "a,b"

        targetDown.set(false);
        write(third);
        assertThat(written(third)).containsExactly(List.of("a", "b"), List.of("c", "d"));
        Exchange last = batch("g");
        write(last);
        assertThat(written(last)).containsExactly(List.of("e", "f"), List.of("g"));
        assertThat(writes).containsExactly("a,b", "c,d", "e,f", "g");
    }

    @Test
    void convertKeepsTheItemsOrderAcrossThreads() {
        List<Integer> items = new ArrayList<>();
        for (int i = 0; i < SinkPipeline.PARALLEL_THRESHOLD * 3 + 7; i++) {
            items.add(i);
        }
        List<Integer> doubled = pipeline.convert(items, i -> i % 5 == 0 ? null : i * 2);
        assertThat(doubled).hasSize(items.size());
        for (int i = 0; i < items.size(); i++) {
            assertThat(doubled.get(i)).isEqualTo(i % 5 == 0 ? null : i * 2);
        }
    }

    /** A staging sink: writes are durable only after its commit; the commit step gets a batch only once committed. */
    private static final class StagingTarget implements Sink.Staging {
        final List<String> staged = Collections.synchronizedList(new ArrayList<>());
        final List<String> committed = Collections.synchronizedList(new ArrayList<>());
        volatile boolean down;
        volatile java.time.Duration interval = java.time.Duration.ofHours(1);

        @Override
        public java.time.Duration commitInterval() {
            return interval;
        }

        @Override
        public synchronized void commit() {
            if (down) {
                throw new SinkUnavailableException("store down");
            }
            committed.addAll(staged);
            staged.clear();
        }
    }

    @Test
    void aStagingSinksBatchesReachTheCommitStepOnlyOnceItCommittedThem() throws Exception {
        StagingTarget target = new StagingTarget();
        SinkMetrics metrics = new SinkMetrics(new SimpleMeterRegistry(), "staging");
        try (SinkPipeline staging = new SinkPipeline("staging", metrics, 2, target)) {
            java.util.function.Consumer<Exchange> write = batch -> staging.write(batch,
                    records -> String.join(",", records.stream().map(Object::toString).toList()), target.staged::add);

            Exchange first = batch("a");
            write.accept(first); // a partial batch: written, but not committed (the interval is not over)
            assertThat(target.staged).containsExactly("a");
            assertThat(written(first)).as("Kafka offsets must not pass what the sink committed").isEmpty();

            target.interval = java.time.Duration.ZERO; // the interval is over: the next batch commits first
            target.down = true;
            Exchange second = batch("b");
            assertThatThrownBy(() -> write.accept(second)).isInstanceOf(SinkUnavailableException.class);
            assertThat(written(second)).isEmpty();
            assertThat(metrics.outage()).isNotNull();

            target.down = false;
            write.accept(second); // the route's retry: commits, then takes the batch
            assertThat(target.committed).contains("a");
            assertThat(written(second)).containsExactly(List.of("a"), List.of("b"));
            assertThat(target.committed).containsExactly("a", "b");

            // idle: the timer commits what a batch left staged; its offsets go with the next batch
            target.interval = java.time.Duration.ofMillis(200);
            Exchange third = batch("c");
            write.accept(third);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> target.committed.contains("c"));
            Exchange fourth = batch("d");
            write.accept(fourth);
            assertThat(written(fourth)).startsWith(List.of("c"));
        }
    }
}
