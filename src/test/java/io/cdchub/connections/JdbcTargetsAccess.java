package io.cdchub.connections;

import java.util.List;

/** Test access to JdbcTargets' package-private statement building and failure classification. */
public final class JdbcTargetsAccess {

    private JdbcTargetsAccess() {
    }

    public static List<String> sql(ConnectionsProperties.TargetConnection connection, List<RowChange> changes) {
        return JdbcTargets.statements(connection, changes).stream().map(JdbcTargets.Statement::sql).toList();
    }

    public static RuntimeException classify(Exception e) {
        return JdbcTargets.classify("test", e);
    }
}
