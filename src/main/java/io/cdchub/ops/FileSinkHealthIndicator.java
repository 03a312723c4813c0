package io.cdchub.ops;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * {@code parquet} / {@code delta} (with their sink enabled): the sink's store (a folder or an S3 bucket) answers a
 * look-up of the sink's root within {@code cdc.health.timeout}; DOWN too while the sink's writes fail and are retried
 * (a full disk, a bucket refusing the credentials), even when the look-up succeeds.
 */
public class FileSinkHealthIndicator extends AbstractHealthIndicator {

    private final String location;
    private final Callable<?> probe;
    private final Duration timeout;
    private final Supplier<String> sinkOutage;

    /**
     * @param location   where the sink writes (no credentials), shown as a detail
     * @param probe      a cheap look-up in the store that throws when the store cannot be reached
     * @param sinkOutage why the sink's writes fail now, or null while they succeed
     */
    public FileSinkHealthIndicator(String location, Callable<?> probe, Duration timeout, Supplier<String> sinkOutage) {
        super("File sink check failed");
        this.location = location;
        this.probe = probe;
        this.timeout = timeout;
        this.sinkOutage = sinkOutage;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("location", location);
        try {
            TimedCheck.call(probe, timeout);
            String outage = sinkOutage.get();
            if (outage != null) {
                builder.down().withDetail("reason", "the sink's writes fail and are retried: " + outage);
            } else {
                builder.up();
            }
        } catch (Exception e) {
            builder.down().withDetail("reason", String.valueOf(e.getMessage()));
        }
    }
}
