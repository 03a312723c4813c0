package io.cdchub.connections;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.stereotype.Component;
import org.springframework.transaction.TransactionException;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Applies net row changes to a JDBC target in one transaction: batched dialect-specific upserts
 * (PostgreSQL {@code ON CONFLICT ... DO UPDATE}, MariaDB/MySQL {@code ON DUPLICATE KEY UPDATE}) and deletes by key,
 * table and column names validated and quoted, every value a bound parameter. Each statement is one JDBC batch
 * ({@link JdbcTemplate#batchUpdate(String, List)}) on this thread inside a Spring {@link TransactionTemplate} on the
 * connection's DataSource: the JdbcTemplate takes its connection through DataSourceUtils, so every statement of a
 * window joins that one transaction and a failing statement rolls back the ones before it. One small pool per
 * connection, made on first use (so a target that is down never stops start-up).
 */
@Component
public class JdbcTargets implements DisposableBean {

    private final ConnectionsProperties properties;
    private final Map<String, Target> targets = new ConcurrentHashMap<>();
    /** Array columns per connection and target table (PostgreSQL). */
    private final Map<String, java.util.Set<String>> arrayColumns = new ConcurrentHashMap<>();

    public JdbcTargets(ConnectionsProperties properties) {
        this.properties = properties;
    }

    private record Target(HikariDataSource dataSource, JdbcTemplate jdbc, TransactionTemplate transaction) {
    }

    /**
     * @throws TargetUnavailableException when the target cannot be reached or the transaction could not finish
     * @throws TargetRefusedException     when the target refuses a statement (missing table, constraint, bad value)
     */
    public void apply(String connectionId, List<RowChange> changes) {
        apply(connectionId, changes, WriteFence.NONE);
    }

    /** Advisory lock class of the consumers' writes on PostgreSQL targets ({@link WriteFence#name()} gives the object). */
    static final int FENCE_LOCK_CLASS = 0x63646368; // "cdch"

    /**
     * Applies the changes in one transaction that {@code fence} guards: on PostgreSQL the transaction first takes an
     * advisory lock on the fence's name (one writer per consumer at a time), and it commits only if the fence still
     * holds after the statements ({@link WriteFence}).
     *
     * @throws TargetUnavailableException when the target cannot be reached or the transaction could not finish
     * @throws TargetRefusedException     when the target refuses the window's data (a value, a constraint)
     */
    public void apply(String connectionId, List<RowChange> changes, WriteFence fence) {
        ConnectionsProperties.TargetConnection connection = properties.connections().get(connectionId);
        if (connection == null || connection.kind() == null || !connection.kind().isJdbc()) {
            throw new TargetRefusedException("connection '" + connectionId + "' is not a configured JDBC connection", null);
        }
        Target target = targets.computeIfAbsent(connectionId, id -> open(id, connection));
        try {
            List<RowChange> prepared = connection.kind() == ConnectionsProperties.Kind.POSTGRESQL
                    ? withArrayLiterals(connectionId, connection, target, changes) : changes;
            List<Statement> statements = statements(connection, prepared);
            // a statement's failure is thrown from inside the callback, so the transaction rolls back
            target.transaction().executeWithoutResult(status -> {
                if (connection.kind() == ConnectionsProperties.Kind.POSTGRESQL && fence != WriteFence.NONE) {
                    target.jdbc().query("SELECT pg_advisory_xact_lock(?, ?)", (org.springframework.jdbc.core.ResultSetExtractor<Void>) rs -> null,
                            FENCE_LOCK_CLASS, fence.name().hashCode());
                }
                statements.forEach(statement -> send(connectionId, target, statement));
                fence.check(); // throws when this run lost its lock: the transaction rolls back
            });
        } catch (DataAccessException | TransactionException e) {
            RuntimeException classified = forgetTables(connectionId, classify(connectionId, e));
            if (classified instanceof TargetUnavailableException) {
                reconnect(target);
            }
            throw classified;
        } catch (TargetUnavailableException e) {
            reconnect(target); // a statement's failure, classified by send()
            throw forgetTables(connectionId, e);
        } catch (TargetRefusedException e) {
            throw forgetTables(connectionId, e);
        }
    }

    /** One statement with all its rows as one JDBC batch, on this thread (so inside the caller's transaction). */
    private void send(String connectionId, Target target, Statement statement) {
        try {
            target.jdbc().batchUpdate(statement.sql(), statement.rows());
        } catch (DataAccessException e) {
            throw classify(connectionId, e);
        }
    }

    /**
     * After an outage the pool's connections are made again as they are returned: a connection made before it may
     * stay in the state that caused it (a read-only session after a failover, a server that is now a standby).
     */
    private static void reconnect(Target target) {
        var pool = target.dataSource().getHikariPoolMXBean();
        if (pool != null) {
            pool.softEvictConnections();
        }
    }

    /** After a failure the target's tables may have changed (made again, altered): their array columns are read again. */
    private RuntimeException forgetTables(String connectionId, RuntimeException classified) {
        arrayColumns.keySet().removeIf(k -> k.startsWith(connectionId + "|"));
        return classified;
    }

    /**
     * PostgreSQL array columns arrive as JSON arrays ({@code [1,2]}); PostgreSQL reads arrays as {@code {1,2}}. Which
     * columns of a target table are arrays (rather than json/jsonb, which take the JSON as it is) comes from its catalog,
     * read once per table.
     */
    private List<RowChange> withArrayLiterals(String connectionId, ConnectionsProperties.TargetConnection connection, Target target,
                                              List<RowChange> changes) {
        List<RowChange> out = new ArrayList<>(changes.size());
        for (RowChange change : changes) {
            if (change.delete() || change.row() == null) {
                out.add(change);
                continue;
            }
            String table;
            try {
                table = SqlNames.quoteQualified(connection.targetTable(change.schema(), change.table()), connection.kind());
            } catch (IllegalArgumentException e) {
                out.add(change); // refused with its reason by statements()
                continue;
            }
            java.util.Set<String> arrays = arrayColumns.computeIfAbsent(connectionId + "|" + table, k -> java.util.Set.copyOf(target.jdbc().queryForList(
                    "SELECT a.attname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                            + " WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped AND t.typcategory = 'A'",
                    String.class, table)));
            if (arrays.isEmpty() || change.row().keySet().stream().noneMatch(arrays::contains)) {
                out.add(change);
                continue;
            }
            Map<String, Object> row = new LinkedHashMap<>(change.row());
            for (String column : arrays) {
                if (row.get(column) instanceof String json && json.startsWith("[")) {
                    row.put(column, PostgresArrays.literal(json));
                }
            }
            out.add(new RowChange(change.schema(), change.table(), false, change.key(), row, change.lsn()));
        }
        return out;
    }

    /** One statement per target table and column set, with its rows' parameters. */
    static List<Statement> statements(ConnectionsProperties.TargetConnection connection, List<RowChange> changes) {
        ConnectionsProperties.Kind kind = connection.kind();
        Map<String, Statement> bySql = new LinkedHashMap<>();
        for (RowChange change : changes) {
            String table;
            List<String> keyColumns = new ArrayList<>(change.key().keySet());
            try {
                table = SqlNames.quoteQualified(connection.targetTable(change.schema(), change.table()), kind);
                keyColumns.forEach(SqlNames::check);
                if (change.row() != null) {
                    change.row().keySet().forEach(SqlNames::check);
                }
            } catch (IllegalArgumentException e) {
                throw new TargetRefusedException("table " + change.schema() + "." + change.table() + ": " + e.getMessage(), e);
            }
            if (keyColumns.isEmpty()) {
                throw new TargetRefusedException("table " + change.schema() + "." + change.table() + " has no primary key: "
                        + "a sync job needs one to upsert and delete", null);
            }
            if (change.delete()) {
                String sql = "DELETE FROM " + table + " WHERE " + String.join(" AND ",
                        keyColumns.stream().map(c -> SqlNames.quote(c, kind) + " = ?").toList());
                bySql.computeIfAbsent(sql, Statement::new).rows().add(keyColumns.stream().map(change.key()::get).toArray());
            } else {
                Map<String, Object> row = new LinkedHashMap<>(change.row());
                change.key().forEach(row::putIfAbsent);
                List<String> columns = new ArrayList<>(row.keySet());
                String sql = upsert(kind, table, columns, keyColumns);
                bySql.computeIfAbsent(sql, Statement::new).rows().add(columns.stream().map(row::get).toArray());
            }
        }
        return new ArrayList<>(bySql.values());
    }

    static String upsert(ConnectionsProperties.Kind kind, String table, List<String> columns, List<String> keyColumns) {
        List<String> quoted = columns.stream().map(c -> SqlNames.quote(c, kind)).toList();
        List<String> updated = columns.stream().filter(c -> !keyColumns.contains(c)).map(c -> SqlNames.quote(c, kind)).toList();
        String insert = "INSERT INTO " + table + " (" + String.join(", ", quoted) + ") VALUES ("
                + String.join(", ", columns.stream().map(c -> "?").toList()) + ")";
        if (kind == ConnectionsProperties.Kind.MARIADB) {
            return updated.isEmpty() ? insert.replaceFirst("^INSERT", "INSERT IGNORE")
                    : insert + " ON DUPLICATE KEY UPDATE " + String.join(", ", updated.stream().map(c -> c + " = VALUES(" + c + ")").toList());
        }
        String conflict = " ON CONFLICT (" + String.join(", ", keyColumns.stream().map(c -> SqlNames.quote(c, kind)).toList()) + ")";
        return updated.isEmpty() ? insert + conflict + " DO NOTHING"
                : insert + conflict + " DO UPDATE SET " + String.join(", ", updated.stream().map(c -> c + " = EXCLUDED." + c).toList());
    }

    record Statement(String sql, List<Object[]> rows) {
        Statement(String sql) {
            this(sql, new ArrayList<>());
        }
    }

    private Target open(String id, ConnectionsProperties.TargetConnection connection) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("cdc-target-" + id);
        config.setJdbcUrl(connection.url());
        if (!connection.username().isEmpty()) {
            config.setUsername(connection.username());
        }
        if (!connection.password().isEmpty()) {
            config.setPassword(connection.password());
        }
        config.setMaximumPoolSize(2);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(5000);
        config.setValidationTimeout(2000);
        // no connection at creation: a target that is down fails its runs (retried), never the application
        config.setInitializationFailTimeout(-1);
        config.setAutoCommit(true);
        if (connection.kind() == ConnectionsProperties.Kind.POSTGRESQL) {
            // values arrive as JSON text; the server casts them to each column's type (timestamptz, uuid, jsonb, numeric)
            config.addDataSourceProperty("stringtype", "unspecified");
        }
        if (connection.url().startsWith("jdbc:mysql:")) {
            config.addDataSourceProperty("permitMysqlScheme", "true");
        }
        HikariDataSource dataSource = new HikariDataSource(config);
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        return new Target(dataSource, jdbc, new TransactionTemplate(new DataSourceTransactionManager(dataSource)));
    }

    /**
     * Whether a failure is the target's state ({@link TargetUnavailableException}: retried, the window kept) or this
     * window's data ({@link TargetRefusedException}: the run fails, its events are dead-lettered). An outage must never
     * become a dead letter, so only a refusal that is known to be about the values sent is one; anything else, known or
     * not, is retried (README "Aggregation", table "What a failure is").
     */
    static RuntimeException classify(String connectionId, Exception e) {
        String message = "connection '" + connectionId + "': " + rootMessage(e);
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null && refusesTheData(sql.getSQLState(), sql.getErrorCode())) {
                return new TargetRefusedException(message, e);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return new TargetUnavailableException(message, e);
    }

    /**
     * SQLStates of a refusal of the rows themselves: class 22 (data exception: a value out of range, of the wrong form,
     * too long), class 23 (integrity constraint: not null, unique, foreign key, check), 42804 (datatype mismatch) and
     * 2200x-like MariaDB/MySQL refusals reported as HY000 with their own codes (1366 incorrect value, 1364 no default,
     * 1048 column cannot be null). Everything else is about the target: connection (08), authentication (28), rights
     * (42501), a missing database, schema, table or column (3D000, 3F000, 42P01, 42703, MariaDB 42S02/42S22),
     * read-only (25006, MariaDB 1290/1792), locks and timeouts (55P03, 57014, 40xxx, MariaDB 1205), resources (53),
     * operator intervention (57), a key without a unique constraint (42P10)...
     */
    static boolean refusesTheData(String sqlState, int vendorCode) {
        if (sqlState.startsWith("22") || sqlState.startsWith("23") || sqlState.equals("42804")) {
            return true;
        }
        return sqlState.equals("HY000") && (vendorCode == 1366 || vendorCode == 1364 || vendorCode == 1048);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    @Override
    public void destroy() {
        targets.values().forEach(t -> t.dataSource().close());
    }
}
