package io.cdchub.admin;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.config.CdcHubProperties;
import io.cdchub.source.CapturedTables;
import io.cdchub.source.SourceProperties;
import io.cdchub.source.snapshot.ReSnapshotProgress;
import io.cdchub.source.snapshot.ReSnapshotRequests;
import io.cdchub.source.snapshot.ReSnapshotRequests.Target;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Re-snapshots for {@link ReSnapshotController}: finds the connector
 * (the built-in source by {@code cdc.source.name}, or a runtime connector), reads the request body and turns refusals
 * into API errors.
 */
@Component
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
public class ReSnapshots {

    static final java.util.Set<String> REQUEST_FIELDS = java.util.Set.of("tables", "filter");

    /** The answer to a request: its id and what was asked. */
    public record Requested(String id, String connector, List<String> tables, String filter, String state) {
    }

    /** The status: the connector's last re-snapshots, newest first. */
    public record Status(String connector, List<ReSnapshotProgress.Snapshot> snapshots) {
    }

    private final SourceProperties source;
    private final CapturedTables captured;
    private final CdcHubProperties hub;
    private final ConnectorService connectors;
    private final ReSnapshotRequests requests = new ReSnapshotRequests();
    private final io.micrometer.core.instrument.MeterRegistry meters;

    public ReSnapshots(SourceProperties source, CapturedTables captured, CdcHubProperties hub, ConnectorService connectors,
            io.micrometer.core.instrument.MeterRegistry meters) {
        this.source = source;
        this.captured = captured;
        this.hub = hub;
        this.connectors = connectors;
        this.meters = meters;
        if (source.enabled()) {
            registerMeters(hub.topicPrefix());
        }
    }

    /** Per connector (tag {@code server}, its topic prefix, as Debezium's own metrics): chunks and rows read, and whether one runs. */
    private void registerMeters(String logicalName) {
        io.micrometer.core.instrument.FunctionCounter.builder("cdc.source.resnapshot.chunks", logicalName, ReSnapshotProgress::chunks)
                .description("Chunks read by re-snapshots (Debezium incremental snapshots) since start").tag("server", logicalName).register(meters);
        io.micrometer.core.instrument.FunctionCounter.builder("cdc.source.resnapshot.rows", logicalName, ReSnapshotProgress::rows)
                .description("Rows of tables whose re-snapshot scan completed, since start").tag("server", logicalName).register(meters);
        io.micrometer.core.instrument.Gauge.builder("cdc.source.resnapshot.running", logicalName, n -> ReSnapshotProgress.running(n) ? 1 : 0)
                .description("1 while a re-snapshot is requested or running").tag("server", logicalName).register(meters);
    }

    Requested request(String connector, JsonNode body) {
        JsonFields fields = JsonFields.of(body, REQUEST_FIELDS);
        List<String> tables = tables(body);
        String filter = fields.optionalText("filter");
        Target target = target(connector);
        String id = refusalsAsErrors(() -> requests.request(target, tables, filter));
        registerMeters(target.logicalName()); // a runtime connector's meters from its first re-snapshot on (registering again is a no-op)
        return new Requested(id, connector, tables, filter, ReSnapshotProgress.State.REQUESTED.name());
    }

    Requested stop(String connector, JsonNode body) {
        if (body != null && !body.isNull() && !body.isMissingNode()) {
            JsonFields.of(body, java.util.Set.of("tables"));
        }
        List<String> tables = body == null || body.path("tables").isMissingNode() || body.path("tables").isNull() ? List.of() : tables(body);
        Target target = target(connector);
        String id = refusalsAsErrors(() -> requests.stop(target, tables));
        return new Requested(id, connector, tables, null, "STOP_REQUESTED");
    }

    Status status(String connector) {
        return new Status(connector, ReSnapshotProgress.of(target(connector).logicalName()));
    }

    private Target target(String connector) {
        if (source.enabled() && source.name().equals(connector)) {
            return new Target(connector, hub.topicPrefix(), source.database(), source.signals() ? source.signalTable() : null,
                    captured.includeList().stream().map(Pattern::compile).toList());
        }
        Map<String, String> config = connectors.get(connector).config(); // 404 when there is none
        List<Pattern> captured = new ArrayList<>();
        String include = config.get("table.include.list");
        if (include != null && !include.isBlank()) {
            for (String regex : include.split(",")) {
                captured.add(Pattern.compile(regex.trim()));
            }
        }
        String password = config.get("database.password");
        SourceProperties.Database database = new SourceProperties.Database(config.get("database.hostname"),
                Integer.parseInt(config.getOrDefault("database.port", "5432")), config.get("database.dbname"), config.get("database.user"),
                password == null || password.isEmpty() ? null : password, config.getOrDefault("database.sslmode", "prefer"));
        return new Target(connector, config.get("topic.prefix"), database, config.get("signal.data.collection"), captured);
    }

    private static List<String> tables(JsonNode body) {
        JsonNode tables = body == null ? null : body.get("tables");
        if (tables == null || tables.isNull()) {
            throw ApiException.badRequest("tables", "is required: the tables to re-snapshot, as [\"schema.table\", ...]");
        }
        if (!tables.isArray() || tables.size() > 1000) {
            throw ApiException.badRequest("tables", "must be an array of at most 1000 \"schema.table\" strings");
        }
        List<String> names = new ArrayList<>();
        for (JsonNode table : tables) {
            if (!table.isTextual()) {
                throw ApiException.badRequest("tables", "must hold strings (\"schema.table\"), but has " + table.getNodeType().name().toLowerCase());
            }
            names.add(table.asText());
        }
        return names;
    }

    private static String refusalsAsErrors(java.util.function.Supplier<String> action) {
        try {
            return action.get();
        } catch (ReSnapshotRequests.Refused e) {
            throw new ApiException(e.conflict() ? HttpStatus.CONFLICT : HttpStatus.BAD_REQUEST, e.field(), e.getMessage());
        } catch (IllegalStateException e) {
            throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, null, e.getMessage()); // the database is unreachable: try again
        }
    }
}
