package io.cdchub.source;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.OffsetBackingStore;
import org.apache.kafka.connect.util.Callback;

/**
 * An offset store that writes only offsets of changes Kafka has acknowledged (see {@link PublishLedger}).
 * Debezium creates it by class name; the store it wraps is chosen by the subclass.
 */
public abstract class AckGatedOffsetStore implements OffsetBackingStore {

    private OffsetBackingStore delegate;
    private PublishLedger ledger;
    /**
     * How long a commit waits for acknowledgements before it gives up and leaves offsets unchanged: the engine's
     * offset.flush.timeout.ms (cdc.source.offset-commit-timeout), less a quarter (at most 5 s) kept for writing the
     * offsets themselves, since the engine abandons the whole commit at that timeout.
     */
    private Duration ackWait;

    protected abstract OffsetBackingStore createDelegate(Map<String, String> workerConfig);

    @Override
    public void configure(WorkerConfig config) {
        Map<String, String> settings = config.originalsStrings();
        String engine = settings.get("name");
        if (engine == null) {
            throw new ConnectException("The offset store needs the engine's 'name' to find its publish ledger");
        }
        ledger = PublishLedger.forEngine(engine);
        ackWait = ackWait(Duration.ofMillis(config.getLong(WorkerConfig.OFFSET_COMMIT_TIMEOUT_MS_CONFIG)));
        delegate = createDelegate(settings);
        delegate.configure(config);
    }

    static Duration ackWait(Duration commitTimeout) {
        Duration reserve = commitTimeout.dividedBy(4);
        return commitTimeout.minus(reserve.compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : reserve);
    }

    @Override
    public void start() {
        delegate.start();
    }

    @Override
    public void stop() {
        delegate.stop();
    }

    @Override
    public Future<Map<ByteBuffer, ByteBuffer>> get(Collection<ByteBuffer> keys) {
        return delegate.get(keys);
    }

    @Override
    public Future<Void> set(Map<ByteBuffer, ByteBuffer> values, Callback<Void> callback) {
        String refusal;
        try {
            refusal = ledger.awaitPublished(ledger.lastRegistered(), ackWait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            refusal = "interrupted while waiting for Kafka acknowledgements";
        }
        if (refusal != null) {
            // Failing the flush leaves the previous offsets in place: Debezium retries at the next
            // flush, and after a restart the unacknowledged changes are read again (duplicates, no gaps).
            ConnectException error = new ConnectException("Source offsets not committed: " + refusal);
            if (callback != null) {
                callback.onCompletion(error, null);
            }
            return CompletableFuture.failedFuture(error);
        }
        return delegate.set(values, callback);
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return delegate.connectorPartitions(connectorName);
    }
}
