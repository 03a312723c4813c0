package io.cdchub.admin;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import io.cdchub.admin.ConnectorDefinition.TargetState;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;
import org.apache.kafka.connect.runtime.rest.entities.ConfigKeyInfo;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorOffset;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets;
import org.apache.kafka.connect.runtime.rest.entities.Message;
import org.apache.kafka.connect.runtime.rest.entities.PluginInfo;
import org.springframework.web.bind.annotation.PatchMapping;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The Kafka Connect REST API (as of Kafka 3.9) for cdc-hub's runtime connectors, with Debezium's dotted keys and
 * Connect's shapes and status codes, so Connect scripts and tools (curl scripts, Kafka UI, kcctl) work unchanged.
 * Served only on {@code cdc.admin.connect-port} ({@link ConnectPortConfiguration}, which also answers {@code GET /}
 * and {@code GET /health}). {@code ConnectShapeIT} runs the same calls against Kafka Connect standalone and compares.
 */
@RestController
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET) // its services exist only in a web app
@Tag(name = "connect", description = "Kafka Connect REST API (on cdc.admin.connect-port, 8083 by default)")
public class ConnectController {

    private static final Set<String> CREATE_FIELDS = Set.of("name", "config", "initial_state");
    private static final String TASK_CLASS = "io.debezium.connector.postgresql.PostgresConnectorTask";
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final ConnectorService connectors;

    public ConnectController(ConnectorService connectors) {
        this.connectors = connectors;
    }

    public record TaskId(String connector, int task) {
    }

    public record ConnectorInfo(String name, Map<String, String> config, List<TaskId> tasks, String type) {
    }

    /** Connect's ConnectorState: {@code worker_id} always present, {@code trace} only when there is one. */
    public record StateInfo(String state, @JsonProperty("worker_id") String workerId,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) String trace) {
    }

    public record TaskState(int id, String state, @JsonProperty("worker_id") String workerId,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) String trace) {
    }

    public record ConnectorStatus(String name, StateInfo connector, List<TaskState> tasks, String type) {
    }

    public record TaskInfo(TaskId id, Map<String, String> config) {
    }

    public record ActiveTopics(List<String> topics) {
    }

    @GetMapping("/connectors")
    @Operation(summary = "Connector names; ?expand=status and/or ?expand=info as Connect does (other expansions are ignored)")
    public Object list(@RequestParam(name = "expand", required = false) List<String> expand) {
        List<String> names = connectors.names();
        if (expand == null) {
            return names;
        }
        Map<String, Map<String, Object>> expanded = new TreeMap<>();
        for (String name : names) {
            Map<String, Object> entry = new LinkedHashMap<>();
            try {
                for (String what : expand) {
                    switch (what) {
                        case "status" -> entry.put("status", status(name));
                        case "info" -> entry.put("info", info(name));
                        default -> { } // Connect ignores unknown expansions
                    }
                }
            } catch (ApiException e) {
                if (e.status() == HttpStatus.NOT_FOUND) {
                    continue; // deleted meanwhile: left out, as Connect does
                }
                throw e;
            }
            expanded.put(name, entry);
        }
        return expanded;
    }

    @PostMapping("/connectors")
    @Operation(summary = "Create a connector ({name, config, initial_state?}): 201, 400 invalid, 409 exists")
    public ResponseEntity<ConnectorInfo> create(@RequestBody(required = false) JsonNode body) {
        JsonFields fields = JsonFields.of(body, CREATE_FIELDS);
        Map<String, String> config = ConnectorConfigs.fromJson(fields.requiredObject("config"));
        String name = fields.has("name") ? fields.requiredText("name") : config.get("name");
        ConnectorConfigs.requireName("name", name);
        TargetState initial = TargetState.RUNNING;
        if (fields.has("initial_state")) {
            initial = switch (fields.requiredText("initial_state").toUpperCase(java.util.Locale.ROOT)) {
                case "RUNNING" -> TargetState.RUNNING;
                case "PAUSED" -> TargetState.PAUSED;
                case "STOPPED" -> TargetState.STOPPED;
                default -> throw ApiException.badRequest("initial_state", "must be RUNNING, PAUSED or STOPPED");
            };
        }
        connectors.create(name, config, ConnectorConfigs.Naming.DOTTED, initial);
        return ResponseEntity.created(java.net.URI.create("/connectors/" + name)).body(info(name));
    }

    @GetMapping("/connectors/{name}")
    public ConnectorInfo info(@PathVariable("name") String name) {
        return new ConnectorInfo(name, config(name), taskIds(name), "source");
    }

    /** A stopped connector has no task, as in Connect; otherwise its one task. */
    private List<TaskId> taskIds(String name) {
        return connectors.get(name).state() == TargetState.STOPPED ? List.of() : List.of(new TaskId(name, 0));
    }

    @DeleteMapping("/connectors/{name}")
    public ResponseEntity<Void> delete(@PathVariable("name") String name) {
        connectors.delete(name);
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/connectors/{name}/config")
    @Operation(summary = "The connector's configuration (secrets masked; a masked value sent back in PUT keeps the stored one)")
    public Map<String, String> config(@PathVariable("name") String name) {
        Map<String, String> config = new TreeMap<>(ConnectorConfigs.masked(connectors.get(name).config()));
        config.put("name", name);
        return config;
    }

    @PutMapping("/connectors/{name}/config")
    @Operation(summary = "Create (201) or replace (200) the connector's configuration")
    public ResponseEntity<ConnectorInfo> putConfig(@PathVariable("name") String name, @RequestBody(required = false) JsonNode body) {
        Map<String, String> config = configObject(body);
        boolean exists = connectors.find(name).isPresent();
        connectors.putConfig(name, config, ConnectorConfigs.Naming.DOTTED);
        ConnectorInfo info = info(name);
        return exists ? ResponseEntity.ok(info) : ResponseEntity.created(java.net.URI.create("/connectors/" + name)).body(info);
    }

    @PatchMapping("/connectors/{name}/config")
    @Operation(summary = "Change some keys of the configuration (a null value removes the key): 200, 404 unknown")
    public ConnectorInfo patchConfig(@PathVariable("name") String name, @RequestBody(required = false) JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.badRequest(null, "request body must be the configuration keys to change, as a JSON object");
        }
        Map<String, String> patched = new LinkedHashMap<>(ConnectorConfigs.masked(connectors.get(name).config()));
        body.fields().forEachRemaining(field -> {
            if (field.getValue().isNull()) {
                patched.remove(field.getKey());
            } else {
                patched.putAll(ConnectorConfigs.fromJson(Map.of(field.getKey(), JSON.convertValue(field.getValue(), Object.class))));
            }
        });
        connectors.putConfig(name, patched, ConnectorConfigs.Naming.DOTTED);
        return info(name);
    }

    private static Map<String, String> configObject(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.badRequest(null, "request body must be the configuration as a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> raw = JSON.convertValue(body, Map.class);
        return ConnectorConfigs.fromJson(raw);
    }

    @GetMapping("/connectors/{name}/status")
    public ConnectorStatus status(@PathVariable("name") String name) {
        ConnectorService.State state = connectors.state(name);
        String worker = state == ConnectorService.State.UNASSIGNED ? null : connectors.workerId();
        String trace = state == ConnectorService.State.FAILED ? connectors.failure(name) : null;
        List<TaskState> tasks = state == ConnectorService.State.STOPPED ? List.of() : List.of(new TaskState(0, state.name(), worker, trace));
        return new ConnectorStatus(name, new StateInfo(state.name(), worker, trace), tasks, "source");
    }

    @GetMapping("/connectors/{name}/topics")
    @Operation(summary = "Topics the connector has written to (in this instance) since it was created or its topics reset")
    public Map<String, ActiveTopics> topics(@PathVariable("name") String name) {
        return Map.of(name, new ActiveTopics(connectors.activeTopics(name)));
    }

    @PutMapping("/connectors/{name}/topics/reset")
    public ResponseEntity<Void> resetTopics(@PathVariable("name") String name) {
        connectors.resetActiveTopics(name);
        return ResponseEntity.accepted().build();
    }

    @GetMapping("/connectors/{name}/tasks")
    @Operation(summary = "The connector's tasks with their configurations (secrets masked); none while STOPPED")
    public List<TaskInfo> tasks(@PathVariable("name") String name) {
        Map<String, String> config = new TreeMap<>(config(name));
        config.put("task.class", TASK_CLASS);
        return taskIds(name).stream().map(id -> new TaskInfo(id, config)).toList();
    }

    @GetMapping("/connectors/{name}/tasks/{task}/status")
    public TaskState taskStatus(@PathVariable("name") String name, @PathVariable("task") String task) {
        requireTask(name, task);
        return status(name).tasks().get(0);
    }

    /** Connect answers 404 for a task the connector does not have (any id but 0, or any while STOPPED). */
    private void requireTask(String name, String task) {
        if (taskIds(name).stream().noneMatch(id -> String.valueOf(id.task()).equals(task))) {
            throw ApiException.notFound("Task " + name + "-" + task + " not found");
        }
    }

    @PostMapping("/connectors/{name}/restart")
    @Operation(summary = "Restart: 204, or 202 with the status when includeTasks/onlyFailed is given")
    public ResponseEntity<?> restart(@PathVariable("name") String name,
            @RequestParam(name = "includeTasks", defaultValue = "false") boolean includeTasks,
            @RequestParam(name = "onlyFailed", defaultValue = "false") boolean onlyFailed) {
        if (!onlyFailed || connectors.state(name) == ConnectorService.State.FAILED) {
            connectors.restart(name);
        } else {
            connectors.get(name);
        }
        return includeTasks || onlyFailed ? ResponseEntity.accepted().body(status(name)) : ResponseEntity.noContent().build();
    }

    @PostMapping("/connectors/{name}/tasks/{task}/restart")
    public ResponseEntity<Void> restartTask(@PathVariable("name") String name, @PathVariable("task") String task) {
        requireTask(name, task);
        connectors.restart(name);
        return ResponseEntity.noContent().build();
    }

    @PutMapping("/connectors/{name}/stop")
    @Operation(summary = "Stop: the engine shuts down and has no task (STOPPED) until resumed; offsets may then be changed. 204")
    public ResponseEntity<Void> stop(@PathVariable("name") String name) {
        connectors.stop(name);
        return ResponseEntity.noContent().build();
    }

    @PutMapping("/connectors/{name}/pause")
    public ResponseEntity<Void> pause(@PathVariable("name") String name) {
        connectors.pause(name);
        return ResponseEntity.accepted().build();
    }

    @PutMapping("/connectors/{name}/resume")
    public ResponseEntity<Void> resume(@PathVariable("name") String name) {
        connectors.resume(name);
        return ResponseEntity.accepted().build();
    }

    @GetMapping("/connectors/{name}/offsets")
    @Operation(summary = "The connector's committed source offsets: {offsets: [{partition: {server}, offset: {lsn, ...}}]}")
    public ConnectorOffsets offsets(@PathVariable("name") String name) {
        List<ConnectorOffset> offsets = new java.util.ArrayList<>();
        connectors.offsets(name).forEach((partition, offset) -> offsets.add(new ConnectorOffset(partition, offset)));
        return new ConnectorOffsets(offsets);
    }

    @PatchMapping("/connectors/{name}/offsets")
    @Operation(summary = "Alter the offsets of a STOPPED connector: 200, 400 not stopped or bad offsets, 409 still stopping")
    public Message alterOffsets(@PathVariable("name") String name, @RequestBody(required = false) JsonNode body) {
        Map<Map<String, ?>, Map<String, ?>> offsets = offsetsOf(body);
        connectors.modifyOffsets(name, offsets);
        return modified(name, "altered");
    }

    @DeleteMapping("/connectors/{name}/offsets")
    @Operation(summary = "Reset the offsets of a STOPPED connector (its next start begins as a new one would): 200")
    public Message resetOffsets(@PathVariable("name") String name) {
        connectors.modifyOffsets(name, null);
        return modified(name, "reset");
    }

    private Message modified(String name, String how) {
        return new Message("The offsets for this connector have been " + how + " successfully. PostgreSQL's replication slot "
                + connectors.get(name).config().get("slot.name") + " keeps its own position: the connector never reads changes "
                + "the slot has already confirmed");
    }

    /** Connect's body, {@code {"offsets": [{"partition": {...}, "offset": {...} or null}]}}; 400 for anything else. */
    @SuppressWarnings("unchecked")
    static Map<Map<String, ?>, Map<String, ?>> offsetsOf(JsonNode body) {
        JsonNode list = body == null ? null : body.get("offsets");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw ApiException.badRequest("offsets", "Partitions / offsets need to be provided for an alter offsets request");
        }
        Map<Map<String, ?>, Map<String, ?>> offsets = new LinkedHashMap<>();
        for (JsonNode entry : list) {
            JsonNode partition = entry.get("partition");
            JsonNode offset = entry.get("offset");
            if (partition == null || !partition.isObject() || offset != null && !offset.isNull() && !offset.isObject()) {
                throw ApiException.badRequest("offsets", "each entry must be {\"partition\": {...}, \"offset\": {...} or null}");
            }
            offsets.put(JSON.convertValue(partition, Map.class), offset == null || offset.isNull() ? null : JSON.convertValue(offset, Map.class));
        }
        return offsets;
    }

    @GetMapping("/connector-plugins")
    @Operation(summary = "The connector plugins cdc-hub runs: Debezium's PostgreSQL source")
    public List<PluginInfo> plugins(
            // accepted as Connect accepts it; cdc-hub has no transforms or converters to list with connectorsOnly=false
            @RequestParam(name = "connectorsOnly", defaultValue = "true") boolean connectorsOnly) {
        return ConnectorPlugins.list();
    }

    @GetMapping("/connector-plugins/{plugin}/config")
    @Operation(summary = "The plugin's configuration definitions")
    public List<ConfigKeyInfo> pluginConfig(@PathVariable("plugin") String plugin) {
        requirePlugin(plugin);
        return ConnectorPlugins.definitionInfos();
    }

    @PutMapping("/connector-plugins/{plugin}/config/validate")
    @Operation(summary = "Validate a configuration as a create would, without creating: Connect's ConfigInfos with every problem")
    public ConfigInfos validate(@PathVariable("plugin") String plugin, @RequestBody(required = false) JsonNode body) {
        Map<String, String> config = configObject(body);
        String connectorClass = config.get("connector.class");
        if (connectorClass == null) {
            throw ApiException.badRequest("connector.class", "Connector config " + ConnectorConfigs.masked(config) + " contains no connector type");
        }
        if (!ConnectorPlugins.sameType(connectorClass, plugin)) {
            throw ApiException.badRequest("connector.class", "Included connector type " + connectorClass + " does not match request type " + plugin);
        }
        requirePlugin(plugin);
        return ConnectorPlugins.validation(connectorClass, config, connectors.validationProblems(config));
    }

    private static void requirePlugin(String plugin) {
        if (!ConnectorPlugins.isPostgres(plugin)) {
            throw ApiException.notFound("Unknown plugin " + plugin + ": cdc-hub runs " + ConnectorConfigs.POSTGRES_CONNECTOR + " only");
        }
    }
}
