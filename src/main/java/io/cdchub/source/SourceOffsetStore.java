package io.cdchub.source;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.OffsetBackingStore;
import org.apache.kafka.connect.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The capture's offset store, wrapping Kafka Connect's file or Kafka store (chosen by the subclass; Debezium creates
 * it by class name). It only ever receives offsets of changes Kafka has acknowledged: {@link ChangeCaptureConsumer}
 * marks a batch processed only after that. What it adds: later reads bounded in time, and stores an engine left
 * running when it was closed while starting are stopped ({@link #stopLeftovers}).
 */
public abstract class SourceOffsetStore implements OffsetBackingStore {

    /**
     * How long a read of offsets after the first may take. The PostgreSQL task reads its offsets again on every
     * commit and when it stops (to confirm the flushed LSN to its slot), without a limit: with Kafka unreachable,
     * stopping it would last until the engine gives up on the task (about 40 s), and cdc-hub's shutdown would
     * outlast Camel's 45 s. A read given up only delays the slot's confirmation to a later commit.
     */
    static final Duration LATER_READ_TIMEOUT = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(SourceOffsetStore.class);

    /** Started and not yet stopped stores, by engine name: see {@link #stopLeftovers(String)}. */
    private static final Map<String, Set<SourceOffsetStore>> LIVE = new ConcurrentHashMap<>();
    /** Per engine name, the last store sequence number that belongs to an engine already stopped. */
    private static final Map<String, Long> RETIRED = new ConcurrentHashMap<>();
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private final long sequence = SEQUENCE.incrementAndGet();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicBoolean firstReadDone = new AtomicBoolean();
    private ExecutorService reader;
    private String engine;
    private OffsetBackingStore delegate;

    protected abstract OffsetBackingStore createDelegate(Map<String, String> workerConfig);

    @Override
    public void configure(WorkerConfig config) {
        Map<String, String> settings = config.originalsStrings();
        engine = settings.get("name");
        if (engine == null) {
            throw new ConnectException("The offset store needs the engine's 'name'");
        }
        String readerName = "offset-store-read-" + engine;
        reader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, readerName);
            t.setDaemon(true);
            return t;
        });
        delegate = createDelegate(settings);
        delegate.configure(config);
    }

    @Override
    public void start() {
        delegate.start();
        LIVE.computeIfAbsent(engine, name -> ConcurrentHashMap.newKeySet()).add(this);
        // registered first, checked second: either stopLeftovers sees this store or this store sees its mark
        if (sequence <= RETIRED.getOrDefault(engine, 0L)) {
            LOG.info("Offset store of {} started after its engine was stopped; stopping it", engine);
            stop();
        }
    }

    @Override
    public void stop() {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        Set<SourceOffsetStore> live = LIVE.get(engine);
        if (live != null) {
            live.remove(this);
        }
        reader.shutdownNow();
        delegate.stop();
    }

    /**
     * Stops what the stopped engine {@code engine} left running. Debezium's engine does not stop its offset store
     * when it is closed while still starting (its close() looks for the store before the starting thread has made
     * it), and that store's Kafka clients would then poll and retry until the JVM exits. Call once the engine has
     * stopped (its route stopped); a store that engine is still starting stops itself when it is started.
     */
    public static void stopLeftovers(String engine) {
        long lastOfStoppedEngine = SEQUENCE.get();
        RETIRED.merge(engine, lastOfStoppedEngine, Math::max);
        Set<SourceOffsetStore> live = LIVE.getOrDefault(engine, Set.of());
        for (SourceOffsetStore store : Set.copyOf(live)) {
            if (store.sequence <= lastOfStoppedEngine) {
                LOG.info("Stopping the offset store engine {} left running", engine);
                store.stop();
            }
        }
    }

    @Override
    public Future<Map<ByteBuffer, ByteBuffer>> get(Collection<ByteBuffer> keys) {
        if (!firstReadDone.getAndSet(true)) {
            return delegate.get(keys); // the engine cannot start without its offsets: this read waits for Kafka as long as it takes
        }
        // on a thread of its own: Kafka Connect's store first flushes its producer, which waits without a limit too
        return CompletableFuture.supplyAsync(() -> {
            try {
                return delegate.get(keys).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConnectException("Interrupted while reading offsets", e);
            } catch (ExecutionException e) {
                throw new CompletionException(e.getCause());
            }
        }, reader).orTimeout(LATER_READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public Future<Void> set(Map<ByteBuffer, ByteBuffer> values, Callback<Void> callback) {
        return delegate.set(values, callback);
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return delegate.connectorPartitions(connectorName);
    }
}
