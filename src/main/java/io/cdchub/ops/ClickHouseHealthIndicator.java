package io.cdchub.ops;

import java.time.Duration;

import io.cdchub.sink.clickhouse.ClickHouseClient;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * {@code clickhouse} (with {@code cdc.sink.clickhouse.enabled}): {@code SELECT 1} through a client like the sink's
 * (same address, credentials and database), within {@code cdc.health.timeout}; DOWN too while the sink's
 * inserts fail and are retried.
 */
public class ClickHouseHealthIndicator extends AbstractHealthIndicator {

    private final ClickHouseClient client;
    private final String url;
    private final Duration timeout;
    private final java.util.function.Supplier<String> sinkOutage;

    /** @param sinkOutage why the sink's writes fail now (rights, a read-only or missing table), or null while they succeed */
    public ClickHouseHealthIndicator(ClickHouseClient client, String url, Duration timeout, java.util.function.Supplier<String> sinkOutage) {
        super("ClickHouse check failed");
        this.client = client;
        this.url = url;
        this.timeout = timeout;
        this.sinkOutage = sinkOutage;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("url", url).withDetail("database", client.database());
        try {
            String answer = TimedCheck.call(() -> client.execute("SELECT 1"), timeout).trim();
            String outage = sinkOutage.get();
            if ("1".equals(answer) && outage != null) {
                // the server answers, but not to the sink's inserts: still an outage for this app
                builder.down().withDetail("reason", "the sink's writes fail and are retried: " + outage);
            } else if ("1".equals(answer)) {
                builder.up();
            } else {
                builder.down().withDetail("reason", "unexpected answer to SELECT 1: " + answer);
            }
        } catch (Exception e) {
            builder.down().withDetail("reason", String.valueOf(e.getMessage()));
        }
    }
}
