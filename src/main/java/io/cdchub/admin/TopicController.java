package io.cdchub.admin;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.config.CdcHubProperties;
import io.cdchub.source.SourceProperties;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Kafka topics through the AdminClient: list, describe, create, change retention, delete. */
@RestController
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET) // its services exist only in a web app
@RequestMapping("/topic")
@Tag(name = "topics", description = "Kafka topics (AdminClient)")
public class TopicController {

    private static final long TIMEOUT_SECONDS = 30;
    private static final Set<String> CREATE_FIELDS = Set.of("topic_name", "num_partitions", "replication_factor", "retention_ms", "retention_bytes");
    private static final Set<String> UPDATE_FIELDS = Set.of("topic_name", "retention_ms", "retention_bytes");

    private final Admin admin;
    private final AdminProperties properties;
    private final CdcHubProperties hub;
    private final SourceProperties source;
    private final ConnectorService connectors;

    public TopicController(Admin admin, AdminProperties properties, CdcHubProperties hub, SourceProperties source, ConnectorService connectors) {
        this.admin = admin;
        this.properties = properties;
        this.hub = hub;
        this.source = source;
        this.connectors = connectors;
    }

    /** Request body of POST /topic/create (documentation; the body is read strictly by {@link JsonFields}). */
    @Schema(name = "TopicCreateRequest")
    public record CreateRequest(
            @JsonProperty("topic_name") @Schema(example = "my-topic", requiredMode = Schema.RequiredMode.REQUIRED) String topicName,
            @JsonProperty("num_partitions") @Schema(example = "3", description = "1-10000; broker default when absent") Integer numPartitions,
            @JsonProperty("replication_factor") @Schema(example = "1", description = "1-32767; broker default when absent") Integer replicationFactor,
            @JsonProperty("retention_ms") @Schema(example = "604800000", description = "retention.ms; -1 keeps forever") Long retentionMs,
            @JsonProperty("retention_bytes") @Schema(example = "1073741824", description = "retention.bytes; -1 unbounded") Long retentionBytes) {
    }

    /** Request body of PATCH /topic/update. */
    @Schema(name = "TopicUpdateRequest")
    public record UpdateRequest(
            @JsonProperty("topic_name") @Schema(example = "my-topic", requiredMode = Schema.RequiredMode.REQUIRED) String topicName,
            @JsonProperty("retention_ms") @Schema(example = "259200000") Long retentionMs,
            @JsonProperty("retention_bytes") @Schema(example = "536870912") Long retentionBytes) {
    }

    /** A topic as the API shows it. */
    public record TopicInfo(
            @JsonProperty("topic_name") String topicName,
            @JsonProperty("num_partitions") int numPartitions,
            @JsonProperty("replication_factor") int replicationFactor,
            @JsonProperty("retention_ms") Long retentionMs,
            @JsonProperty("retention_bytes") Long retentionBytes,
            @JsonProperty("config") Map<String, String> config) {
    }

    @GetMapping({"/list", "/list/"})
    @Operation(summary = "List topics (without Kafka's internal ones)")
    public List<String> list() {
        Collection<String> names = await(admin.listTopics(new ListTopicsOptions().listInternal(false)).names(), null);
        return names.stream().sorted().toList();
    }

    @GetMapping({"/config", "/config/"})
    @Operation(summary = "A topic's partitions, replication and configuration", responses = {
            @ApiResponse(responseCode = "200"), @ApiResponse(responseCode = "400", content = @Content(schema = @Schema(implementation = ApiError.class))),
            @ApiResponse(responseCode = "404", content = @Content(schema = @Schema(implementation = ApiError.class)))})
    public TopicInfo config(@RequestParam(name = "topic_name", required = false) String topicName) {
        return describe(requireTopicName("topic_name", topicName));
    }

    @PostMapping({"/create", "/create/"})
    @Operation(summary = "Create a topic", requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(
            content = @Content(schema = @Schema(implementation = CreateRequest.class))), responses = {
            @ApiResponse(responseCode = "201"), @ApiResponse(responseCode = "400", content = @Content(schema = @Schema(implementation = ApiError.class))),
            @ApiResponse(responseCode = "409", content = @Content(schema = @Schema(implementation = ApiError.class)))})
    public ResponseEntity<TopicInfo> create(@RequestBody(required = false) JsonNode body) {
        JsonFields fields = JsonFields.of(body, CREATE_FIELDS);
        String name = requireTopicName("topic_name", fields.requiredText("topic_name"));
        Long partitions = fields.optionalLong("num_partitions", 1, 10_000);
        Long replication = fields.optionalLong("replication_factor", 1, Short.MAX_VALUE);
        Map<String, String> configs = retention(fields);
        NewTopic topic = new NewTopic(name, Optional.ofNullable(partitions).map(Long::intValue),
                Optional.ofNullable(replication).map(Long::shortValue)).configs(configs);
        await(admin.createTopics(List.of(topic)).all(), name);
        return ResponseEntity.status(HttpStatus.CREATED).body(describeCreated(name));
    }

    @PatchMapping({"/update", "/update/"})
    @Operation(summary = "Change a topic's retention", requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(
            content = @Content(schema = @Schema(implementation = UpdateRequest.class))), responses = {
            @ApiResponse(responseCode = "200"), @ApiResponse(responseCode = "400", content = @Content(schema = @Schema(implementation = ApiError.class))),
            @ApiResponse(responseCode = "404", content = @Content(schema = @Schema(implementation = ApiError.class))),
            @ApiResponse(responseCode = "422", description = "nothing to change, or Kafka refused the value",
                    content = @Content(schema = @Schema(implementation = ApiError.class)))})
    public TopicInfo update(@RequestBody(required = false) JsonNode body) {
        JsonFields fields = JsonFields.of(body, UPDATE_FIELDS);
        String name = requireTopicName("topic_name", fields.requiredText("topic_name"));
        Map<String, String> configs = retention(fields);
        if (configs.isEmpty()) {
            throw ApiException.unprocessable("retention_ms", "nothing to change: give retention_ms and/or retention_bytes");
        }
        describe(name); // 404 for an unknown topic
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, name);
        List<AlterConfigOp> ops = new ArrayList<>();
        configs.forEach((key, value) -> ops.add(new AlterConfigOp(new ConfigEntry(key, value), AlterConfigOp.OpType.SET)));
        await(admin.incrementalAlterConfigs(Map.of(resource, ops)).all(), name);
        return describe(name);
    }

    @DeleteMapping({"/delete", "/delete/"})
    @Operation(summary = "Delete a topic; cdc-hub's own topics (connector definitions and offsets, dead letters) and the change "
            + "topics of the built-in source and of defined connectors only with force=true", responses = {@ApiResponse(responseCode = "204"),
            @ApiResponse(responseCode = "400", content = @Content(schema = @Schema(implementation = ApiError.class))),
            @ApiResponse(responseCode = "404", content = @Content(schema = @Schema(implementation = ApiError.class))),
            @ApiResponse(responseCode = "409", description = "a topic cdc-hub uses: give force=true to delete it anyway",
                    content = @Content(schema = @Schema(implementation = ApiError.class)))})
    public ResponseEntity<Void> delete(@RequestParam(name = "topic_name", required = false) String topicName,
            @RequestParam(name = "force", defaultValue = "false") boolean force) {
        String name = requireTopicName("topic_name", topicName);
        if (name.startsWith("__")) {
            throw ApiException.badRequest("topic_name", "is a Kafka-internal topic and cannot be deleted");
        }
        String use = inUse(name);
        if (use != null && !force) {
            throw ApiException.conflict("topic " + name + " " + use + "; deleting it loses that data: add force=true to delete it anyway");
        }
        await(admin.deleteTopics(List.of(name)).all(), name);
        return ResponseEntity.noContent().build();
    }

    /** What cdc-hub keeps in the topic, or null when it is none of cdc-hub's own or live change topics. */
    private String inUse(String name) {
        if (name.equals(properties.configTopic())) {
            return "holds cdc-hub's connector definitions (cdc.admin.config-topic)";
        }
        if (name.equals(properties.offsetTopic())) {
            return "holds the offsets of the API's connectors (cdc.admin.offset-topic): they would snapshot again";
        }
        if (name.equals(hub.dlq().topic())) {
            return "is the dead-letter topic (cdc.dlq.topic): records that could not be delivered would be lost";
        }
        if (name.equals(hub.dlq().replayTopic())) {
            return "records which dead letters were replayed (cdc.dlq.replay-topic): a replay would send them again";
        }
        if (source.enabled() && name.startsWith(hub.topicPrefix() + ".")) {
            return "is a change topic of the built-in source (cdc.topic-prefix " + hub.topicPrefix() + ")";
        }
        if (connectors.ready()) {
            for (String connector : connectors.names()) {
                String prefix = connectors.find(connector).map(d -> d.config().get("topic.prefix")).orElse(null);
                if (prefix != null && name.startsWith(prefix + ".")) {
                    return "is a change topic of connector " + connector + " (topic.prefix " + prefix + ")";
                }
            }
        } else if (name.indexOf('.') > 0) {
            return "may be a change topic of a connector (connector definitions are not loaded yet)";
        }
        return null;
    }

    /** A topic just created may be unknown to the broker's metadata for a moment: asks again for up to 5 s. */
    private TopicInfo describeCreated(String name) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try {
                return describe(name);
            } catch (ApiException e) {
                if (e.status() != HttpStatus.NOT_FOUND || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(100);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private TopicInfo describe(String name) {
        Map<String, TopicDescription> descriptions = await(admin.describeTopics(List.of(name)).allTopicNames(), name);
        TopicDescription description = descriptions.get(name);
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, name);
        Config config = await(admin.describeConfigs(List.of(resource)).all(), name).get(resource);
        Map<String, String> entries = new TreeMap<>();
        for (ConfigEntry entry : config.entries()) {
            if (!entry.isSensitive() && entry.value() != null) {
                entries.put(entry.name(), entry.value());
            }
        }
        int replication = description.partitions().isEmpty() ? 0 : description.partitions().get(0).replicas().size();
        return new TopicInfo(name, description.partitions().size(), replication, parseLong(entries.get(TopicConfig.RETENTION_MS_CONFIG)),
                parseLong(entries.get(TopicConfig.RETENTION_BYTES_CONFIG)), entries);
    }

    private static Map<String, String> retention(JsonFields fields) {
        Map<String, String> configs = new LinkedHashMap<>();
        Long retentionMs = fields.optionalLong("retention_ms", -1, Long.MAX_VALUE);
        Long retentionBytes = fields.optionalLong("retention_bytes", -1, Long.MAX_VALUE);
        if (retentionMs != null) {
            configs.put(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(retentionMs));
        }
        if (retentionBytes != null) {
            configs.put(TopicConfig.RETENTION_BYTES_CONFIG, String.valueOf(retentionBytes));
        }
        return configs;
    }

    static String requireTopicName(String field, String name) {
        if (name == null || name.isEmpty()) {
            throw ApiException.badRequest(field, "is required");
        }
        if (!CdcHubProperties.TOPIC_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw ApiException.badRequest(field, "must be 1-249 characters of letters, digits, '.', '_' or '-' (and not '.' or '..')");
        }
        return name;
    }

    private static Long parseLong(String value) {
        try {
            return value == null ? null : Long.valueOf(value);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Waits for an AdminClient call and turns Kafka's refusals into the API's status codes. */
    private static <T> T await(org.apache.kafka.common.KafkaFuture<T> future, String topic) {
        try {
            return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, null, "interrupted");
        } catch (TimeoutException e) {
            throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, null, "Kafka did not answer within " + TIMEOUT_SECONDS + " s");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof UnknownTopicOrPartitionException) {
                throw ApiException.notFound("topic " + topic + " not found");
            }
            if (cause instanceof TopicExistsException) {
                throw ApiException.conflict("topic " + topic + " already exists");
            }
            if (cause instanceof InvalidReplicationFactorException) {
                throw ApiException.badRequest("replication_factor", cause.getMessage());
            }
            if (cause instanceof InvalidPartitionsException) {
                throw ApiException.badRequest("num_partitions", cause.getMessage());
            }
            if (cause instanceof InvalidTopicException) {
                throw ApiException.badRequest("topic_name", cause.getMessage());
            }
            if (cause instanceof InvalidConfigurationException || cause instanceof PolicyViolationException
                    || cause instanceof InvalidRequestException) {
                throw ApiException.unprocessable(null, "Kafka refused the change: " + cause.getMessage());
            }
            throw new ApiException(HttpStatus.BAD_GATEWAY, null, "Kafka failed the request: " + cause);
        }
    }
}
