package io.cdchub.aggregation;

import java.time.Duration;

import io.cdchub.config.InvalidConfigurationException;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Threshold aggregation ({@code cdc.aggregation.*}); Redis itself is Spring's {@code spring.data.redis.*}.
 *
 * @param enabled          whether this instance runs consumers (false e.g. for a source-only instance; the API still
 *                         defines and removes consumers, which run on the other instances)
 * @param keyPrefix        prefix of every Redis key cdc-hub writes (several deployments can share one Redis)
 * @param syncInterval     how often each instance reads the consumer definitions from Redis and starts/stops its
 *                         consumer routes to match (definitions made through another instance arrive within this)
 * @param checkInterval    how often an overdue window (max_time passed, e.g. its timer was on a crashed instance) is
 *                         completed, and how often a completed window left behind is picked up
 * @param batchSize        most records a consumer route reads in one Kafka poll, and so adds to its window in one Redis
 *                         step
 * @param lockLease        lease of the lock an instance holds while it runs a consumer's pipeline; renewed while the run
 *                         lasts, taken over by another instance when it expires (its holder died)
 * @param runHistory       runs kept per consumer (shown by GET /consumer/info)
 * @param retry            back-off while Redis or a pipeline's target is unavailable
 * @param maxEventLimit    largest max_event the API accepts
 * @param maxTimeLimit     largest max_time (seconds) the API accepts
 * @param webhookTimeoutMs longest wait for a webhook's answer
 */
@ConfigurationProperties("cdc.aggregation")
public record AggregationProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("cdc-hub:aggregation") String keyPrefix,
        @DefaultValue("5s") Duration syncInterval,
        @DefaultValue("1s") Duration checkInterval,
        @DefaultValue("1000") int batchSize,
        @DefaultValue("30s") Duration lockLease,
        @DefaultValue("20") int runHistory,
        @DefaultValue Retry retry,
        @DefaultValue("100000") int maxEventLimit,
        @DefaultValue("604800") long maxTimeLimit,
        @DefaultValue("30000") int webhookTimeoutMs) {

    /**
     * @param initialDelayMs first wait before a retry
     * @param maxDelayMs     longest wait between retries (the wait doubles up to it)
     */
    public record Retry(@DefaultValue("500") long initialDelayMs, @DefaultValue("30000") long maxDelayMs) {
    }

    public AggregationProperties {
        if (keyPrefix == null || !keyPrefix.matches("[A-Za-z0-9:_.-]{1,64}")) {
            throw new InvalidConfigurationException("cdc.aggregation.key-prefix", "must be 1-64 letters, digits, ':', '_', '.' or '-', but is '" + keyPrefix + "'");
        }
        positive("cdc.aggregation.sync-interval", syncInterval);
        positive("cdc.aggregation.check-interval", checkInterval);
        if (batchSize < 1 || batchSize > 10000) {
            throw new InvalidConfigurationException("cdc.aggregation.batch-size", "must be 1-10000, but is " + batchSize);
        }
        if (lockLease.toMillis() < 1000) {
            throw new InvalidConfigurationException("cdc.aggregation.lock-lease", "must be at least 1s, but is " + lockLease);
        }
        if (runHistory < 1 || runHistory > 1000) {
            throw new InvalidConfigurationException("cdc.aggregation.run-history", "must be 1-1000, but is " + runHistory);
        }
        if (retry.initialDelayMs() < 1 || retry.maxDelayMs() < retry.initialDelayMs()) {
            throw new InvalidConfigurationException("cdc.aggregation.retry.initial-delay-ms",
                    "must be positive and at most cdc.aggregation.retry.max-delay-ms, but is " + retry.initialDelayMs() + " / " + retry.maxDelayMs());
        }
        if (maxEventLimit < 1) {
            throw new InvalidConfigurationException("cdc.aggregation.max-event-limit", "must be positive, but is " + maxEventLimit);
        }
        if (maxTimeLimit < 1) {
            throw new InvalidConfigurationException("cdc.aggregation.max-time-limit", "must be positive, but is " + maxTimeLimit);
        }
        if (webhookTimeoutMs < 1) {
            throw new InvalidConfigurationException("cdc.aggregation.webhook-timeout-ms", "must be positive, but is " + webhookTimeoutMs);
        }
    }

    private static void positive(String property, Duration value) {
        if (value.toMillis() < 10) {
            throw new InvalidConfigurationException(property, "must be at least 10ms, but is " + value);
        }
    }
}
