package io.cdchub.admin;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import org.postgresql.ds.PGSimpleDataSource;

/**
 * Connects to a connector's database before its definition is accepted, as Kafka Connect validates a connector
 * before creating it: wrong credentials, an unknown database, an unreachable host or {@code wal_level} not logical
 * are a 400 naming the field, rather than a connector that fails later in the background. So is a user without the
 * REPLICATION attribute, which can log in but not open the replication connection the engine needs.
 */
public class DatabaseCheck {

    private final int timeoutSeconds;

    public DatabaseCheck(int timeoutSeconds) {
        this.timeoutSeconds = timeoutSeconds;
    }

    public void check(Map<String, String> config, ConnectorConfigs.Naming naming) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {config.get("database.hostname")});
        ds.setPortNumbers(new int[] {Integer.parseInt(config.get("database.port"))});
        ds.setDatabaseName(config.get("database.dbname"));
        ds.setUser(config.get("database.user"));
        String password = config.get("database.password");
        if (password != null && !password.isEmpty()) {
            ds.setPassword(password);
        }
        String sslmode = config.get("database.sslmode");
        if (sslmode != null) {
            ds.setSslMode(sslmode);
        }
        ds.setConnectTimeout(timeoutSeconds);
        ds.setLoginTimeout(timeoutSeconds);
        ds.setSocketTimeout(timeoutSeconds);
        ds.setApplicationName("cdc-hub-connector-check");
        try (Connection connection = ds.getConnection(); Statement st = connection.createStatement()) {
            try (ResultSet rs = st.executeQuery("SHOW wal_level")) {
                rs.next();
                String walLevel = rs.getString(1);
                if (!"logical".equals(walLevel)) {
                    throw ApiException.badRequest(naming.field("database.hostname"),
                            "PostgreSQL has wal_level=" + walLevel + "; change data capture needs wal_level=logical");
                }
            }
            // a replication connection needs the REPLICATION attribute (or superuser); without it the engine fails later
            try (ResultSet rs = st.executeQuery("SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user")) {
                if (rs.next() && !rs.getBoolean(1)) {
                    throw ApiException.badRequest(naming.field("database.user"), "PostgreSQL user '" + config.get("database.user")
                            + "' may not stream changes: it needs the REPLICATION attribute (ALTER ROLE ... WITH REPLICATION)");
                }
            }
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            if (state.equals("28P01") || state.equals("28000")) {
                throw ApiException.badRequest(naming.field("database.password"),
                        "PostgreSQL refused user '" + config.get("database.user") + "': " + e.getMessage());
            }
            if (state.equals("3D000")) {
                throw ApiException.badRequest(naming.field("database.dbname"), "database does not exist: " + e.getMessage());
            }
            throw ApiException.badRequest(naming.field("database.hostname"), "cannot connect to PostgreSQL at "
                    + config.get("database.hostname") + ":" + config.get("database.port") + ": " + e.getMessage());
        }
    }
}
