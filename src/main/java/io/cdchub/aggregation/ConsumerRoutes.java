package io.cdchub.aggregation;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.apache.camel.builder.ThreadPoolProfileBuilder;
import org.apache.camel.processor.aggregate.DefaultAggregateController;
import org.apache.camel.spi.OptimisticLockingAggregationRepository.OptimisticLockingException;
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
 * reached the running routes keep going (their own Redis writes wait) and nothing changes. The same task completes
 * windows that are overdue (max_time passed since their first event) when the aggregator's own timer is gone, e.g.
 * because it was on an instance that crashed.
 */
@Component
public class ConsumerRoutes implements DisposableBean {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerRoutes.class);

    /** Thread pool profile of the aggregators: one thread per consumer hands completed windows to the pipeline. */
    static final String WINDOW_THREADS = "aggregation-window";

    private final CamelContext camel;
    private final WindowStore store;
    private final AggregationProperties properties;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cdc-aggregation-sync");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean redisReachable = true;
    private volatile long lastSyncAt;

    private record Running(ConsumerDefinition definition, DefaultAggregateController controller) {
    }

    public ConsumerRoutes(CamelContext camel, WindowStore store, AggregationProperties properties) {
        this.camel = camel;
        this.store = store;
        this.properties = properties;
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
        String repository = "aggregation-repository-" + id;
        String controllerName = "aggregation-controller-" + id;
        DefaultAggregateController controller = new DefaultAggregateController();
        camel.getRegistry().bind(repository, new RedisWindowRepository(store, id, properties.checkInterval().toMillis()));
        camel.getRegistry().bind(controllerName, controller);
        try {
            TemplatedRouteBuilder.builder(camel, "kafka-to-aggregation")
                    .routeId(definition.routeId())
                    .parameter("consumerId", id)
                    .parameter("topic", definition.kafkaTopic())
                    .parameter("groupId", definition.groupId())
                    .parameter("autoOffsetReset", definition.autoOffsetReset())
                    .parameter("maxEvents", String.valueOf(definition.maxEvent()))
                    .parameter("repository", repository)
                    .parameter("controller", controllerName)
                    .add();
            running.put(id, new Running(definition, controller));
            LOG.info("Consumer {} started: topic {}, group {}, window {} events / {} s, {} to connection {}", id,
                    definition.kafkaTopic(), definition.groupId(), definition.maxEvent(), definition.maxTime(),
                    definition.jobType(), definition.connectionId());
        } catch (Exception e) {
            camel.getRegistry().unbind(repository);
            camel.getRegistry().unbind(controllerName);
            throw new IllegalStateException("cannot start consumer " + id + ": " + e.getMessage(), e);
        }
    }

    /** Stops and removes the consumer's route here; its windows stay in Redis. */
    public synchronized void stopLocal(String consumerId) {
        if (running.remove(consumerId) == null) {
            return;
        }
        String routeId = ConsumerDefinition.routeId(consumerId);
        try {
            camel.getRouteController().stopRoute(routeId, 30, TimeUnit.SECONDS);
            camel.removeRoute(routeId);
        } catch (Exception e) {
            LOG.warn("Consumer {} did not stop cleanly: {}", consumerId, e.getMessage());
        }
        camel.getRegistry().unbind("aggregation-repository-" + consumerId);
        camel.getRegistry().unbind("aggregation-controller-" + consumerId);
        LOG.info("Consumer {} stopped", consumerId);
    }

    /** Completes each local consumer's window whose max_time has passed (the aggregator's own timer normally does). */
    void completeOverdueWindows() {
        running.forEach((id, r) -> {
            try {
                Window open = store.open(id);
                long grace = properties.checkInterval().toMillis();
                if (open != null && System.currentTimeMillis() >= open.firstEventAt() + r.definition().maxTime() * 1000 + grace) {
                    r.controller().forceCompletionOfGroup(id);
                }
            } catch (OptimisticLockingException e) {
                // another instance completed or extended it meanwhile
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
