package io.cdchub.admin;

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
 * The Kafka Connect REST subset, with Debezium's dotted keys and Connect's shapes and status codes, so Connect
 * scripts and tools work unchanged. Served only on {@code cdc.admin.connect-port} ({@link ConnectPortConfiguration}).
 */
@RestController
@Tag(name = "connect", description = "Kafka Connect REST subset (on cdc.admin.connect-port, 8083 by default)")
public class ConnectController {

    private static final Set<String> CREATE_FIELDS = Set.of("name", "config");

    private final ConnectorService connectors;

    public ConnectController(ConnectorService connectors) {
        this.connectors = connectors;
    }

    public record TaskId(String connector, int task) {
    }

    public record ConnectorInfo(String name, Map<String, String> config, List<TaskId> tasks, String type) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record StateInfo(String state, @JsonProperty("worker_id") String workerId, String trace) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TaskState(int id, String state, @JsonProperty("worker_id") String workerId, String trace) {
    }

    public record ConnectorStatus(String name, StateInfo connector, List<TaskState> tasks, String type) {
    }

    @GetMapping("/connectors")
    @Operation(summary = "Connector names; ?expand=status or ?expand=info as Connect does")
    public Object list(@RequestParam(name = "expand", required = false) List<String> expand) {
        List<String> names = connectors.names();
        if (expand == null || expand.isEmpty()) {
            return names;
        }
        Map<String, Map<String, Object>> expanded = new TreeMap<>();
        for (String name : names) {
            Map<String, Object> entry = new LinkedHashMap<>();
            for (String what : expand) {
                switch (what) {
                    case "status" -> entry.put("status", status(name));
                    case "info" -> entry.put("info", info(name));
                    default -> throw ApiException.badRequest("expand", "must be status or info");
                }
            }
            expanded.put(name, entry);
        }
        return expanded;
    }

    @PostMapping("/connectors")
    @Operation(summary = "Create a connector: 201, 400 invalid, 409 exists")
    public ResponseEntity<ConnectorInfo> create(@RequestBody(required = false) JsonNode body) {
        JsonFields fields = JsonFields.of(body, CREATE_FIELDS);
        Map<String, String> config = ConnectorConfigs.fromJson(fields.requiredObject("config"));
        String name = fields.has("name") ? fields.requiredText("name") : config.get("name");
        ConnectorConfigs.requireName("name", name);
        connectors.create(name, config, ConnectorConfigs.Naming.DOTTED);
        return ResponseEntity.status(HttpStatus.CREATED).body(info(name));
    }

    @GetMapping("/connectors/{name}")
    public ConnectorInfo info(@PathVariable("name") String name) {
        return new ConnectorInfo(name, config(name), List.of(new TaskId(name, 0)), "source");
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
        if (body == null || !body.isObject()) {
            throw ApiException.badRequest(null, "request body must be the configuration as a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> raw = new com.fasterxml.jackson.databind.ObjectMapper().convertValue(body, Map.class);
        boolean exists = connectors.find(name).isPresent();
        connectors.putConfig(name, ConnectorConfigs.fromJson(raw), ConnectorConfigs.Naming.DOTTED);
        return ResponseEntity.status(exists ? HttpStatus.OK : HttpStatus.CREATED).body(info(name));
    }

    @GetMapping("/connectors/{name}/status")
    public ConnectorStatus status(@PathVariable("name") String name) {
        ConnectorService.State state = connectors.state(name);
        String worker = state == ConnectorService.State.UNASSIGNED ? null : connectors.workerId();
        String trace = state == ConnectorService.State.FAILED ? connectors.failure(name) : null;
        return new ConnectorStatus(name, new StateInfo(state.name(), worker, trace),
                List.of(new TaskState(0, state.name(), worker, trace)), "source");
    }

    @GetMapping("/connectors/{name}/tasks")
    public List<Map<String, Object>> tasks(@PathVariable("name") String name) {
        return List.of(Map.of("id", new TaskId(name, 0), "config", config(name)));
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
    public ResponseEntity<Void> restartTask(@PathVariable("name") String name, @PathVariable("task") int task) {
        if (task != 0) {
            throw ApiException.notFound("connector " + name + " has only task 0");
        }
        connectors.restart(name);
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
}
