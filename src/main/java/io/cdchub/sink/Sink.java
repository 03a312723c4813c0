package io.cdchub.sink;

import java.util.List;

import io.cdchub.change.ChangeEvent;

/**
 * A target that change events are written to: the one thing a new sink implements. Everything sinks share is the
 * {@link SinkRunner}'s: reading Kafka in batches, parsing each record once into a {@link ChangeEvent}, tombstones,
 * dead letters with their reasons, bisecting a refused request, retrying an unavailable target, committing offsets,
 * metrics, lag and health. A sink only says how a batch of events becomes the target's requests and how a request is
 * written.
 *
 * <p><b>Any batch may be written twice.</b> The runner commits a batch's offsets only after it was written, so a crash,
 * a rebalance or a retry after a partial write sends the same events again, possibly after newer ones of the same row
 * (a replayed topic, a rebalance during an outage). Every sink must therefore be idempotent and must never let an older
 * change replace a newer one: write with the change's {@link ChangeEvent#lsn()} as the row's version (ClickHouse's
 * {@code ReplacingMergeTree(_version)}, Elasticsearch's external versions), or key the target by the primary key and
 * the LSN.
 *
 * <p><b>Failures.</b> {@link #write} throws {@link SinkUnavailableException} when the target cannot take the request now
 * (down, 5xx, overloaded, a read-only or missing index): the runner retries the batch with back-off without end, commits
 * nothing meanwhile and dead-letters nothing for it. It throws {@link SinkRequestRefusedException} when the target
 * refused the request as a whole for its content (one bad row fails a ClickHouse insert): the runner halves the request
 * until the refused records are alone and dead-letters them. Records refused one by one are reported in the
 * {@link SinkWriteResult}. A record that cannot be converted at all is refused in {@link #prepare} by throwing
 * {@link RejectedRecordException} from the conversion function.
 *
 * @param <I> one record's prepared form for the target (a JSONEachRow line, a bulk operation)
 */
public interface Sink<I> {

    /**
     * The sink's name: the {@code sink} parameter of the {@code kafka-to-sink} route template, the {@code sink} tag of its
     * metrics and the readiness indicator's name. Lower case, e.g. {@code clickhouse}.
     */
    String name();

    /** Where it writes, for dead letters' failed-endpoint header, e.g. {@code clickhouse:analytics}; never with credentials. */
    String endpoint();

    /**
     * Makes the target's requests from one batch's events (tombstones, dead letters and records that are no change event
     * are already gone). Runs on the runner's converter stage, one batch at a time, while the previous batch is being
     * written; per-record work goes through {@link Preparation#convert}, which spreads it over the cores and dead-letters
     * records whose conversion throws {@link RejectedRecordException}.
     */
    List<SinkRequest<I>> prepare(List<ChangeEvent> events, Preparation preparation);

    /**
     * Writes one request (or a part of one, when the runner bisects a refused request). Runs on the runner's writer
     * thread, requests of a batch in order, batches in order.
     *
     * @throws SinkUnavailableException   the target cannot take it now: retried, nothing committed or dead-lettered
     * @throws SinkRequestRefusedException the target refused the request as a whole for its content: bisected
     */
    SinkWriteResult write(SinkRequest<I> request);

    /**
     * The sink's staging, when its writes become durable only at commits of its own (Iceberg: one snapshot per table every
     * commit interval, so that the table does not get a snapshot and small files per batch); null, the default, for a
     * sink whose {@link #write} is durable when it returns (ClickHouse, Elasticsearch). See {@link Staging}.
     */
    default Staging staging() {
        return null;
    }

    /**
     * <b>Staging</b>: an optional capability of a sink. Such a sink's {@link #write} only stages the request (in memory,
     * or in files nobody can see yet); {@link #commit} makes everything staged durable and visible at once. The runner
     * ({@link SinkPipeline}) then holds each written batch back from the Kafka offset commit until a {@link #commit}
     * that began after the batch was written has returned: Kafka offsets never pass what is durable in the target, so a
     * crash loses nothing (the uncommitted batches are read and written again).
     *
     * <p>The runner commits when {@link #commitInterval} has passed since the last commit (checked at each batch, and by a
     * timer while no batch comes, so an idle route's last changes become visible within an interval), when
     * {@link #commitWanted} says so, and when the route stops. Commits and writes never run at the same time. A commit
     * that fails throws {@link SinkUnavailableException} and must keep what was staged: the runner retries (the route's
     * back-off; nothing newer is taken meanwhile) and the sink's health is DOWN until a commit succeeds.
     *
     * <p>Batches of an idle route that a timer commit made durable have their Kafka offsets committed with the route's
     * next batch (Kafka's consumer can only commit on its own thread): until then a restart reads them again, so a
     * staging sink must recognise what it already committed (Iceberg: the Kafka offsets in the snapshot summary).
     */
    interface Staging {

        /** The longest a written batch waits for its commit. */
        java.time.Duration commitInterval();

        /** Whether the sink wants a commit before the interval is over (e.g. it staged many rows). Called from any thread. */
        default boolean commitWanted() {
            return false;
        }

        /**
         * Makes every write that returned before this call durable and visible.
         *
         * @throws SinkUnavailableException the target cannot take the commit now; what was staged is kept for the next one
         */
        void commit();
    }

    /** What the runner offers {@link #prepare}. */
    interface Preparation {

        /**
         * One request: {@code convert} applied to each event, in parallel for large batches, results in the events'
         * order. An event whose conversion throws {@link RejectedRecordException} is dead-lettered with that reason; one
         * converted to null has nothing to write. {@code convert} must be safe to run on several threads at once.
         */
        <I> SinkRequest<I> request(String target, List<ChangeEvent> events, java.util.function.Function<ChangeEvent, I> convert);

        /** Dead-letters one event with the reason (e.g. it names a table the target cannot have). */
        void refuse(ChangeEvent event, RejectedRecordException reason);
    }
}
