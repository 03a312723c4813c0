package io.cdchub.aggregation;

import java.util.LinkedHashSet;
import java.util.Set;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.spi.OptimisticLockingAggregationRepository;
import org.apache.camel.spi.RecoverableAggregationRepository;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.service.ServiceSupport;

/**
 * Camel aggregation repository of one consumer, on Redis through Spring Data Redis ({@link WindowStore}).
 * camel-spring-redis 4.17 has idempotent repositories only, no aggregation repository, hence this one.
 * <ul>
 * <li>Optimistic locking: every write checks the window's version in the same atomic step, so several instances
 * aggregate into one window safely and only one of them completes it (the others get
 * {@link OptimisticLockingException} and Camel retries them against the new state).</li>
 * <li>Incremental: an aggregated exchange's body is a {@link Window} handle; {@code add} writes only the events
 * aggregated since it was read, never the whole window.</li>
 * <li>Recoverable: a completed window stays in Redis until its run ended; {@link #scan} hands the oldest one to
 * Camel's recovery task when no instance is running the consumer's pipeline (the holder died, or the run failed
 * and was left for later), so no window is lost to a crash.</li>
 * </ul>
 */
public class RedisWindowRepository extends ServiceSupport implements OptimisticLockingAggregationRepository, RecoverableAggregationRepository {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RedisWindowRepository.class);

    private final WindowStore store;
    private final String consumerId;
    private long recoveryIntervalMs;

    public RedisWindowRepository(WindowStore store, String consumerId, long recoveryIntervalMs) {
        this.store = store;
        this.consumerId = consumerId;
        this.recoveryIntervalMs = recoveryIntervalMs;
    }

    @Override
    public Exchange get(CamelContext camelContext, String key) {
        Window window = store.open(consumerId);
        return window == null ? null : exchange(camelContext, window);
    }

    static Exchange exchange(CamelContext camelContext, Window window) {
        Exchange exchange = new DefaultExchange(camelContext);
        exchange.setExchangeId(window.windowId());
        exchange.getMessage().setBody(window);
        exchange.setProperty(ExchangePropertyKey.AGGREGATED_SIZE, (int) Math.min(Integer.MAX_VALUE, window.count()));
        return exchange;
    }

    @Override
    public Exchange add(CamelContext camelContext, String key, Exchange oldExchange, Exchange newExchange) {
        store.store(newExchange.getMessage().getBody(Window.class), false);
        return oldExchange;
    }

    @Override
    public Exchange add(CamelContext camelContext, String key, Exchange exchange) {
        return add(camelContext, key, null, exchange);
    }

    @Override
    public void remove(CamelContext camelContext, String key, Exchange exchange) {
        Window window = exchange.getMessage().getBody(Window.class);
        if (!window.completed()) {
            store.store(window, true);
        }
    }

    /** Nothing here: the pipeline forgets a window itself once its run ended ({@link WindowRunner}). */
    @Override
    public void confirm(CamelContext camelContext, String exchangeId) {
        // the run's outcome, not the exchange's, decides when a window is gone
    }

    /** Used by Camel to restore completion timeouts at start; while Redis is away, overdue windows are left to ConsumerRoutes. */
    @Override
    public Set<String> getKeys() {
        try {
            return store.open(consumerId) == null ? Set.of() : Set.of(consumerId);
        } catch (RuntimeException e) {
            LOG.debug("Cannot list the open window of consumer {}: {}", consumerId, e.toString());
            return Set.of();
        }
    }

    /**
     * Called by Camel's recovery task, which stops for good if this throws: a Redis outage answers "nothing to
     * recover" until Redis is back.
     */
    @Override
    public Set<String> scan(CamelContext camelContext) {
        try {
            if (store.locked(consumerId)) {
                return Set.of(); // someone is running the pipeline; it drains the completed windows in order
            }
            String head = store.pendingHead(consumerId);
            Set<String> ids = new LinkedHashSet<>();
            if (head != null) {
                ids.add(head);
            }
            return ids;
        } catch (RuntimeException e) {
            LOG.debug("Cannot scan the completed windows of consumer {}: {}", consumerId, e.toString());
            return Set.of();
        }
    }

    @Override
    public Exchange recover(CamelContext camelContext, String exchangeId) {
        Window window;
        try {
            window = store.completed(consumerId, exchangeId);
        } catch (RuntimeException e) {
            LOG.debug("Cannot read completed window {} of consumer {}: {}", exchangeId, consumerId, e.toString());
            return null;
        }
        if (window == null) {
            return null;
        }
        Exchange exchange = exchange(camelContext, window);
        // what Camel's own completion sets: its recovery task counts completions by these and fails without them
        exchange.setProperty(ExchangePropertyKey.AGGREGATED_CORRELATION_KEY, consumerId);
        exchange.setProperty(ExchangePropertyKey.AGGREGATED_COMPLETED_BY, "force");
        return exchange;
    }

    @Override
    public void setRecoveryInterval(long interval, java.util.concurrent.TimeUnit timeUnit) {
        recoveryIntervalMs = timeUnit.toMillis(interval);
    }

    @Override
    public void setRecoveryInterval(long interval) {
        recoveryIntervalMs = interval;
    }

    @Override
    public long getRecoveryInterval() {
        return recoveryIntervalMs;
    }

    @Override
    public boolean isUseRecovery() {
        return true;
    }

    @Override
    public void setUseRecovery(boolean useRecovery) {
        // always on: a completed window must run somewhere
    }

    @Override
    public void setDeadLetterUri(String deadLetterUri) {
        // failed windows are dead-lettered event by event by WindowRunner
    }

    @Override
    public String getDeadLetterUri() {
        return null;
    }

    @Override
    public void setMaximumRedeliveries(int maximumRedeliveries) {
        // unlimited: WindowRunner decides when a run has failed for good
    }

    @Override
    public int getMaximumRedeliveries() {
        return 0;
    }
}
