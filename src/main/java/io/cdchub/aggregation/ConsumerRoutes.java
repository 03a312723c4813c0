package io.cdchub.aggregation;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.apache.camel.builder.ThreadPoolProfileBuilder;
import org.apache.camel.support.DefaultExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The consumers this instance runs: one route per consumer definition stored in Redis, made from the route template
 * {@code kafka-to-aggregation}. Every {@code cdc.aggregation.sync-interval} each instance reads the definitions and
 * starts or stops routes to match, so definitions survive restarts and reach every instance; while Redis cannot be
 * reached the running routes keep going (their own Redis writes wait) and nothing changes. Every
 * {@code cdc.aggregation.check-interval} a second task completes the windows whose max_time has passed since their
 * first event (on whichever instance notices first: a window outlives the instance that opened it), and hands a
 * completed window left waiting (its run was on an instance that stopped) to the pipeline.
 */
@Component
public class ConsumerRoutes implements DisposableBean {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerRoutes.class);

    /** Thread pool profile of the window runs: one thread per consumer hands its completed windows to the pipeline. */
    static final String WINDOW_THREADS = "aggregation-window";

    private final CamelContext camel;
    private final WindowStore store;
    private final AggregationProperties properties;
    private final ProducerTemplate producer;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cdc-aggregation-sync");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean redisReachable = true;
    private volatile long lastSyncAt;

    /**
     * @param runs   the consumer's run thread: runs its completed windows off the consumer thread, one at a time
     * @param queued runs handed to it and not finished (a left-over window is handed over only when it is idle)
     */
    private record Running(ConsumerDefinition definition, ExecutorService runs, AtomicInteger queued) {
    }

    public ConsumerRoutes(CamelContext camel, WindowStore store, AggregationProperties properties) {
        this.camel = camel;
        this.store = store;
        this.properties = properties;
        this.producer = camel.createProducerTemplate();
        camel.getExecutorServiceManager().registerThreadPoolProfile(new ThreadPoolProfileBuilder(WINDOW_THREADS)
                .poolSize(1).maxPoolSize(1).maxQueueSize(-1).build());
    }

    @EventListener(ApplicationReadyEvent.class)
    public void startSync() {
        if (!properties.enabled()) {
            LOG.info("Aggregation consumers do not run on this instance (cdc.aggregation.enabled=false)");
            return;
        }
        long every = properties.syncInterval().toMillis();
        scheduler.scheduleWithFixedDelay(() -> guarded(this::sync), 0, every, TimeUnit.MILLISECONDS);
        long check = properties.checkInterval().toMillis();
        scheduler.scheduleWithFixedDelay(() -> guarded(this::completeOverdueWindows), check, check, TimeUnit.MILLISECONDS);
    }

    /** A periodic task that throws is never run again: log and carry on instead. */
    private static void guarded(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.warn("Aggregation housekeeping failed, retrying at the next interval: {}", e.toString());
        }
    }

    /** The definition of a consumer running here, or null. */
    public ConsumerDefinition running(String consumerId) {
        Running r = consumerId == null ? null : running.get(consumerId);
        return r == null ? null : r.definition();
    }

    public Set<String> runningIds() {
        return Set.copyOf(running.keySet());
    }

    /** Whether the last look at Redis (definitions sync) succeeded. */
    public boolean redisReachable() {
        return redisReachable;
    }

    /** Matches the routes of this instance to the stored definitions. */
    public synchronized void sync() {
        Map<String, String> definitions;
        try {
            definitions = store.definitions();
        } catch (RuntimeException e) {
            if (redisReachable && running.isEmpty()) {
                LOG.info("Redis is not reachable ({}): consumers (threshold aggregation) start once it is; checking every {}",
                        e.getMessage(), properties.syncInterval());
            } else if (redisReachable) {
                LOG.warn("Cannot read the consumer definitions from Redis ({}); the running consumers {} wait for it, "
                        + "checking every {}", e.getMessage(), running.keySet(), properties.syncInterval());
            }
            redisReachable = false;
            return;
        }
        if (!redisReachable) {
            LOG.info("Redis is reachable again; consumer definitions: {}", definitions.keySet());
        }
        redisReachable = true;
        lastSyncAt = System.currentTimeMillis();
        for (String id : Set.copyOf(running.keySet())) {
            if (!definitions.containsKey(id)) {
                stopLocal(id);
            }
        }
        definitions.forEach((id, json) -> {
            try {
                ConsumerDefinition definition = WindowEvents.JSON.readValue(json, ConsumerDefinition.class);
                Running current = running.get(id);
                if (current != null && !current.definition().equals(definition)) {
                    stopLocal(id); // stopped and defined again, differently, between two syncs
                }
                if (!running.containsKey(id)) {
                    startLocal(definition);
                }
            } catch (JsonProcessingException | RuntimeException e) {
                LOG.error("Cannot start consumer {} from its stored definition: {}", id, e.getMessage());
            }
        });
    }

    /** Starts the consumer's route here (no-op when it runs already, or when this instance runs no consumers). */
    public synchronized void startLocal(ConsumerDefinition definition) {
        if (!properties.enabled() || running.containsKey(definition.consumerId())) {
            return;
        }
        String id = definition.consumerId();
        ExecutorService runs = camel.getExecutorServiceManager().newThreadPool(this, "aggregation-window-" + id, WINDOW_THREADS);
        try {
            TemplatedRouteBuilder.builder(camel, "kafka-to-aggregation")
                    .routeId(definition.routeId())
                    .parameter("consumerId", id)
                    .parameter("topic", definition.kafkaTopic())
                    .parameter("groupId", definition.groupId())
                    .parameter("autoOffsetReset", definition.autoOffsetReset())
                    .parameter("maxEvents", String.valueOf(definition.maxEvent()))
                    .add();
            running.put(id, new Running(definition, runs, new AtomicInteger()));
            LOG.info("Consumer {} started: topic {}, group {}, window {} events / {} s, {} to connection {}", id,
                    definition.kafkaTopic(), definition.groupId(), definition.maxEvent(), definition.maxTime(),
                    definition.jobType(), definition.connectionId());
        } catch (Exception e) {
            camel.getExecutorServiceManager().shutdownNow(runs);
            throw new IllegalStateException("cannot start consumer " + id + ": " + e.getMessage(), e);
        }
    }

    /** Stops and removes the consumer's route here; its windows stay in Redis. */
    public synchronized void stopLocal(String consumerId) {
        Running stopped = running.remove(consumerId);
        if (stopped == null) {
            return;
        }
        String routeId = ConsumerDefinition.routeId(consumerId);
        try {
            camel.getRouteController().stopRoute(routeId, 30, TimeUnit.SECONDS);
            camel.removeRoute(routeId);
        } catch (Exception e) {
            LOG.warn("Consumer {} did not stop cleanly: {}", consumerId, e.getMessage());
        }
        // a run waiting for its target is interrupted: its window stays in Redis for the next run, here or elsewhere
        camel.getExecutorServiceManager().shutdownNow(stopped.runs());
        LOG.info("Consumer {} stopped", consumerId);
    }

    /**
     * Hands a consumer's completed windows, oldest first up to {@code windowId}, to route {@code aggregation-window} on
     * the consumer's run thread. A consumer that no longer runs here leaves them in Redis, for where it runs.
     */
    void runWindows(String consumerId, String windowId) {
        Running r = running.get(consumerId);
        if (r == null) {
            return;
        }
        Window window = new Window(consumerId, windowId, 0, 0, 0);
        window.markCompleted();
        r.queued().incrementAndGet();
        try {
            r.runs().execute(() -> {
                try {
                    Exchange run = new DefaultExchange(camel);
                    run.getMessage().setBody(window);
                    producer.send("direct:aggregation-window", run);
                    if (run.getException() != null) {
                        // only when stopping: otherwise the route retries until the run ends; the window stays in Redis
                        LOG.debug("Run of consumer {} up to window {} put off: {}", consumerId, windowId, run.getException().toString());
                    }
                } finally {
                    r.queued().decrementAndGet();
                }
            });
        } catch (RejectedExecutionException e) {
            r.queued().decrementAndGet(); // stopping: the window stays in Redis
        }
    }

    /**
     * For each local consumer: completes its open window when max_time has passed since its first event, and otherwise
     * hands its oldest completed window to the pipeline when nothing runs it (neither here nor, by the run lock, on
     * another instance).
     */
    void completeOverdueWindows() {
        running.forEach((id, r) -> {
            try {
                Window open = store.open(id);
                if (open != null && System.currentTimeMillis() >= open.firstEventAt() + r.definition().maxTime() * 1000) {
                    if (store.complete(open)) {
                        runWindows(id, open.windowId());
                    }
                } else if (r.queued().get() == 0 && !store.locked(id)) {
                    String head = store.pendingHead(id);
                    if (head != null) {
                        runWindows(id, head);
                    }
                }
            } catch (RuntimeException e) {
                LOG.debug("Overdue-window check of consumer {} failed: {}", id, e.toString());
            }
        });
    }

    @Override
    public void destroy() throws InterruptedException {
        scheduler.shutdownNow();
        scheduler.awaitTermination(5, TimeUnit.SECONDS);
    }
}
