package io.cdchub.source;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import io.cdchub.config.InvalidConfigurationException;
import io.cdchub.connections.ConnectionsProperties;
import io.cdchub.connections.SqlNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the captured database before Debezium starts, so mistakes surface as one clear message at
 * start-up rather than as a silent source: wrong credentials or database name (fails, naming the
 * property), wal_level not logical (fails), captured tables without a primary key or matching no
 * table (warnings), and prepares the heartbeat and signal tables.
 */
public class SourceDatabaseInspector {

    private static final Logger LOG = LoggerFactory.getLogger(SourceDatabaseInspector.class);

    private final SourceProperties source;

    public SourceDatabaseInspector(SourceProperties source) {
        this.source = source;
    }

    /** Result of the checks Debezium's configuration depends on. */
    public record Findings(boolean reachable, boolean heartbeatTableReady, boolean signalTableReady, List<String> tablesWithoutPrimaryKey) {
    }

    public Findings inspect() {
        try (Connection connection = source.database().dataSource("cdc-hub-inspector", java.time.Duration.ofSeconds(10)).getConnection()) {
            requireLogicalWal(connection);
            List<String> keyless = checkTables(connection);
            boolean heartbeatReady = source.heartbeat().interval().isZero() || prepareHeartbeatTable(connection);
            boolean signalReady = source.signals() && prepareSignalTable(connection);
            return new Findings(true, heartbeatReady, signalReady, keyless);
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            if (state.equals("28P01") || state.equals("28000")) {
                throw new InvalidConfigurationException("cdc.source.database.password",
                        "was refused by PostgreSQL for user '" + source.database().user() + "': " + e.getMessage());
            }
            if (state.equals("3D000")) {
                throw new InvalidConfigurationException("cdc.source.database.dbname", "names a database that does not exist: " + e.getMessage());
            }
            // Unreachable for now: Debezium retries the connection; say so once, clearly.
            LOG.warn("Cannot reach PostgreSQL at {}:{} yet ({}); the source will keep retrying", source.database().hostname(),
                    source.database().port(), e.getMessage());
            return new Findings(false, false, false, List.of());
        }
    }

    private void requireLogicalWal(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SHOW wal_level")) {
            rs.next();
            String level = rs.getString(1);
            if (!"logical".equals(level)) {
                throw new IllegalStateException("PostgreSQL at " + source.database().hostname() + ":" + source.database().port()
                        + " runs with wal_level=" + level + "; logical replication needs wal_level=logical"
                        + " (ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL)");
            }
        }
    }

    private List<String> checkTables(Connection connection) throws SQLException {
        List<Pattern> patterns = SourceProperties.tableRegexes(source.tables()).stream().map(Pattern::compile).toList();
        List<String> captured = new ArrayList<>();
        List<String> keyless = new ArrayList<>();
        String sql = """
                SELECT n.nspname, c.relname, c.relreplident,
                       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                """;
        try (PreparedStatement st = connection.prepareStatement(sql); ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                String qualified = rs.getString(1) + "." + rs.getString(2);
                if (patterns.stream().noneMatch(p -> p.matcher(qualified).matches())) {
                    continue;
                }
                captured.add(qualified);
                if (!rs.getBoolean(4)) {
                    keyless.add(qualified);
                    boolean full = "f".equals(rs.getString(3));
                    LOG.warn("Captured table {} has no primary key: its events are keyed by null (no per-key order across partitions)."
                            + (full ? "" : " Its UPDATEs and DELETEs will be rejected by PostgreSQL once the publication includes it,"
                                    + " unless you run ALTER TABLE " + qualified + " REPLICA IDENTITY FULL."), qualified);
                }
            }
        }
        if (captured.isEmpty()) {
            LOG.warn("cdc.source.tables='{}' matches no table in database {} yet; changes of tables created later under these names"
                    + " are captured once they exist and the publication includes them", source.tables(), source.database().dbname());
        } else {
            LOG.info("Capturing {} table(s): {}", captured.size(), captured);
        }
        return keyless;
    }

    private boolean prepareHeartbeatTable(Connection connection) {
        String table = SqlNames.quoteQualified(source.heartbeat().table(), ConnectionsProperties.Kind.POSTGRESQL);
        try (Statement st = connection.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS " + table + " (slot text PRIMARY KEY, beat_at timestamptz NOT NULL)");
            return true;
        } catch (SQLException e) {
            LOG.warn("Cannot create heartbeat table {} ({}); heartbeats go on without the action query, so on a database whose only"
                    + " writes are to uncaptured tables WAL may pile up behind slot {}. Create it as: CREATE TABLE {} (slot text PRIMARY KEY,"
                    + " beat_at timestamptz NOT NULL)", table, e.getMessage(), source.slot(), table);
            return false;
        }
    }

    /** Debezium's signal table, in the columns Debezium reads (id, type, data); it also holds incremental snapshots' watermarks. */
    private boolean prepareSignalTable(Connection connection) {
        String table = SqlNames.quoteQualified(source.signalTable(), ConnectionsProperties.Kind.POSTGRESQL);
        String ddl = signalTableDdl(source.signalTable());
        try (Statement st = connection.createStatement()) {
            st.execute(ddl.replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS "));
            return true;
        } catch (SQLException e) {
            LOG.warn("Cannot create the signal table {} ({}): re-snapshots of chosen tables are off until it exists. Create it as: {};"
                    + " or set cdc.source.signal-table to a table cdc-hub's user may write", table, e.getMessage(), ddl);
            return false;
        }
    }

    /** The DDL of a signal table {@code schema.table}: what cdc-hub runs, and what it tells users to run when it may not. */
    public static String signalTableDdl(String schemaDotTable) {
        return "CREATE TABLE " + SqlNames.quoteQualified(schemaDotTable, ConnectionsProperties.Kind.POSTGRESQL)
                + " (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(8192))";
    }

    /** The default heartbeat action: an upsert of this slot's row, a WAL write that lets the slot advance. */
    public static String heartbeatActionQuery(SourceProperties source) {
        String[] parts = source.heartbeat().table().split("\\.");
        return "INSERT INTO \"" + parts[0] + "\".\"" + parts[1] + "\" (slot, beat_at) VALUES ('" + source.slot()
                + "', now()) ON CONFLICT (slot) DO UPDATE SET beat_at = EXCLUDED.beat_at";
    }
}
