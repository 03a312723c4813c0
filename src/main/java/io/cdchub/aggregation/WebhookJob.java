package io.cdchub.aggregation;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.connections.ConnectionsProperties;
import io.cdchub.connections.TargetRefusedException;
import io.cdchub.connections.TargetUnavailableException;
import io.cdchub.connections.WriteFence;
import org.springframework.stereotype.Component;

/**
 * Job type {@code webhook}: POSTs a JSON summary of the window to the consumer's http(s) connection (the JDK's HTTP
 * client, {@code cdc.aggregation.webhook-timeout-ms} for the answer): window id and times, events, keys, counts per operation (of
 * each key's latest change) and per table, and each key with its latest operation. 2xx is success; 400, 413 and 422
 * refuse the summary (run failed, events dead-lettered); any other status (401, 403, 404, 408, 429, 5xx...) or no
 * answer means the receiver is unavailable (retried with back-off, the window kept).
 */
@Component
public class WebhookJob {

    private final ConnectionsProperties connections;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    private final Duration timeout;

    public WebhookJob(ConnectionsProperties connections, AggregationProperties aggregation) {
        this.connections = connections;
        this.timeout = Duration.ofMillis(aggregation.webhookTimeoutMs());
    }

    /** Posts the window's summary, unless {@code fence} says the run lost its run lock (checked just before the request). */
    public void post(ConsumerDefinition definition, String windowId, Map<String, String> meta, List<AggregationEvent> events, WriteFence fence) {
        ConnectionsProperties.TargetConnection connection = connections.connections().get(definition.connectionId());
        if (connection == null) {
            throw new TargetRefusedException("connection '" + definition.connectionId() + "' is not configured", null);
        }
        String body = summary(definition, windowId, meta, events);
        HttpRequest.Builder request;
        try {
            request = HttpRequest.newBuilder(URI.create(connection.url())).timeout(timeout).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body.getBytes(StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException e) {
            throw new TargetUnavailableException("webhook " + definition.connectionId() + ": " + e.getMessage(), e);
        }
        if (!connection.username().isEmpty()) {
            request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (connection.username() + ":" + connection.password()).getBytes(StandardCharsets.UTF_8)));
        }
        fence.check();
        int status;
        try {
            status = http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (java.io.IOException e) {
            throw new TargetUnavailableException("webhook " + definition.connectionId() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TargetUnavailableException("webhook " + definition.connectionId() + ": interrupted (stopping?)", e);
        }
        if (status >= 200 && status < 300) {
            return;
        }
        String message = "webhook " + definition.connectionId() + " answered HTTP " + status;
        if (refusesTheSummary(status)) {
            throw new TargetRefusedException(message, null);
        }
        throw new TargetUnavailableException(message, null);
    }

    /**
     * Whether the receiver refused the window's summary for what it says (400 bad request, 413 too large, 422
     * unprocessable): the run fails and its events are dead-lettered. Any other status is the receiver's state:
     * 401/403 (credentials, rights), 404/410 (a wrong or moved address), 3xx, 408, 429, 5xx: retried, the window kept.
     */
    static boolean refusesTheSummary(int status) {
        return status == 400 || status == 413 || status == 422;
    }

    static String summary(ConsumerDefinition definition, String windowId, Map<String, String> meta, List<AggregationEvent> events) {
        Map<String, Integer> perOp = new TreeMap<>();
        Map<String, Integer> perTable = new TreeMap<>();
        List<Map<String, Object>> keys = new ArrayList<>();
        for (AggregationEvent event : events) {
            try {
                io.cdchub.change.ChangeEvent envelope = io.cdchub.change.ChangeEvent.read(
                        event.key().getBytes(java.nio.charset.StandardCharsets.UTF_8), event.value().getBytes(java.nio.charset.StandardCharsets.UTF_8), 0);
                String op = java.util.Objects.toString(envelope.op(), "");
                String table = java.util.Objects.toString(envelope.schema(), "") + "." + java.util.Objects.toString(envelope.table(), "");
                perOp.merge(op, 1, Integer::sum);
                perTable.merge(table, 1, Integer::sum);
                Map<String, Object> key = new LinkedHashMap<>();
                key.put("table", table);
                key.put("op", op);
                key.put("key", envelope.keyTree());
                keys.add(key);
            } catch (io.cdchub.change.UnreadableChangeException e) {
                throw new NotAChangeEventException("event " + event.topic() + "@" + event.offset() + " is not JSON");
            }
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("consumer_id", definition.consumerId());
        summary.put("pipeline_name", definition.pipelineName());
        summary.put("kafka_topic", definition.kafkaTopic());
        summary.put("window_id", windowId);
        summary.put("first_event_at", Instant.ofEpochMilli(Long.parseLong(meta.get("first"))).toString());
        summary.put("completed_at", Instant.ofEpochMilli(Long.parseLong(meta.getOrDefault("completed", meta.get("first")))).toString());
        summary.put("events", Long.parseLong(meta.getOrDefault("count", "0")));
        summary.put("keys", events.size());
        summary.put("counts", perOp);
        summary.put("tables", perTable);
        summary.put("changes", keys);
        try {
            return WindowEvents.JSON.writeValueAsString(summary);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
