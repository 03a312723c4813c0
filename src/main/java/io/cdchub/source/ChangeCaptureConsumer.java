package io.cdchub.source;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import io.cdchub.source.snapshot.ReSnapshotNotificationChannel;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.embedded.Connect;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs Debezium's engine and hands each batch it polls to the route as one exchange. Only when the exchange
 * completes without error (the route has published every record and Kafka has acknowledged it) are the batch's
 * changes marked processed, so the engine's offsets, and with them the replication slot's confirmed LSN, never pass
 * a change Kafka does not have. A failed batch stops the engine (it commits what was marked) and the engine starts
 * again after {@code restartBackoff} from its committed offsets: the failed batch is read again, duplicates and
 * never a gap, per-key order restored by the replay.
 */
final class ChangeCaptureConsumer extends DefaultConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeCaptureConsumer.class);

    private final ChangeCaptureEndpoint endpoint;
    private final CaptureSettings settings;
    private ExecutorService engineThread;
    private ScheduledExecutorService restarter;
    private volatile DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>> engine;
    private volatile boolean stopping;
    /**
     * Held while the route publishes a batch. Debezium's {@code close()} cancels the polling thread at once, which is
     * the thread publishing the batch in hand: a stop that did not wait for it would interrupt Kafka's flush, leave the
     * batch unmarked and publish it again after the next start. {@link #closeEngine()} takes this lock first (after
     * {@link #draining} tells the next batch not to start), so the batch in hand is published and marked, and its
     * offsets are in the engine's last commit.
     */
    private final ReentrantLock publishing = new ReentrantLock();
    private volatile boolean draining;

    ChangeCaptureConsumer(ChangeCaptureEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
        this.settings = endpoint.settings();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        stopping = false;
        var executors = getEndpoint().getCamelContext().getExecutorServiceManager();
        engineThread = executors.newSingleThreadExecutor(this, "cdc-source-" + settings.name());
        restarter = executors.newSingleThreadScheduledExecutor(this, "cdc-source-restart-" + settings.name());
        endpoint.status().reset();
        startEngine();
    }

    private synchronized void startEngine() {
        if (stopping) {
            return;
        }
        draining = false;
        endpoint.openProducer();
        Properties properties = new Properties();
        properties.putAll(settings.engine());
        // Debezium's PostgreSQL connector with a task that waits for changes without spinning (CaptureConnectorTask)
        properties.setProperty("connector.class", CaptureConnector.class.getName());
        // re-snapshot progress (io.cdchub.source.snapshot), next to any channel the configuration enables
        String channels = properties.getProperty("notification.enabled.channels", "").trim();
        if (!java.util.Arrays.asList(channels.split("\\s*,\\s*")).contains(ReSnapshotNotificationChannel.NAME)) {
            properties.setProperty("notification.enabled.channels", channels.isEmpty() ? ReSnapshotNotificationChannel.NAME
                    : channels + "," + ReSnapshotNotificationChannel.NAME);
        }
        DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>> created = DebeziumEngine.create(Connect.class)
                .using(properties)
                .using(this::engineStopped)
                .notifying(this::handleBatch)
                .build();
        engine = created;
        engineThread.execute(() -> {
            try {
                created.run();
            } catch (Throwable e) {
                engineStopped(false, "Debezium engine failed", e);
            }
        });
        LOG.info("Capture {} started (value format {})", settings.name(), settings.format().label());
    }

    /** Debezium's completion callback: on a failure while this consumer runs, restart after the back-off. */
    private void engineStopped(boolean success, String message, Throwable error) {
        if (stopping || success) {
            return;
        }
        Throwable cause = error != null ? error : new IllegalStateException(message);
        endpoint.status().failed(cause);
        LOG.error("Capture {} stopped: {}. Restarting in {} ms from its last committed offsets; changes after them are published again",
                settings.name(), message, settings.restartBackoff().toMillis(), error);
        restarter.schedule(this::restart, settings.restartBackoff().toMillis(), TimeUnit.MILLISECONDS);
    }

    private synchronized void restart() {
        if (stopping || !isRunAllowed()) {
            return;
        }
        closeEngine();
        SourceOffsetStore.stopLeftovers(settings.name());
        try {
            startEngine();
        } catch (RuntimeException e) {
            engineStopped(false, "could not start: " + e.getMessage(), e);
        }
    }

    private void handleBatch(List<ChangeEvent<SourceRecord, SourceRecord>> changes,
            DebeziumEngine.RecordCommitter<ChangeEvent<SourceRecord, SourceRecord>> committer) throws InterruptedException {
        publishing.lockInterruptibly();
        try {
            if (draining) {
                throw new InterruptedException("Capture " + settings.name() + " is stopping; a batch of " + changes.size()
                        + " changes is left for the next start");
            }
            publish(changes, committer);
        } finally {
            publishing.unlock();
        }
    }

    private void publish(List<ChangeEvent<SourceRecord, SourceRecord>> changes,
            DebeziumEngine.RecordCommitter<ChangeEvent<SourceRecord, SourceRecord>> committer) throws InterruptedException {
        Exchange exchange = createExchange(false);
        exchange.getIn().setBody(ChangeBatch.ofEngine(changes, endpoint));
        try {
            getProcessor().process(exchange);
        } catch (Exception e) {
            exchange.setException(e);
        }
        Exception failure = exchange.getException();
        releaseExchange(exchange, false);
        if (failure != null) {
            if (stopping || failure instanceof InterruptedException || failure instanceof org.apache.kafka.common.errors.InterruptException) {
                // the engine is stopping: nothing of this batch is marked, it comes again after the next start
                throw new InterruptedException("Capture " + settings.name() + " is stopping; a batch of " + changes.size()
                        + " changes is left for the next start");
            }
            // Nothing of this batch is marked: the engine stops, commits only what earlier batches published, and restarts.
            throw new BatchNotPublishedException(settings.name(), changes.size(), failure);
        }
        for (ChangeEvent<SourceRecord, SourceRecord> change : changes) {
            committer.markProcessed(change);
        }
        committer.markBatchFinished();
        endpoint.status().healthy();
    }

    @Override
    protected void doStop() throws Exception {
        stopping = true;
        if (restarter != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdownNow(restarter);
        }
        synchronized (this) {
            closeEngine();
        }
        if (engineThread != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdownGraceful(engineThread);
        }
        SourceOffsetStore.stopLeftovers(settings.name());
        endpoint.status().reset();
        super.doStop();
    }

    private void closeEngine() {
        DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>> current = engine;
        engine = null;
        draining = true;
        boolean waited = false;
        try {
            // the batch in hand is published first (bounded as the engine's own last offset commit is)
            long timeoutMs = Long.parseLong(settings.engine().getProperty("offset.flush.timeout.ms", "30000"));
            waited = publishing.tryLock(timeoutMs, TimeUnit.MILLISECONDS);
            if (!waited) {
                LOG.warn("Capture {}: the batch being published did not finish within {} ms; the stop interrupts it and it is published "
                        + "again after the next start", settings.name(), timeoutMs);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (current != null) {
                current.close(); // stops polling, commits the offsets of what was marked
            }
        } catch (Exception e) {
            LOG.warn("Closing the Debezium engine of {} failed: {}", settings.name(), e.toString());
        } finally {
            if (waited) {
                publishing.unlock();
            }
            endpoint.closeProducer();
        }
    }

    /** A batch the route did not publish whole: the engine stops and restarts from its committed offsets. */
    static final class BatchNotPublishedException extends RuntimeException {
        BatchNotPublishedException(String capture, int changes, Throwable cause) {
            super("A batch of " + changes + " changes of " + capture + " was not published: " + cause, cause);
        }
    }
}
