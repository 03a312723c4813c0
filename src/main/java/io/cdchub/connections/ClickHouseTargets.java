package io.cdchub.connections;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.sink.SinkUnavailableException;
import io.cdchub.sink.clickhouse.ClickHouseClient;
import io.cdchub.sink.clickhouse.ClickHouseException;
import org.springframework.stereotype.Component;

/**
 * Applies net row changes to a ClickHouse connection: per target table one {@code INSERT ... FORMAT JSONEachRow} over
 * ClickHouse's HTTP interface (the one ClickHouse client, {@link ClickHouseClient}, which the sink uses too), each row with
 * {@code _version} (its source LSN) and {@code _is_deleted} (1 for a delete, which carries the key columns only).
 * The table must be a {@code ReplacingMergeTree(_version)} with those two columns (the shape the ClickHouse sink
 * creates): ClickHouse has no transactions and no in-place upsert, so the latest version of each key wins at merge
 * time and {@code FINAL} / {@code _is_deleted = 0} reads give the current rows. Names are validated and back-quoted;
 * values travel as JSON data, never as SQL.
 */
@Component
public class ClickHouseTargets {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final java.time.Duration REQUEST_TIMEOUT = java.time.Duration.ofSeconds(60);

    private final ConnectionsProperties properties;
    /** One client per connection id. */
    private final Map<String, ClickHouseClient> clients = new java.util.concurrent.ConcurrentHashMap<>();

    public ClickHouseTargets(ConnectionsProperties properties) {
        this.properties = properties;
    }

    /** Sends the inserts, checking {@code fence} before each (ClickHouse has no transaction to roll back). */
    public void apply(String connectionId, List<RowChange> changes, WriteFence fence) {
        ConnectionsProperties.TargetConnection connection = properties.connections().get(connectionId);
        if (connection == null || connection.kind() != ConnectionsProperties.Kind.CLICKHOUSE) {
            throw new TargetRefusedException("connection '" + connectionId + "' is not a configured ClickHouse connection", null);
        }
        for (Map.Entry<String, StringBuilder> insert : inserts(connection, changes).entrySet()) {
            fence.check();
            send(connectionId, connection, insert.getKey(), insert.getValue().toString());
        }
    }

    /** The JSONEachRow body per target table (its quoted {@code `database`.`table`} name). */
    static Map<String, StringBuilder> inserts(ConnectionsProperties.TargetConnection connection, List<RowChange> changes) {
        Map<String, StringBuilder> bodies = new LinkedHashMap<>();
        for (RowChange change : changes) {
            String table;
            try {
                List<String> parts = SqlNames.qualified(connection.targetTable(change.schema(), change.table()));
                String database = parts.size() == 2 ? parts.get(0) : connection.clickHouseDatabase();
                table = "`" + SqlNames.check(database) + "`.`" + parts.get(parts.size() - 1) + "`";
                change.key().keySet().forEach(SqlNames::check);
                if (change.row() != null) {
                    change.row().keySet().forEach(SqlNames::check);
                }
            } catch (IllegalArgumentException e) {
                throw new TargetRefusedException("table " + change.schema() + "." + change.table() + ": " + e.getMessage(), e);
            }
            Map<String, Object> row = new LinkedHashMap<>(change.delete() ? change.key() : change.row());
            change.key().forEach(row::putIfAbsent);
            row.put("_version", new java.math.BigInteger(change.lsn()));
            row.put("_is_deleted", change.delete() ? 1 : 0);
            try {
                bodies.computeIfAbsent(table, k -> new StringBuilder())
                        .append(JSON.writeValueAsString(row)).append('\n');
            } catch (JsonProcessingException e) {
                throw new TargetRefusedException("row of " + table + " cannot be written as JSON: " + e.getMessage(), e);
            }
        }
        return bodies;
    }

    private void send(String connectionId, ConnectionsProperties.TargetConnection connection, String table, String body) {
        ClickHouseClient client = clients.computeIfAbsent(connectionId, id -> new ClickHouseClient(connection.clickHouseHttpUrl(),
                connection.clickHouseDatabase(), connection.username(), connection.password(), REQUEST_TIMEOUT));
        try {
            // a column the table does not have is refused, not skipped: the target's shape is the user's
            client.insert(table, body.getBytes(StandardCharsets.UTF_8), false);
        } catch (SinkUnavailableException e) {
            throw new TargetUnavailableException("connection '" + connectionId + "': " + e.getMessage(), e);
        } catch (ClickHouseException refused) {
            String message = "connection '" + connectionId + "': " + refused.getMessage();
            if (refused.isDataError()) {
                throw new TargetRefusedException(message, refused);
            }
            // anything else is the target's state, never the rows': authentication (192-194, 516), access (497), read-only
            // (164), a missing database, table or column (81, 60, 16), a body cut short (32, 33), limits
            throw new TargetUnavailableException(message, refused);
        }
    }
}
