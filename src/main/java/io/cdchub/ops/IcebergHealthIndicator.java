package io.cdchub.ops;

import java.time.Duration;

import io.cdchub.sink.iceberg.IcebergSink;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * {@code iceberg} (with {@code cdc.sink.iceberg.enabled}): the catalog answers (the namespace's tables listed, or the
 * namespace looked up) within {@code cdc.health.timeout}; DOWN too while the sink's commits fail and are retried (the
 * warehouse's store down, say).
 */
public class IcebergHealthIndicator extends AbstractHealthIndicator {

    private final IcebergSink sink;
    private final Duration timeout;
    private final java.util.function.Supplier<String> sinkOutage;

    public IcebergHealthIndicator(IcebergSink sink, Duration timeout, java.util.function.Supplier<String> sinkOutage) {
        super("Iceberg check failed");
        this.sink = sink;
        this.timeout = timeout;
        this.sinkOutage = sinkOutage;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("catalog", sink.endpoint());
        try {
            TimedCheck.call(() -> sink.catalog() instanceof SupportsNamespaces namespaces && !namespaces.namespaceExists(sink.namespace())
                    ? "no namespace yet" : sink.catalog().listTables(sink.namespace()).size() + " tables", timeout);
            String outage = sinkOutage.get();
            if (outage != null) {
                builder.down().withDetail("reason", "the sink's commits fail and are retried: " + outage);
            } else {
                builder.up();
            }
        } catch (Exception e) {
            builder.down().withDetail("reason", String.valueOf(e.getMessage()));
        }
    }
}
