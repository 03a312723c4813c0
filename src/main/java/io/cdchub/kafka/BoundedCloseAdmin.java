package io.cdchub.kafka;

import java.time.Duration;
import java.util.Map;

import org.apache.kafka.clients.admin.ForwardingAdmin;

/**
 * Kafka's admin client, closed within a time limit. {@code Admin.close()} waits without limit for pending calls,
 * and with Kafka unreachable a pending call (a lag or health read, a topic creation) retries until its own
 * timeout (default.api.timeout.ms, 60 s), so stopping cdc-hub during an outage would wait that long after Camel
 * has already stopped. The calls are reads or idempotent creations: abandoning them loses nothing.
 */
public class BoundedCloseAdmin extends ForwardingAdmin {

    private final Duration closeTimeout;

    public BoundedCloseAdmin(Map<String, Object> settings, Duration closeTimeout) {
        super(settings);
        this.closeTimeout = closeTimeout;
    }

    @Override
    public void close() {
        close(closeTimeout);
    }
}
