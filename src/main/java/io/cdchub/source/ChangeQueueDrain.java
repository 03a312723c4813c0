package io.cdchub.source;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;

import io.debezium.config.ConfigurationDefaults;
import io.debezium.connector.base.ChangeEventQueue;
import io.debezium.connector.base.QueueProvider;
import io.debezium.connector.postgresql.PostgresConnectorTask;
import io.debezium.pipeline.DataChangeEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a batch from a Debezium task's {@link ChangeEventQueue} exactly as its {@code poll()} does (under the queue's
 * lock, waiting on its "full" condition until {@code max.batch.size} changes are there or {@code poll.interval.ms}
 * has passed, then waking the producer), but waiting on a nanosecond deadline.
 *
 * <p>Why this exists: {@code ChangeEventQueue.poll()} (Debezium 3.4 to 3.7) times its wait in whole milliseconds
 * and waits {@code remaining().toMillis()} while {@code !expired()}; for the last millisecond of every interval the
 * remaining time is 0 but the timer has not expired, so it loops without waiting until the clock ticks. Whenever
 * changes trickle in (every poll runs to its interval), that is up to 1 ms of busy CPU per interval: at cdc-hub's
 * 5 ms interval about 12% of a core, measured, on a source that is otherwise idle (bench/README.md). Debezium has no
 * hook for the queue (the task builds it in {@code start()}), so its fields are read here; this class only reads
 * them and uses the queue's own lock and conditions, so Debezium's producer side is unchanged.
 *
 * <p>A queue with {@code max.queue.size.in.bytes} set, or a Debezium whose fields differ, is left to Debezium's own
 * {@code poll()} ({@link #of} answers null; logged once). {@code ChangeQueueDrainTest} fails on such an upgrade.
 */
final class ChangeQueueDrain {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeQueueDrain.class);

    private static final Fields FIELDS = Fields.find();

    private final ChangeEventQueue<DataChangeEvent> queue;
    private final Lock lock;
    private final Condition isFull;
    private final Condition isNotFull;
    private final QueueProvider<DataChangeEvent> events;
    private final int maxBatchSize;
    private final long waitNanos;

    private ChangeQueueDrain(ChangeEventQueue<DataChangeEvent> queue) {
        this.queue = queue;
        this.lock = (Lock) FIELDS.lock.get(queue);
        this.isFull = (Condition) FIELDS.isFull.get(queue);
        this.isNotFull = (Condition) FIELDS.isNotFull.get(queue);
        @SuppressWarnings("unchecked")
        QueueProvider<DataChangeEvent> provider = (QueueProvider<DataChangeEvent>) FIELDS.provider.get(queue);
        this.events = provider;
        this.maxBatchSize = (int) FIELDS.maxBatchSize.get(queue);
        Duration interval = (Duration) FIELDS.pollInterval.get(queue);
        Duration returnControl = ConfigurationDefaults.RETURN_CONTROL_INTERVAL;
        this.waitNanos = (interval.compareTo(returnControl) < 0 ? interval : returnControl).toNanos();
    }

    /** A started task's queue; null before it started, or if this Debezium's queue is not the one this class knows. */
    static ChangeEventQueue<DataChangeEvent> queueOf(PostgresConnectorTask task) {
        if (FIELDS == null) {
            return null;
        }
        @SuppressWarnings("unchecked")
        ChangeEventQueue<DataChangeEvent> queue = (ChangeEventQueue<DataChangeEvent>) FIELDS.taskQueue.getVolatile(task);
        return queue;
    }

    /** The drain of a queue; null if Debezium's own poll must be used. */
    static ChangeQueueDrain of(ChangeEventQueue<DataChangeEvent> queue) {
        if (FIELDS == null) {
            return null;
        }
        if (queue.maxQueueSizeInBytes() > 0) {
            LOG.info("max.queue.size.in.bytes is set: Debezium's own queue poll is used");
            return null;
        }
        return new ChangeQueueDrain(queue);
    }

    /** True if this drains the task's current queue. */
    boolean drains(PostgresConnectorTask task) {
        return FIELDS.taskQueue.getVolatile(task) == queue;
    }

    /** True if this Debezium's queue is the one this class knows. */
    static boolean supported() {
        return FIELDS != null;
    }

    /**
     * Up to {@code max.batch.size} changes, waiting up to the poll interval for a full batch; possibly none.
     *
     * @throws RuntimeException the failure Debezium's producer side reported to the queue, as {@code poll()} throws it
     */
    List<DataChangeEvent> poll() throws InterruptedException {
        long deadline = System.nanoTime() + waitNanos;
        lock.lock();
        try {
            List<DataChangeEvent> batch = new ArrayList<>(Math.min(maxBatchSize, Math.max(events.size(), 16)));
            throwProducerFailure();
            while (true) {
                for (int n = maxBatchSize - batch.size(); n > 0; n--) {
                    DataChangeEvent event = events.poll();
                    if (event == null) {
                        break;
                    }
                    batch.add(event);
                }
                long remaining = deadline - System.nanoTime();
                if (batch.size() >= maxBatchSize || remaining <= 0) {
                    break;
                }
                throwProducerFailure();
                isNotFull.signalAll(); // room for the producer, as poll() does
                isFull.awaitNanos(remaining);
            }
            isNotFull.signalAll();
            return batch;
        } finally {
            lock.unlock();
        }
    }

    private void throwProducerFailure() {
        RuntimeException failure = (RuntimeException) FIELDS.producerException.getVolatile(queue);
        if (failure != null) {
            throw failure;
        }
    }

    /** The fields read; null if any is missing or of another type (another Debezium). */
    private record Fields(VarHandle taskQueue, VarHandle lock, VarHandle isFull, VarHandle isNotFull, VarHandle provider,
            VarHandle maxBatchSize, VarHandle pollInterval, VarHandle producerException) {

        static Fields find() {
            try {
                MethodHandles.Lookup task = MethodHandles.privateLookupIn(PostgresConnectorTask.class, MethodHandles.lookup());
                MethodHandles.Lookup queue = MethodHandles.privateLookupIn(ChangeEventQueue.class, MethodHandles.lookup());
                return new Fields(
                        task.findVarHandle(PostgresConnectorTask.class, "queue", ChangeEventQueue.class),
                        queue.findVarHandle(ChangeEventQueue.class, "lock", Lock.class),
                        queue.findVarHandle(ChangeEventQueue.class, "isFull", Condition.class),
                        queue.findVarHandle(ChangeEventQueue.class, "isNotFull", Condition.class),
                        queue.findVarHandle(ChangeEventQueue.class, "queue", QueueProvider.class),
                        queue.findVarHandle(ChangeEventQueue.class, "maxBatchSize", int.class),
                        queue.findVarHandle(ChangeEventQueue.class, "pollInterval", Duration.class),
                        queue.findVarHandle(ChangeEventQueue.class, "producerException", RuntimeException.class));
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.warn("This Debezium's change queue is not the one cdc-hub knows ({}): its own poll is used, which spins"
                        + " for up to 1 ms per poll interval", e.toString());
                return null;
            }
        }
    }
}
