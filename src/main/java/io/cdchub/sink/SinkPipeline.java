package io.cdchub.sink;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

import org.apache.camel.Exchange;

/**
 * Overlaps writing one batch with reading and converting the next, for a sink route whose exchanges are
 * consumed batches: while batch N goes to the target on the sink's writer thread, the Kafka consumer thread
 * parses and converts batch N+1. Without it the consumer waits for every answer of the target (measured: the
 * route reached 0.4-0.5 of a raw client's rate). Converting itself ({@link #convert}) is split over the machine's
 * cores: parsing and re-serialising JSON is most of a sink's CPU time (JFR: 65-75% of the consumer thread).
 *
 * <p><b>Nothing is committed early.</b> Offsets are committed by the route's commit step, on the consumer thread
 * (Kafka's consumer is single-threaded), and only for batches the writer finished: each {@link #write} call
 * first waits for the previous batch and hands its records to the commit step through {@link #WRITTEN}. At
 * most one batch is written but not yet committed; a restart writes it again, which changes nothing (both sinks
 * are idempotent by LSN). A partial batch means the consumer caught up, so it is written and committed before
 * the call returns: an idle sink has nothing uncommitted, except after a backlog that ended on a full batch,
 * which is committed with the next batch.
 *
 * <p><b>Failures.</b> A write that fails is not forgotten: the exception reaches the route (its routeConfiguration
 * retries with back-off), and the retry writes that same batch again on the consumer thread before anything
 * newer. A retried exchange whose batch was already handed to the writer is not converted or sent twice.
 */
public final class SinkPipeline implements AutoCloseable {

    /** Exchange property: the record lists of the batches written since the last commit, oldest first. */
    public static final String WRITTEN = "cdc.sink.written-batches";
    private static final String SUBMITTED = "cdc.sink.submitted";

    private final SinkMetrics metrics;
    private final int fullBatch;
    private final ExecutorService writer;
    /** Helpers for {@link #convert}, one fewer than the cores (the consumer thread converts a share itself). */
    private final ExecutorService converters;
    private final int converterThreads;
    /** The batch handed to the writer and not yet seen written; touched by the consumer thread only. */
    private Pending pending;

    private static final class Pending {
        final List<?> records;
        final Runnable write;
        Future<?> result;
        boolean failed;

        Pending(List<?> records, Runnable write) {
            this.records = records;
            this.write = write;
        }
    }

    public SinkPipeline(String sink, SinkMetrics metrics, int fullBatch) {
        this.metrics = metrics;
        this.fullBatch = fullBatch;
        this.writer = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "cdc-sink-" + sink + "-writer");
            thread.setDaemon(true);
            return thread;
        });
        this.converterThreads = Math.max(0, Runtime.getRuntime().availableProcessors() - 1);
        java.util.concurrent.atomic.AtomicInteger number = new java.util.concurrent.atomic.AtomicInteger();
        this.converters = converterThreads == 0 ? null : Executors.newFixedThreadPool(converterThreads, task -> {
            Thread thread = new Thread(task, "cdc-sink-" + sink + "-converter-" + number.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Below this many items a batch is converted on the calling thread alone: handing over would cost more. */
    static final int PARALLEL_THRESHOLD = 1024;

    /**
     * {@code convert} applied to every item, results in the items' order (null results kept as null), split over
     * the converter threads and the calling thread. {@code convert} must be safe to run concurrently and handle its
     * own per-item failures (dead letters); any other exception fails the whole call.
     */
    public <T, R> List<R> convert(List<T> items, Function<T, R> convert) {
        int chunks = converters == null || items.size() < PARALLEL_THRESHOLD ? 1 : converterThreads + 1;
        if (chunks == 1) {
            return convertHere(items, convert);
        }
        int size = (items.size() + chunks - 1) / chunks;
        List<Future<List<R>>> helped = new ArrayList<>(chunks - 1);
        for (int from = size; from < items.size(); from += size) {
            List<T> chunk = items.subList(from, Math.min(items.size(), from + size));
            helped.add(converters.submit(() -> convertHere(chunk, convert)));
        }
        List<R> results = new ArrayList<>(items.size());
        results.addAll(convertHere(items.subList(0, size), convert));
        try {
            for (Future<List<R>> chunk : helped) {
                results.addAll(chunk.get());
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SinkUnavailableException("Interrupted while converting a batch (stopping?)", e);
        }
        return results;
    }

    /**
     * Converts the batch's records with {@code prepare} (on the calling consumer thread) and has {@code write} send
     * the result on the writer thread; sets {@link #WRITTEN} for the commit step.
     */
    public <P> void write(Exchange batch, Function<List<?>, P> prepare, Consumer<P> write) {
        List<Object> written = new ArrayList<>(2);
        batch.setProperty(WRITTEN, written);
        settle(written);
        List<?> records = batch.getMessage().getBody(List.class);
        if (records == null || records.isEmpty() || batch.getProperty(SUBMITTED, false, Boolean.class)) {
            return;
        }
        P prepared = prepare.apply(records);
        Pending next = new Pending(records, () -> timed(() -> write.accept(prepared)));
        next.result = writer.submit(next.write);
        pending = next;
        batch.setProperty(SUBMITTED, true);
        if (records.size() < fullBatch) {
            settle(written);
        }
    }

    /** Waits for the pending batch; a failed one is written again here, so a failure always holds up what follows. */
    private void settle(List<Object> written) {
        Pending previous = pending;
        if (previous == null) {
            return;
        }
        if (previous.failed) {
            previous.write.run(); // the route's retry, after its back-off: throws while the target is still away
        } else {
            try {
                previous.result.get();
            } catch (ExecutionException e) {
                previous.failed = true;
                if (e.getCause() instanceof RuntimeException failure) {
                    throw failure;
                }
                throw new SinkUnavailableException("Writing a batch failed: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SinkUnavailableException("Interrupted while a batch was being written (stopping?)", e);
            }
        }
        pending = null;
        written.add(previous.records);
    }

    private void timed(Runnable write) {
        long started = System.nanoTime();
        try {
            write.run();
        } catch (SinkUnavailableException e) {
            metrics.failure();
            throw e;
        }
        metrics.batch(System.nanoTime() - started);
    }

    private static <T, R> List<R> convertHere(List<T> items, Function<T, R> convert) {
        List<R> results = new ArrayList<>(items.size());
        for (T item : items) {
            results.add(convert.apply(item));
        }
        return results;
    }

    @Override
    public void close() throws InterruptedException {
        if (converters != null) {
            converters.shutdown();
        }
        writer.shutdown();
        writer.awaitTermination(10, TimeUnit.SECONDS);
    }
}
