package io.cdchub.sink;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

import org.apache.camel.Exchange;

/**
 * Runs a sink route whose exchanges are consumed batches as three overlapping stages: while the Kafka consumer
 * thread fetches batch N+2 and makes its exchanges, the sink's converter stage parses and converts batch N+1 and
 * its writer thread sends batch N to the target. Without the overlap the consumer waits for every answer of the
 * target, and converting on the consumer thread left that thread the bottleneck (JFR: half of its time, next to
 * Camel's per-record exchanges and Kafka's fetches). Converting itself ({@link #convert}) is split over the
 * machine's cores: parsing and re-serialising JSON is most of a sink's CPU time.
 *
 * <p><b>Nothing is committed early.</b> Offsets are committed by the route's commit step, on the consumer thread
 * (Kafka's consumer is single-threaded), and only for batches the writer finished, oldest first: each
 * {@link #write} call hands the batches written since the previous call to the commit step through
 * {@link #WRITTEN}. At most {@link #IN_FLIGHT} batches are handed over and not yet committed; a restart writes them
 * again, which changes nothing (both sinks are idempotent by LSN). A partial batch means the consumer caught up, so
 * everything is written and committed before the call returns: an idle sink has nothing uncommitted, except after a
 * backlog that ended on full batches, which are committed with the next batch.
 *
 * <p><b>Failures.</b> Batches are written strictly in order: a batch is written only after the one before it was.
 * A write that fails is not forgotten: the exception reaches the route (its routeConfiguration retries with
 * back-off), and the retry writes that batch, and every batch handed over after it, again on the consumer thread
 * before anything newer. A retried exchange whose batch was already handed over is not converted or sent twice.
 *
 * <p><b>Staging sinks</b> ({@link Sink#staging()}): a written batch is durable only after the sink's next commit, so it is
 * held back ({@link #staged}) and handed to the commit step only once a commit that began after it was written has
 * returned. Commits run when the sink's interval has passed (checked at each batch, and by {@link #timer} while the route
 * is idle), when the sink wants one, and at {@link #close}; a commit never runs during a write ({@link #commitLock}). A
 * failed commit fails the route's exchange before its batch is handed over, so the route's back-off retries the commit
 * and nothing newer is taken meanwhile.
 */
public final class SinkPipeline implements AutoCloseable {

    /** Exchange property: the record lists of the batches written since the last commit, oldest first. */
    public static final String WRITTEN = "cdc.sink.written-batches";
    private static final String SUBMITTED = "cdc.sink.submitted";
    /** Batches handed over and not yet seen written: one being written while the next is converted. */
    static final int IN_FLIGHT = 2;

    private final SinkMetrics metrics;
    private final int fullBatch;
    /** Converts handed-over batches one after another (helped by {@link #converters}). */
    private final ExecutorService converter;
    private final ExecutorService writer;
    /** Helpers for {@link #convert}, one fewer than the cores (the converting thread converts a share itself). */
    private final ExecutorService converters;
    private final int converterThreads;
    /** Batches handed over and not yet seen written, oldest first; touched by the consumer thread only. */
    private final ArrayDeque<Pending<?>> pending = new ArrayDeque<>();

    /** The sink's staging, or null: then a written batch is committed as soon as it is seen written. */
    private final Sink.Staging staging;
    /** Written batches of a staging sink waiting for a commit, oldest first (number, records); consumer thread only. */
    private final ArrayDeque<Object[]> staged = new ArrayDeque<>();
    /** Held while a batch is written or the sink commits: a commit covers exactly the writes that returned before it. */
    private final Object commitLock = new Object();
    /** Numbers batches as they are handed over (consumer thread). */
    private long handedOver;
    /** The number of the last batch written (under {@link #commitLock}). */
    private volatile long lastWritten;
    /** The number of the last batch a commit made durable (under {@link #commitLock}). */
    private volatile long durable;
    private volatile long lastCommitNanos = System.nanoTime();
    /** Commits an idle staging sink's writes when its interval has passed; null without staging. */
    private final java.util.concurrent.ScheduledExecutorService timer;

    private final class Pending<P> {
        final long number = ++handedOver;
        final List<?> records;
        final Function<List<?>, P> prepare;
        final Consumer<P> write;
        CompletableFuture<P> prepared;
        CompletableFuture<Void> result;
        /** Set when this batch or one before it failed: written again on the consumer thread by {@link #settle}. */
        boolean failed;

        Pending(List<?> records, Function<List<?>, P> prepare, Consumer<P> write) {
            this.records = records;
            this.prepare = prepare;
            this.write = write;
        }

        /** Hands the batch to the converter stage, and to the writer once converted and once {@code previous} is written. */
        void start(CompletableFuture<Void> previous) {
            prepared = CompletableFuture.supplyAsync(() -> prepare.apply(records), converter);
            result = prepared.thenCombineAsync(previous, (converted, ignored) -> {
                timed(() -> writeNumbered(number, () -> write.accept(converted)));
                return null;
            }, writer);
        }

        /**
         * Converts and writes the batch here and now. Converted afresh (the target may have changed, e.g. a table's
         * columns), once the converter stage is done with it, so one batch is never converted twice at once.
         */
        void writeHere() {
            try {
                prepared.get();
            } catch (ExecutionException e) {
                // converted again below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SinkUnavailableException("Interrupted while a batch was being converted (stopping?)", e);
            }
            timed(() -> writeNumbered(number, () -> write.accept(prepare.apply(records))));
        }
    }

    /** Writes batch {@code number}; a staging sink's commit waits for it, and covers it once it returned. */
    private void writeNumbered(long number, Runnable write) {
        if (staging == null) {
            write.run();
            return;
        }
        synchronized (commitLock) {
            write.run();
            lastWritten = number;
        }
    }

    public SinkPipeline(String sink, SinkMetrics metrics, int fullBatch) {
        this(sink, metrics, fullBatch, null);
    }

    /** @param staging the sink's {@link Sink#staging()}, or null */
    public SinkPipeline(String sink, SinkMetrics metrics, int fullBatch, Sink.Staging staging) {
        this.metrics = metrics;
        this.staging = staging;
        if (staging != null) {
            long tick = Math.max(50, Math.min(1000, staging.commitInterval().toMillis() / 4));
            this.timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(daemon("cdc-sink-" + sink + "-committer"));
            this.timer.scheduleWithFixedDelay(this::commitIdle, tick, tick, TimeUnit.MILLISECONDS);
        } else {
            this.timer = null;
        }
        this.fullBatch = fullBatch;
        this.converter = Executors.newSingleThreadExecutor(daemon("cdc-sink-" + sink + "-converter"));
        this.writer = Executors.newSingleThreadExecutor(daemon("cdc-sink-" + sink + "-writer"));
        this.converterThreads = Math.max(0, Runtime.getRuntime().availableProcessors() - 1);
        java.util.concurrent.atomic.AtomicInteger number = new java.util.concurrent.atomic.AtomicInteger();
        this.converters = converterThreads == 0 ? null : Executors.newFixedThreadPool(converterThreads,
                task -> daemon("cdc-sink-" + sink + "-converter-" + number.incrementAndGet()).newThread(task));
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        };
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
     * Hands the batch's records to the converter stage ({@code prepare}) and then to the writer thread
     * ({@code write}), while the calling consumer thread goes on to fetch the next batch; sets {@link #WRITTEN} for the
     * commit step.
     */
    public <P> void write(Exchange batch, Function<List<?>, P> prepare, Consumer<P> write) {
        List<Object> written = new ArrayList<>(IN_FLIGHT);
        batch.setProperty(WRITTEN, written);
        settle(written, IN_FLIGHT - 1);
        List<?> records = batch.getMessage().getBody(List.class);
        if (records == null || records.isEmpty() || batch.getProperty(SUBMITTED, false, Boolean.class)) {
            settle(written, 0);
            commitIfDue(written);
            return;
        }
        // a commit that is due (and fails while the target is away) goes before anything newer is taken
        commitIfDue(written);
        Pending<P> next = new Pending<>(records, prepare, write);
        Pending<?> last = pending.peekLast();
        next.start(last == null ? CompletableFuture.completedFuture(null) : last.result);
        pending.addLast(next);
        batch.setProperty(SUBMITTED, true);
        if (records.size() < fullBatch) {
            settle(written, 0);
            commitIfDue(written);
        }
    }

    /**
     * For a staging sink: commits when due, then hands the batches made durable (by this or an earlier commit, the
     * timer's included) to the commit step.
     */
    private void commitIfDue(List<Object> written) {
        if (staging == null) {
            return;
        }
        if (commitDue()) {
            commit();
        }
        while (!staged.isEmpty() && (long) staged.peekFirst()[0] <= durable) {
            written.add(staged.removeFirst()[1]);
        }
    }

    private boolean commitDue() {
        return lastWritten > durable
                && (System.nanoTime() - lastCommitNanos >= staging.commitInterval().toNanos() || staging.commitWanted());
    }

    /** Commits the staging sink: everything written so far becomes durable. */
    private void commit() {
        long started = System.nanoTime();
        synchronized (commitLock) {
            long upTo = lastWritten;
            if (upTo <= durable) {
                return;
            }
            try {
                staging.commit();
            } catch (SinkUnavailableException e) {
                metrics.failure(e.getMessage());
                throw e;
            }
            durable = upTo;
            lastCommitNanos = System.nanoTime();
        }
        metrics.batch(System.nanoTime() - started);
    }

    /** The timer's commit while no batch comes; a failure is reported (health DOWN) and tried again at the next tick. */
    private void commitIdle() {
        try {
            if (commitDue()) {
                commit();
            }
        } catch (RuntimeException e) {
            if (!(e instanceof SinkUnavailableException)) {
                metrics.failure(e.toString());
            }
            org.slf4j.LoggerFactory.getLogger(SinkPipeline.class).warn("Commit of the staged writes failed; trying again: {}", e.getMessage());
        }
    }

    /**
     * Converts and writes records that are no batch of the route (dead letters replayed, {@link SinkRunner#replay}) on
     * the same converter stage and writer thread as the batches, so the sink is never converted or written from two
     * threads at once, and waits until they are written. Nothing is committed for them: they are not the route's records.
     */
    public <P> void writeAlone(java.util.function.Supplier<P> prepare, Consumer<P> write) {
        awaitWrite(CompletableFuture.supplyAsync(prepare, converter).thenAcceptAsync(converted -> timed(() -> write.accept(converted)), writer),
                "replayed records");
    }

    /** Waits for a write: the exception it failed with is thrown as it was. */
    private static void awaitWrite(Future<?> result, String what) {
        try {
            result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw new SinkUnavailableException("Writing " + what + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SinkUnavailableException("Interrupted while " + what + " was being written (stopping?)", e);
        }
    }

    /**
     * Collects the batches written so far into {@code written}, oldest first, waiting for the oldest until at most
     * {@code keep} are left in flight. A failed batch (and each after it) is written again here, so a failure always
     * holds up what follows; while the target is still away that throws again.
     */
    private void settle(List<Object> written, int keep) {
        while (!pending.isEmpty()) {
            Pending<?> oldest = pending.peekFirst();
            if (oldest.failed) {
                oldest.writeHere(); // the route's retry, after its back-off
            } else {
                if (pending.size() <= keep && !oldest.result.isDone()) {
                    return;
                }
                try {
                    awaitWrite(oldest.result, "a batch");
                } catch (RuntimeException e) {
                    if (oldest.result.isCompletedExceptionally()) { // not when this thread was interrupted while waiting
                        pending.forEach(p -> p.failed = true); // the later ones were not written: they wait for this one
                    }
                    throw e;
                }
            }
            pending.removeFirst();
            if (staging == null) {
                written.add(oldest.records);
            } else {
                staged.addLast(new Object[] {oldest.number, oldest.records}); // handed to the commit step once committed
            }
        }
    }

    /** Whether a handed-over batch is still being converted or written (for tests). */
    boolean busy() {
        return pending.stream().anyMatch(p -> !p.result.isDone());
    }

    private void timed(Runnable write) {
        long started = System.nanoTime();
        try {
            write.run();
        } catch (SinkUnavailableException e) {
            metrics.failure(e.getMessage());
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
        if (timer != null) {
            timer.shutdownNow();
            timer.awaitTermination(10, TimeUnit.SECONDS);
            try {
                // what was written becomes visible (and, with its Kafka offsets in the target, is skipped when read again)
                synchronized (commitLock) {
                    if (lastWritten > durable) {
                        staging.commit();
                        durable = lastWritten;
                    }
                }
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(SinkPipeline.class).warn("Last commit at stop failed; the batches will be read again: {}", e.getMessage());
            }
        }
        if (converters != null) {
            converters.shutdown();
        }
        converter.shutdown();
        writer.shutdown();
        writer.awaitTermination(10, TimeUnit.SECONDS);
    }
}
