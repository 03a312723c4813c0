package io.cdchub.source.snapshot;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.connections.ConnectionsProperties;
import io.cdchub.connections.SqlNames;
import io.cdchub.source.SourceDatabaseInspector;
import io.cdchub.source.SourceProperties;

/**
 * Asks a connector's Debezium engine for a re-snapshot of chosen tables (an incremental snapshot: chunk by chunk while
 * streaming goes on) by inserting an {@code execute-snapshot} row into its signal table, the channel Debezium reads
 * through the replication slot itself. A signal written while the connector is stopped or paused runs when it reads
 * on; a running snapshot survives restarts (Debezium keeps its position in the offsets).
 *
 * <p>Everything asked is checked first, so a bad request is refused with its reason instead of failing inside the
 * engine: each table must exist, be captured by the connector and have a primary key (the chunks are key ranges); the
 * optional filter must be one SQL condition PostgreSQL accepts on that table (checked with {@code EXPLAIN} in a
 * read-only transaction). The filter is a SQL condition by design (Debezium's {@code additional-conditions}): it runs
 * with the connector's database user, which should have no more than SELECT on the captured tables.
 */
public class ReSnapshotRequests {

    private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}\\.[A-Za-z_][A-Za-z0-9_$]{0,62}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /**
     * A connector re-snapshots can be asked of.
     *
     * @param connector   its name in the API
     * @param logicalName its {@code topic.prefix}: what Debezium's notifications name it by
     * @param database    where its signal table is
     * @param signalTable {@code schema.table}, or null when it has none
     * @param captured    its {@code table.include.list} regexes over {@code schema.table}; empty: every table
     */
    public record Target(String connector, String logicalName, SourceProperties.Database database, String signalTable, List<Pattern> captured) {
    }

    /** A request refused: {@code field} names what is wrong, {@code conflict} when the connector cannot take one at all. */
    public static class Refused extends RuntimeException {
        private final String field;
        private final boolean conflict;

        Refused(String field, String message, boolean conflict) {
            super(message);
            this.field = field;
            this.conflict = conflict;
        }

        public String field() {
            return field;
        }

        public boolean conflict() {
            return conflict;
        }
    }

    /** Requests a re-snapshot; returns its id (the signal's id, which Debezium's progress notifications carry). */
    public String request(Target target, List<String> tables, String filter) {
        List<String> chosen = tables(target, tables);
        String condition = filter == null || filter.isBlank() ? null : filter.trim();
        if (condition != null && chosen.size() != 1) {
            throw new Refused("filter", "applies to one table; ask for the tables one at a time to filter them", false);
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("type", "incremental");
        data.put("data-collections", chosen.stream().map(ReSnapshotRequests::regex).toList());
        String id = UUID.randomUUID().toString();
        try (Connection connection = connect(target)) {
            for (String table : chosen) {
                checkTable(connection, table);
            }
            if (condition != null) {
                checkFilter(connection, chosen.get(0), condition);
                data.put("additional-conditions", List.of(Map.of("data-collection", regex(chosen.get(0)), "filter", condition)));
            }
            signal(connection, target, id, "execute-snapshot", data);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot write the re-snapshot signal to " + target.signalTable() + " of connector "
                    + target.connector() + ": " + e.getMessage(), e);
        }
        ReSnapshotProgress.requested(target.logicalName(), id, chosen, condition);
        return id;
    }

    /** Stops the connector's running re-snapshot (of the given tables only, or all); returns the signal's id. */
    public String stop(Target target, List<String> tables) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("type", "incremental");
        if (tables != null && !tables.isEmpty()) {
            data.put("data-collections", tables(target, tables).stream().map(ReSnapshotRequests::regex).toList());
        }
        String id = UUID.randomUUID().toString();
        try (Connection connection = connect(target)) {
            signal(connection, target, id, "stop-snapshot", data);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot write the stop signal to " + target.signalTable() + " of connector "
                    + target.connector() + ": " + e.getMessage(), e);
        }
        return id;
    }

    private static List<String> tables(Target target, List<String> tables) {
        if (target.signalTable() == null) {
            throw new Refused(null, "connector " + target.connector() + " has no signal table, so it cannot re-snapshot while streaming:"
                    + " set cdc.source.signal-table (the built-in source) or signal.data.collection, captured in table.include.list"
                    + " (a runtime connector)", true);
        }
        if (!TABLE.matcher(target.signalTable()).matches()) {
            throw new Refused(null, "connector " + target.connector() + "'s signal table '" + target.signalTable() + "' is not a schema.table name", true);
        }
        if (tables == null || tables.isEmpty()) {
            throw new Refused("tables", "must name at least one table as schema.table", false);
        }
        LinkedHashSet<String> chosen = new LinkedHashSet<>();
        for (String table : tables) {
            if (table == null || !TABLE.matcher(table).matches()) {
                throw new Refused("tables", "must be schema.table names (letters, digits, '_', '$'), but has '" + table + "'", false);
            }
            if (!target.captured().isEmpty() && target.captured().stream().noneMatch(p -> p.matcher(table).matches())) {
                throw new Refused("tables", table + " is not captured by connector " + target.connector(), false);
            }
            if (table.equals(target.signalTable())) {
                throw new Refused("tables", table + " is the connector's signal table", false);
            }
            chosen.add(table);
        }
        return new ArrayList<>(chosen);
    }

    private static Connection connect(Target target) throws SQLException {
        return target.database().dataSource("cdc-hub-resnapshot", TIMEOUT).getConnection();
    }

    private static void checkTable(Connection connection, String table) throws SQLException {
        String[] parts = table.split("\\.");
        try (PreparedStatement st = connection.prepareStatement("""
                SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')""")) {
            st.setString(1, parts[0]);
            st.setString(2, parts[1]);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    throw new Refused("tables", "table " + table + " does not exist", false);
                }
                if (!rs.getBoolean(1)) {
                    throw new Refused("tables", "table " + table + " has no primary key: a re-snapshot reads it in key ranges", false);
                }
            }
        }
    }

    /** The filter must be one condition PostgreSQL accepts on the table: planned (never run) in a read-only transaction. */
    private static void checkFilter(Connection connection, String table, String filter) throws SQLException {
        if (filter.contains(";") || filter.contains("--") || filter.contains("/*")) {
            throw new Refused("filter", "must be one SQL condition, without ';' or comments", false);
        }
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement st = connection.createStatement()) {
            st.execute("SET TRANSACTION READ ONLY");
            st.execute("SET LOCAL statement_timeout = 5000");
            try (PreparedStatement explain = connection.prepareStatement("EXPLAIN SELECT 1 FROM " + quoted(table) + " WHERE (" + filter + ")")) {
                explain.executeQuery().close();
            } catch (SQLException e) {
                throw new Refused("filter", "is not a condition PostgreSQL accepts on " + table + ": " + e.getMessage(), false);
            }
        } finally {
            connection.rollback();
            connection.setAutoCommit(autoCommit);
        }
    }

    private static void signal(Connection connection, Target target, String id, String type, Map<String, Object> data) throws SQLException {
        String json;
        try {
            json = JSON.writeValueAsString(data);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        try (PreparedStatement st = connection.prepareStatement("INSERT INTO " + quoted(target.signalTable()) + " (id, type, data) VALUES (?, ?, ?)")) {
            st.setString(1, id);
            st.setString(2, type);
            st.setString(3, json);
            st.executeUpdate();
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                throw new Refused(null, "connector " + target.connector() + "'s signal table " + target.signalTable() + " does not exist (cdc-hub"
                        + " creates it at start when its user may): " + SourceDatabaseInspector.signalTableDdl(target.signalTable()), true);
            }
            throw e;
        }
    }

    /** Debezium reads data collections as regexes over {@code schema.table}: the name, matched exactly. */
    private static String regex(String table) {
        return table.replace(".", "\\.").replace("$", "\\$");
    }

    /** {@code "schema"."table"} of a name checked against {@link #TABLE}. */
    private static String quoted(String table) {
        return SqlNames.quoteQualified(table, ConnectionsProperties.Kind.POSTGRESQL);
    }
}
