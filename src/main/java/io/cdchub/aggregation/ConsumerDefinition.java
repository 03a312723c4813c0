package io.cdchub.aggregation;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.admin.ApiException;
import io.cdchub.connections.ConnectionsProperties;

/**
 * A consumer as the API defines it (the request body of POST /consumer/start, stored as JSON in Redis).
 *
 * @param consumerId      1-64 letters, digits, '_' or '-'; names the route and the Kafka group
 * @param kafkaTopic      the change topic read
 * @param pipelineName    free text for people (1-200 characters)
 * @param connectionId    a {@code cdc.connections.<id>}: JDBC for sync, http(s) for webhook
 * @param maxEvent        events that complete a window
 * @param maxTime         seconds after a window's first event that complete it
 * @param jobType         sync or webhook
 * @param autoOffsetReset where a new consumer group starts: earliest or latest
 */
public record ConsumerDefinition(
        @JsonProperty("consumer_id") String consumerId,
        @JsonProperty("kafka_topic") String kafkaTopic,
        @JsonProperty("pipeline_name") String pipelineName,
        @JsonProperty("connection_id") String connectionId,
        @JsonProperty("max_event") int maxEvent,
        @JsonProperty("max_time") long maxTime,
        @JsonProperty("job_type") String jobType,
        @JsonProperty("auto_offset_reset") String autoOffsetReset) {

    static final Pattern CONSUMER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");
    private static final Set<String> FIELDS = Set.of("consumer_id", "kafka_topic", "pipeline_name", "connection_id", "max_event",
            "max_time", "job_type", "auto_offset_reset");

    public JobType job() {
        return JobType.valueOf(jobType.toUpperCase(java.util.Locale.ROOT));
    }

    public String routeId() {
        return routeId(consumerId);
    }

    public static String routeId(String consumerId) {
        return "aggregation-consumer-" + consumerId;
    }

    public String groupId() {
        return "cdc-hub-consumer-" + consumerId;
    }

    /**
     * Reads and checks a request body: 400 naming the field for a missing, mistyped or out-of-range value, 422 for a
     * connection that is not configured or does not fit the job type.
     */
    public static ConsumerDefinition fromRequest(JsonNode body, ConnectionsProperties connections, AggregationProperties limits) {
        if (body == null || !body.isObject()) {
            throw ApiException.badRequest(null, "the request body must be a JSON object");
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw ApiException.badRequest(name, name + " is not a known field (known: " + String.join(", ", new java.util.TreeSet<>(FIELDS)) + ")");
            }
        }
        String consumerId = text(body, "consumer_id", true);
        if (!CONSUMER_ID.matcher(consumerId).matches()) {
            throw ApiException.badRequest("consumer_id", "consumer_id must be 1-64 letters, digits, '_' or '-', starting with a letter or digit");
        }
        String topic = text(body, "kafka_topic", true);
        if (!TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            throw ApiException.badRequest("kafka_topic", "kafka_topic must be a Kafka topic name (1-249 letters, digits, '.', '_', '-')");
        }
        String pipelineName = text(body, "pipeline_name", true);
        if (pipelineName.isBlank() || pipelineName.length() > 200 || pipelineName.chars().anyMatch(Character::isISOControl)) {
            throw ApiException.badRequest("pipeline_name", "pipeline_name must be 1-200 printable characters");
        }
        long maxEvent = number(body, "max_event", 1, limits.maxEventLimit());
        long maxTime = number(body, "max_time", 1, limits.maxTimeLimit());
        String jobType = text(body, "job_type", true);
        if (!jobType.equals("sync") && !jobType.equals("webhook")) {
            throw ApiException.badRequest("job_type", "job_type must be \"sync\" or \"webhook\"");
        }
        String reset = body.has("auto_offset_reset") && !body.get("auto_offset_reset").isNull() ? text(body, "auto_offset_reset", true) : "latest";
        if (!reset.equals("earliest") && !reset.equals("latest")) {
            throw ApiException.badRequest("auto_offset_reset", "auto_offset_reset must be \"earliest\" or \"latest\"");
        }
        String connectionId = text(body, "connection_id", true);
        ConnectionsProperties.TargetConnection connection = connections.connections().get(connectionId);
        if (connection == null) {
            throw ApiException.unprocessable("connection_id", "connection_id '" + abbreviate(connectionId)
                    + "' is not a configured connection (cdc.connections.<id>); configured: " + connections.connections().keySet());
        }
        boolean database = connection.kind().isDatabase();
        if (jobType.equals("sync") && !database) {
            throw ApiException.unprocessable("connection_id", "a sync job needs a database connection (JDBC or ClickHouse), but '"
                    + connectionId + "' is http(s)");
        }
        if (jobType.equals("webhook") && database) {
            throw ApiException.unprocessable("connection_id", "a webhook job needs an http(s) connection, but '" + connectionId + "' is a database");
        }
        return new ConsumerDefinition(consumerId, topic, pipelineName, connectionId, (int) maxEvent, maxTime, jobType, reset);
    }

    /** The API's view of the definition, in the request's field names. */
    public Map<String, Object> toApi() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("consumer_id", consumerId);
        out.put("kafka_topic", kafkaTopic);
        out.put("pipeline_name", pipelineName);
        out.put("connection_id", connectionId);
        out.put("max_event", maxEvent);
        out.put("max_time", maxTime);
        out.put("job_type", jobType);
        out.put("auto_offset_reset", autoOffsetReset);
        return out;
    }

    private static String text(JsonNode body, String field, boolean required) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            throw ApiException.badRequest(field, field + " is required");
        }
        if (!value.isTextual()) {
            throw ApiException.badRequest(field, field + " must be a string");
        }
        if (value.asText().isEmpty() && required) {
            throw ApiException.badRequest(field, field + " must not be empty");
        }
        return value.asText();
    }

    private static long number(JsonNode body, String field, long min, long max) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            throw ApiException.badRequest(field, field + " is required");
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw ApiException.badRequest(field, field + " must be a whole number");
        }
        long n = value.asLong();
        if (n < min || n > max) {
            throw ApiException.badRequest(field, field + " must be between " + min + " and " + max + ", but is " + n);
        }
        return n;
    }

    private static String abbreviate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
