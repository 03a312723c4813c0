package io.cdchub.ops;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.Node;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/** {@code kafka}: the cluster answers a describeCluster through the shared admin client within {@code cdc.health.timeout}. */
public class KafkaHealthIndicator extends AbstractHealthIndicator {

    private final Admin admin;
    private final Duration timeout;

    public KafkaHealthIndicator(Admin admin, Duration timeout) {
        super("Kafka check failed");
        this.admin = admin;
        this.timeout = timeout;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        long ms = timeout.toMillis();
        try {
            DescribeClusterResult cluster = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) ms));
            String clusterId = cluster.clusterId().get(ms, TimeUnit.MILLISECONDS);
            Collection<Node> nodes = cluster.nodes().get(ms, TimeUnit.MILLISECONDS);
            Node controller = cluster.controller().get(ms, TimeUnit.MILLISECONDS);
            builder.up().withDetail("clusterId", clusterId).withDetail("nodes", nodes.size());
            if (controller != null && !controller.isEmpty()) {
                builder.withDetail("controller", controller.host() + ":" + controller.port());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            builder.down().withDetail("reason", "interrupted");
        } catch (Exception e) {
            Throwable cause = e.getCause() != null && e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            builder.down().withDetail("reason", "Kafka unreachable within " + ms + " ms: " + cause);
        }
    }
}
