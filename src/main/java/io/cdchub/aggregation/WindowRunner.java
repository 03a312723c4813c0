package io.cdchub.aggregation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.cdchub.connections.TargetRefusedException;
import io.cdchub.connections.TargetUnavailableException;
import io.cdchub.connections.WriteFence;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Runs a consumer's pipeline on its completed windows (route {@code aggregation-window}, step {@code run-pipeline}).
 * <p>
 * Exactly one instance runs a consumer's pipeline at a time: the run lock in Redis (a token with a lease, renewed
 * while the run lasts). Holding it, the runner takes the completed windows in their order, oldest first, up to the
 * one it was handed (windows completed on other instances included), so windows are applied in order. A window is
 * forgotten only when its run ended: succeeded, or failed for good (the target refused the window's data: the run is
 * marked failed and the window's events are dead-lettered). When the target is unavailable (down, credentials, rights,
 * read-only, a missing table, a lock timeout...: {@link io.cdchub.connections.JdbcTargets#classify}) the run is
 * recorded as {@code retrying}, the consumer's readiness is DOWN, and the exception goes back to the route, whose
 * error handler retries with exponential back-off; the window stays in Redis meanwhile.
 */
@Component("windowRunner")
public class WindowRunner implements DisposableBean {

    private static final Logger LOG = LoggerFactory.getLogger(WindowRunner.class);

    private final WindowStore store;
    private final ConsumerRoutes consumers;
    private final AggregationProperties properties;
    private final SyncJob sync;
    private final WebhookJob webhook;
    private final AggregationMetrics metrics;
    private final ProducerTemplate producer;
    private final CamelContext camel;
    /** Per consumer, why its target is unavailable while its run is being retried (readiness, see AggregationHealthIndicator). */
    private final Map<String, String> outages = new java.util.concurrent.ConcurrentHashMap<>();
    private final ScheduledExecutorService renewals = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cdc-aggregation-lock-renewal");
        t.setDaemon(true);
        return t;
    });

    public WindowRunner(WindowStore store, ConsumerRoutes consumers, AggregationProperties properties, SyncJob sync,
                        WebhookJob webhook, AggregationMetrics metrics, CamelContext camel) {
        this.store = store;
        this.consumers = consumers;
        this.properties = properties;
        this.sync = sync;
        this.webhook = webhook;
        this.metrics = metrics;
        this.camel = camel;
        this.producer = camel.createProducerTemplate();
    }

    public void run(Exchange exchange) {
        Window window = exchange.getMessage().getBody(Window.class);
        ConsumerDefinition definition = consumers.running(window.consumerId());
        if (definition == null) {
            LOG.info("Consumer {} no longer runs here; window {} stays in Redis for when it runs again", window.consumerId(), window.windowId());
            return;
        }
        if (!store.isPending(window.consumerId(), window.windowId())) {
            return; // run already (by another instance, or as part of an earlier drain)
        }
        long lease = properties.lockLease().toMillis();
        String token = store.tryLock(window.consumerId(), lease);
        if (token == null) {
            throw new WindowBusyException("consumer " + window.consumerId() + ": another instance is running the pipeline");
        }
        RunLock lock = new RunLock(window.consumerId(), token, lease);
        ScheduledFuture<?> renewal = renewals.scheduleWithFixedDelay(() -> {
            try {
                if (!lock.lost() && !store.renew(window.consumerId(), token, lease)) {
                    lock.lose("its lease expired before it could be renewed");
                }
            } catch (RuntimeException e) {
                LOG.debug("Run lock renewal failed: {}", e.toString());
            }
        }, lease / 3, lease / 3, TimeUnit.MILLISECONDS);
        try {
            String head;
            while ((head = store.pendingHead(window.consumerId())) != null) {
                lock.check(); // no further window once the lock is gone: its new holder runs them
                runOne(definition, head, lock);
                if (head.equals(window.windowId())) {
                    break;
                }
            }
        } finally {
            renewal.cancel(false);
            try {
                store.unlock(window.consumerId(), token);
            } catch (RuntimeException e) {
                LOG.debug("Run lock release failed (it expires): {}", e.toString());
            }
        }
    }

    /**
     * The run lock as this run holds it, and the fence of its writes: {@link #check()} renews the lease (one atomic Redis
     * step that succeeds only while the lock still holds this run's token) and throws once the lock is lost, so a run
     * that stalled longer than its lease (and whose lock another run took over) can neither write an older window over
     * the newer ones that run applied nor go on with the next window. JDBC targets call it inside the window's
     * transaction, just before the commit (and serialise one consumer's transactions on PostgreSQL); ClickHouse and
     * webhooks before each request.
     */
    private final class RunLock implements WriteFence {
        private final String consumerId;
        private final String token;
        private final long lease;
        private volatile boolean lost;

        RunLock(String consumerId, String token, long lease) {
            this.consumerId = consumerId;
            this.token = token;
            this.lease = lease;
        }

        boolean lost() {
            return lost;
        }

        void lose(String why) {
            if (!lost) {
                lost = true;
                LOG.warn("Consumer {}: this run lost its run lock ({}); it writes nothing more and leaves the waiting windows to the lock's "
                        + "holder", consumerId, why);
            }
        }

        @Override
        public String name() {
            return consumerId;
        }

        @Override
        public void check() {
            if (!lost && !store.renew(consumerId, token, lease)) {
                lose("another run holds it now");
            }
            if (lost) {
                throw new WindowBusyException("consumer " + consumerId + ": this run lost its run lock (its lease ran out); its write is "
                        + "rolled back or not sent, and the window is left to the run that holds the lock");
            }
        }
    }

    private void runOne(ConsumerDefinition definition, String windowId, RunLock lock) {
        String consumerId = definition.consumerId();
        Map<String, String> meta = store.completedMeta(consumerId, windowId);
        if (meta.isEmpty()) {
            store.finish(consumerId, windowId); // nothing left of it (all events were duplicates)
            return;
        }
        List<AggregationEvent> events = store.completedEvents(consumerId, windowId).stream().map(WindowEvents::fromStored).toList();
        long count = Long.parseLong(meta.getOrDefault("count", "0"));
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("window_id", windowId);
        run.put("job_type", definition.jobType());
        run.put("started_at", Instant.now().toString());
        run.put("window_first_event_at", Instant.ofEpochMilli(Long.parseLong(meta.get("first"))).toString());
        run.put("window_completed_at", Instant.ofEpochMilli(Long.parseLong(meta.getOrDefault("completed", meta.get("first")))).toString());
        run.put("events", count);
        run.put("keys", events.size());
        try {
            if (definition.job() == JobType.SYNC) {
                sync.apply(definition, events, lock);
            } else {
                webhook.post(definition, windowId, meta, events, lock);
            }
            run.put("status", "ok");
            run.put("ended_at", Instant.now().toString());
            record(consumerId, windowId, run);
            store.finish(consumerId, windowId);
            metrics.run(consumerId, "ok", count);
            targetBack(consumerId);
            LOG.info("Consumer {}: window {} ({} events, {} keys) applied by {}", consumerId, windowId, count, events.size(), definition.jobType());
        } catch (TargetUnavailableException e) {
            run.put("status", "retrying");
            run.put("error", e.getMessage());
            record(consumerId, windowId, run);
            metrics.retry(consumerId);
            if (outages.put(consumerId, e.getMessage()) == null) {
                LOG.warn("Consumer {}: its target is unavailable; window {} is kept and its run retried with back-off (nothing is "
                        + "dead-lettered), readiness is DOWN meanwhile: {}", consumerId, windowId, e.getMessage());
            }
            throw e;
        } catch (WindowBusyException e) {
            run.put("status", "retrying");
            run.put("error", e.getMessage());
            record(consumerId, windowId, run);
            metrics.retry(consumerId);
            throw e;
        } catch (TargetRefusedException | NotAChangeEventException e) {
            run.put("status", "failed");
            run.put("error", e.getMessage());
            run.put("ended_at", Instant.now().toString());
            deadLetter(definition, events, e);
            record(consumerId, windowId, run);
            store.finish(consumerId, windowId);
            metrics.run(consumerId, "failed", count);
            targetBack(consumerId);
            LOG.error("Consumer {}: window {} failed for good, its {} events are dead-lettered: {}", consumerId, windowId, events.size(), e.getMessage());
        }
    }

    private void targetBack(String consumerId) {
        if (outages.remove(consumerId) != null) {
            LOG.info("Consumer {}: its target takes runs again", consumerId);
        }
    }

    /** Consumers whose target is unavailable now (their run is being retried), with the reason. */
    public Map<String, String> outages() {
        return Map.copyOf(outages);
    }

    private void record(String consumerId, String windowId, Map<String, Object> run) {
        try {
            store.recordRun(consumerId, windowId, WindowEvents.JSON.writeValueAsString(run), properties.runHistory());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Each event of the window to the shared dead-letter route, with the original topic/partition/offset and the reason. */
    private void deadLetter(ConsumerDefinition definition, List<AggregationEvent> events, Exception reason) {
        List<String> failures = new ArrayList<>();
        for (AggregationEvent event : events) {
            Exchange letter = new DefaultExchange(camel);
            letter.getMessage().setBody(event.value().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            letter.getMessage().setHeader(KafkaConstants.KEY, event.key().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            letter.getMessage().setHeader(KafkaConstants.TOPIC, event.topic());
            letter.getMessage().setHeader(KafkaConstants.PARTITION, event.partition());
            letter.getMessage().setHeader(KafkaConstants.OFFSET, event.offset());
            letter.setProperty(Exchange.EXCEPTION_CAUGHT, reason);
            letter.setProperty(Exchange.FAILURE_ROUTE_ID, definition.routeId());
            letter.setProperty(Exchange.FAILURE_ENDPOINT, "connection:" + definition.connectionId());
            producer.send("direct:dead-letter", letter);
            if (letter.getException() != null) {
                failures.add(letter.getException().getMessage());
            }
        }
        if (!failures.isEmpty()) {
            // the window stays, and is tried again: its events are never dropped
            throw new TargetUnavailableException("cannot dead-letter the failed window's events: " + failures.get(0), null);
        }
        metrics.deadLetters(definition.consumerId(), events.size());
    }

    @Override
    public void destroy() {
        renewals.shutdownNow();
    }
}
