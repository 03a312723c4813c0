package io.cdchub.ops;

import java.time.Duration;

import io.cdchub.sink.clickhouse.ClickHouseClient;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * {@code clickhouse} (with {@code cdc.sink.clickhouse.enabled}): {@code SELECT 1} through the sink's own client
 * and route (same address, credentials and database), within {@code cdc.health.timeout}.
 */
public class ClickHouseHealthIndicator extends AbstractHealthIndicator {

    private final ClickHouseClient client;
    private final String url;
    private final Duration timeout;

    public ClickHouseHealthIndicator(ClickHouseClient client, String url, Duration timeout) {
        super("ClickHouse check failed");
        this.client = client;
        this.url = url;
        this.timeout = timeout;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("url", url).withDetail("database", client.database());
        try {
            String answer = TimedCheck.call(() -> client.execute("SELECT 1"), timeout).trim();
            if ("1".equals(answer)) {
                builder.up();
            } else {
                builder.down().withDetail("reason", "unexpected answer to SELECT 1: " + answer);
            }
        } catch (Exception e) {
            builder.down().withDetail("reason", String.valueOf(e.getMessage()));
        }
    }
}
