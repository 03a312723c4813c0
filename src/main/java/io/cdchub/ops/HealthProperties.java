package io.cdchub.ops;

import java.time.Duration;

import io.cdchub.config.InvalidConfigurationException;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Health checks and operational metrics ({@code cdc.health.*}).
 *
 * @param maxSlotLagBytes   the replication slot is DOWN when PostgreSQL holds more WAL than this for it
 *                          ({@code pg_current_wal_lsn() - confirmed_flush_lsn})
 * @param timeout           longest wait for one check of an external server (PostgreSQL, Kafka, a sink target)
 * @param slotLagInterval   how often the gauge {@code cdc.source.slot.lag.bytes} is sampled
 */
@ConfigurationProperties("cdc.health")
public record HealthProperties(
        @DefaultValue("1073741824") long maxSlotLagBytes,
        @DefaultValue("5s") Duration timeout,
        @DefaultValue("10s") Duration slotLagInterval) {

    public HealthProperties {
        if (maxSlotLagBytes <= 0) {
            throw new InvalidConfigurationException("cdc.health.max-slot-lag-bytes", "must be positive, but is " + maxSlotLagBytes);
        }
        if (timeout.toMillis() < 100) {
            throw new InvalidConfigurationException("cdc.health.timeout", "must be at least 100ms, but is " + timeout);
        }
        if (slotLagInterval.toMillis() < 100) {
            throw new InvalidConfigurationException("cdc.health.slot-lag-interval", "must be at least 100ms, but is " + slotLagInterval);
        }
    }
}
