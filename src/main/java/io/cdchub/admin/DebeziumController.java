package io.cdchub.admin;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Source connectors with snake_case configuration keys ({@code database_hostname}), started and stopped at runtime
 * from the {@code postgres-connector} route template. Shares its registry with the Connect-style API.
 */
@RestController
@RequestMapping("/debezium")
@Tag(name = "debezium", description = "Runtime PostgreSQL source connectors (snake_case configuration keys)")
public class DebeziumController {

    private static final Set<String> START_FIELDS = Set.of("name", "config");

    private final ConnectorService connectors;

    public DebeziumController(ConnectorService connectors) {
        this.connectors = connectors;
    }

    /** Request body of POST /debezium/start/ (documentation; read strictly). */
    @Schema(name = "DebeziumStartRequest")
    public record StartRequest(
            @Schema(example = "my-postgres-connector", requiredMode = Schema.RequiredMode.REQUIRED) String name,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "Debezium PostgreSQL connector settings with '_' for '.'",
                    example = "{\"connector_class\": \"io.debezium.connector.postgresql.PostgresConnector\", \"tasks_max\": \"1\", "
                            + "\"database_hostname\": \"localhost\", \"database_port\": \"5432\", \"database_user\": \"debezium\", "
                            + "\"database_password\": \"password\", \"database_dbname\": \"mydatabase\", \"topic_prefix\": \"db\", "
                            + "\"schema_include_list\": \"public\", \"publication_autocreate_mode\": \"filtered\", "
                            + "\"table_include_list\": \"public.person12\", \"plugin_name\": \"pgoutput\", \"snapshot_mode\": \"initial\"}")
            Map<String, String> config) {
    }

    /** A connector as this API shows it: snake_case keys, secrets masked. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ConnectorInfo(
            String name,
            String state,
            @JsonProperty("worker_id") String workerId,
            String error,
            Map<String, String> config) {
    }

    public record ConnectorSummary(String name, String state) {
    }

    @PostMapping({"/start/", "/start"})
    @Operation(summary = "Start a connector", requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(
            content = @Content(schema = @Schema(implementation = StartRequest.class))), responses = {
            @ApiResponse(responseCode = "201", description = "started"),
            @ApiResponse(responseCode = "400", description = "invalid configuration", content = @Content(schema = @Schema(implementation = ApiError.class))),
            @ApiResponse(responseCode = "409", description = "name exists", content = @Content(schema = @Schema(implementation = ApiError.class))),
            @ApiResponse(responseCode = "500", description = "could not start", content = @Content(schema = @Schema(implementation = ApiError.class)))})
    public ResponseEntity<ConnectorInfo> start(@RequestBody(required = false) JsonNode body) {
        JsonFields fields = JsonFields.of(body, START_FIELDS);
        String name = fields.requiredText("name");
        ConnectorConfigs.requireName("name", name);
        Map<String, String> config = ConnectorConfigs.fromSnakeCase(fields.requiredObject("config"));
        connectors.create(name, config, ConnectorConfigs.Naming.SNAKE);
        if (connectors.state(name) == ConnectorService.State.FAILED) {
            String failure = connectors.failure(name);
            connectors.delete(name); // nothing half-made stays behind: the caller can fix and retry
            throw new ApiException(HttpStatus.INTERNAL_SERVER_ERROR, null, "connector " + name + " could not start: " + failure);
        }
        return ResponseEntity.status(HttpStatus.CREATED).body(info(name));
    }

    @GetMapping({"/list/", "/list"})
    @Operation(summary = "Connectors and their states")
    public List<ConnectorSummary> list() {
        return connectors.names().stream().map(name -> new ConnectorSummary(name, connectors.state(name).name())).toList();
    }

    @GetMapping({"/connector/{connector_name}/info/", "/connector/{connector_name}/info"})
    @Operation(summary = "A connector's state and configuration (secrets masked)", responses = {@ApiResponse(responseCode = "200"),
            @ApiResponse(responseCode = "404", content = @Content(schema = @Schema(implementation = ApiError.class)))})
    public ConnectorInfo info(@PathVariable("connector_name") String name) {
        ConnectorDefinition definition = connectors.get(name);
        Map<String, String> config = new LinkedHashMap<>(ConnectorConfigs.toSnakeCase(ConnectorConfigs.masked(definition.config())));
        return new ConnectorInfo(name, connectors.state(name).name(), connectors.workerId(), connectors.failure(name), config);
    }

    @DeleteMapping({"/connector/{connector_name}/delete/", "/connector/{connector_name}/delete"})
    @Operation(summary = "Stop and delete a connector (its replication slot and offsets are kept)", responses = {
            @ApiResponse(responseCode = "204"), @ApiResponse(responseCode = "404", content = @Content(schema = @Schema(implementation = ApiError.class)))})
    public ResponseEntity<Void> delete(@PathVariable("connector_name") String name) {
        connectors.delete(name);
        return ResponseEntity.noContent().build();
    }
}
