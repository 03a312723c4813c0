package io.cdchub.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Re-snapshots of chosen tables while capture goes on (Debezium incremental snapshots), on the management API:
 * {@code POST /debezium/connector/{name}/snapshot} with {@code {"tables": ["schema.table"], "filter": "optional condition"}},
 * {@code GET} for the progress, {@code DELETE} to stop. The name is the built-in source's ({@code cdc.source.name})
 * or a runtime connector's. The same under the Connect-style API, {@code /connectors/{name}/snapshot} (also on the
 * Connect port; Kafka Connect itself has no such endpoint). Errors in Connect's shape, a superset of {@link ApiError}'s.
 */
@RestController
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@Tag(name = "debezium", description = "Runtime PostgreSQL source connectors (snake_case configuration keys)")
public class ReSnapshotController {

    private final ReSnapshots snapshots;

    public ReSnapshotController(ReSnapshots snapshots) {
        this.snapshots = snapshots;
    }

    @PostMapping({"/debezium/connector/{connector_name}/snapshot", "/connectors/{connector_name}/snapshot"})
    @Operation(summary = "Re-snapshot tables while streaming goes on (Debezium incremental snapshot)", responses = {
            @ApiResponse(responseCode = "202", description = "signalled; GET shows the progress"),
            @ApiResponse(responseCode = "400", description = "a table or the filter refused, with the reason", content = @Content(schema = @Schema(implementation = ApiError.class))),
            @ApiResponse(responseCode = "404", content = @Content(schema = @Schema(implementation = ApiError.class))),
            @ApiResponse(responseCode = "409", description = "the connector has no signal table", content = @Content(schema = @Schema(implementation = ApiError.class)))})
    public ResponseEntity<ReSnapshots.Requested> request(@PathVariable("connector_name") String name, @RequestBody(required = false) JsonNode body) {
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(snapshots.request(name, body));
    }

    @GetMapping({"/debezium/connector/{connector_name}/snapshot", "/connectors/{connector_name}/snapshot"})
    @Operation(summary = "The connector's last re-snapshots: state, tables, chunks read, rows")
    public ReSnapshots.Status status(@PathVariable("connector_name") String name) {
        return snapshots.status(name);
    }

    @DeleteMapping({"/debezium/connector/{connector_name}/snapshot", "/connectors/{connector_name}/snapshot"})
    @Operation(summary = "Stop the running re-snapshot (of the given tables, or all)")
    public ResponseEntity<ReSnapshots.Requested> stop(@PathVariable("connector_name") String name, @RequestBody(required = false) JsonNode body) {
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(snapshots.stop(name, body));
    }
}
