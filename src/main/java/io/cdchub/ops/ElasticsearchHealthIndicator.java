package io.cdchub.ops;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.elasticsearch.client.Cancellable;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseListener;
import org.elasticsearch.client.RestClient;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * {@code elasticsearch} (with {@code cdc.sink.elasticsearch.enabled}): {@code GET /_cluster/health} through the
 * sink's REST client, within {@code cdc.health.timeout}. Red is DOWN; yellow (a single node's unassigned
 * replicas) is UP with the status in the details. DOWN too while the sink's writes fail and are retried (a read-only,
 * missing or closed index, missing rights): the cluster may be healthy and still not take the sink's documents.
 */
public class ElasticsearchHealthIndicator extends AbstractHealthIndicator {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RestClient client;
    private final Duration timeout;
    private final java.util.function.Supplier<String> sinkOutage;

    /** @param sinkOutage why the sink's writes fail now (a read-only or missing index, rights), or null while they succeed */
    public ElasticsearchHealthIndicator(RestClient client, Duration timeout, java.util.function.Supplier<String> sinkOutage) {
        super("Elasticsearch check failed");
        this.client = client;
        this.timeout = timeout;
        this.sinkOutage = sinkOutage;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) throws Exception {
        CompletableFuture<Response> answer = new CompletableFuture<>();
        Cancellable request = client.performRequestAsync(new Request("GET", "/_cluster/health"), new ResponseListener() {
            @Override
            public void onSuccess(Response response) {
                answer.complete(response);
            }

            @Override
            public void onFailure(Exception exception) {
                answer.completeExceptionally(exception);
            }
        });
        Response response;
        try {
            response = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            request.cancel();
            builder.down().withDetail("reason", "no answer within " + timeout.toMillis() + " ms");
            return;
        } catch (ExecutionException e) {
            builder.down().withDetail("reason", "Elasticsearch unreachable or refused: " + e.getCause());
            return;
        }
        JsonNode health = JSON.readTree(response.getEntity().getContent());
        String status = health.path("status").asText("unknown");
        builder.withDetail("cluster", health.path("cluster_name").asText()).withDetail("status", status)
                .withDetail("nodes", health.path("number_of_nodes").asInt());
        String outage = sinkOutage.get();
        if (!"green".equals(status) && !"yellow".equals(status)) {
            builder.down().withDetail("reason", "cluster status is " + status);
        } else if (outage != null) {
            // the cluster answers, but not to the sink's writes: still an outage for this app
            builder.down().withDetail("reason", "the sink's writes fail and are retried: " + outage);
        } else {
            builder.up();
        }
    }
}
