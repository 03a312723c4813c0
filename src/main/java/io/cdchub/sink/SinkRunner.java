package io.cdchub.sink;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

import io.cdchub.change.ChangeEvent;
import org.apache.camel.Exchange;

/**
 * Runs one sink route: everything a {@link Sink} does not do itself. One runner per route (a route made from the
 * {@code kafka-to-sink} template, built in or the user's own), made on the route's first batch by {@link SinkRunners}.
 *
 * <p><b>Stages.</b> The route's exchange is one Kafka poll batch. The {@link SinkPipeline} overlaps three stages: the
 * consumer thread fetches the next batch while this runner's converter stage turns the batch into the sink's requests
 * and its writer thread writes the batch before. Converting is, per record and in parallel over the cores: skip a record
 * dead-lettered in an earlier attempt, parse it once ({@link ChangeEvent#parse}; tombstones counted and skipped,
 * records that are no change event dead-lettered), then the per-record {@link ChangeEventStep} (the route's declared
 * transforms, io.cdchub.sink.transform), then the sink's {@link Sink#prepare}.
 *
 * <p><b>Writing.</b> Requests are written in order; a request refused as a whole for its content
 * ({@link SinkRequestRefusedException}) is halved until each refused record is alone, which is dead-lettered with the
 * target's reason; records refused one by one ({@link SinkWriteResult#refused()}) are dead-lettered. A target that is
 * unavailable ({@link SinkUnavailableException}, or {@link SinkWriteResult#unavailable()}) fails the batch: the route's
 * {@code sink} routeConfiguration retries it with back-off without end, nothing is committed and nothing is
 * dead-lettered for it, and the sink's health is DOWN until a write succeeds.
 *
 * <p><b>Offsets</b> are committed by the route's commit step ({@link SinkOffsets}) for written batches only, so
 * <b>any batch may be written twice</b> (after a crash, a rebalance, a retry): every sink must be idempotent.
 */
public final class SinkRunner<I> implements AutoCloseable {

    /**
     * One per-record step of the convert stage, between parsing and the sink's {@code prepare}: the extension point for
     * transforms. Returns the event to write (the same or another), or null to drop it (counted as
     * {@code cdc.sink.records.skipped}, reason filtered); throws {@link RejectedRecordException} to dead-letter the
     * record. Runs on several threads at once.
     */
    @FunctionalInterface
    public interface ChangeEventStep {
        ChangeEventStep NONE = event -> event;

        ChangeEvent apply(ChangeEvent event);
    }

    private final Sink<I> sink;
    private final String routeId;
    private final SinkMetrics metrics;
    private final SinkDeadLetters deadLetters;
    private final SinkPipeline pipeline;
    private final ChangeEventStep step;
    private final Sink.Preparation preparation = new Sink.Preparation() {
        @Override
        public <T> SinkRequest<T> request(String target, List<ChangeEvent> events, Function<ChangeEvent, T> convert) {
            List<T> converted = pipeline.convert(events, event -> {
                try {
                    return convert.apply(event);
                } catch (RejectedRecordException e) {
                    deadLetter(event.record(), e);
                    return null;
                }
            });
            List<ChangeEvent> kept = new ArrayList<>(events.size());
            List<T> items = new ArrayList<>(events.size());
            for (int i = 0; i < events.size(); i++) {
                if (converted.get(i) != null) {
                    kept.add(events.get(i));
                    items.add(converted.get(i));
                }
            }
            return new SinkRequest<>(target, kept, items);
        }

        @Override
        public void refuse(ChangeEvent event, RejectedRecordException reason) {
            deadLetter(event.record(), reason);
        }
    };

    /**
     * @param fullBatch the route's most records per poll: a smaller batch means the consumer caught up, so it is
     *                  written and committed at once
     */
    public SinkRunner(Sink<I> sink, String routeId, SinkMetrics metrics, SinkDeadLetters deadLetters, int fullBatch, ChangeEventStep step) {
        this.sink = sink;
        this.routeId = routeId;
        this.metrics = metrics;
        this.deadLetters = deadLetters;
        this.step = step;
        this.pipeline = new SinkPipeline(routeId, metrics, fullBatch, sink.staging());
    }

    public Sink<I> sink() {
        return sink;
    }

    public SinkMetrics metrics() {
        return metrics;
    }

    /**
     * Writes the batch (the route's exchange, a list of consumed record exchanges): converted and written by the stages,
     * while the consumer fetches the next; sets {@link SinkPipeline#WRITTEN} for the commit step.
     */
    public void write(Exchange batch) {
        pipeline.write(batch, this::prepare, this::writeAll);
    }

    /**
     * Writes records that are not a batch of the route (dead letters replayed, one exchange per record with the
     * consumed record's Kafka headers) the way a batch is written: parsed, converted, bisected when refused, and
     * dead-lettered again when refused (then {@link SinkDeadLetters#isDeadLettered} is true for them). Waits until they
     * are written; nothing is committed for them.
     *
     * @throws SinkUnavailableException the target cannot take them now (not retried here: the caller decides)
     */
    public void replay(List<Exchange> records) {
        pipeline.writeAlone(() -> prepare(records), this::writeAll);
    }

    private List<SinkRequest<I>> prepare(List<?> records) {
        List<ChangeEvent> events = pipeline.convert(records, this::event);
        events.removeIf(Objects::isNull);
        return sink.prepare(events, preparation);
    }

    /** The record's change event after the step; null when there is nothing to write (counted or dead-lettered). */
    private ChangeEvent event(Object item) {
        Exchange record = (Exchange) item;
        if (SinkDeadLetters.isDeadLettered(record)) {
            return null; // in an earlier attempt at this batch
        }
        try {
            ChangeEvent event = ChangeEvent.parse(record);
            if (event == null) {
                metrics.tombstone();
                return null;
            }
            ChangeEvent stepped = step.apply(event);
            if (stepped == null) {
                metrics.filtered();
            }
            return stepped;
        } catch (RejectedRecordException e) {
            deadLetter(record, e);
            return null;
        }
    }

    private void writeAll(List<SinkRequest<I>> requests) {
        for (SinkRequest<I> request : requests) {
            writeBisecting(request);
        }
    }

    private void writeBisecting(SinkRequest<I> request) {
        if (request.isEmpty()) {
            return;
        }
        SinkWriteResult result;
        try {
            result = sink.write(request);
        } catch (SinkRequestRefusedException e) {
            if (request.size() == 1) {
                deadLetter(request.events().get(0).record(), new RejectedRecordException(e.getMessage(), e));
                return;
            }
            int half = request.size() / 2;
            writeBisecting(request.slice(0, half));
            writeBisecting(request.slice(half, request.size()));
            return;
        }
        for (SinkWriteResult.Refusal refusal : result.refused()) {
            deadLetter(request.events().get(refusal.index()).record(), new RejectedRecordException(refusal.reason()));
        }
        metrics.written(result.written());
        metrics.alreadyApplied(result.alreadyApplied());
        if (result.unavailable() != null) {
            throw new SinkUnavailableException(sink.name() + " cannot take part of the batch now (" + result.unavailable()
                    + "); retrying the batch, nothing is committed or dead-lettered meanwhile");
        }
    }

    private void deadLetter(Exchange record, RuntimeException reason) {
        deadLetters.send(record, reason, routeId, sink.endpoint(), metrics);
    }

    /** Stops the stages' threads (batches they had not finished are not committed and are read again after a restart). */
    @Override
    public void close() throws InterruptedException {
        pipeline.close();
    }
}
