package io.cdchub.connections;

import java.util.List;

/** Test access to the targets' package-private statement building and failure classification. */
public final class JdbcTargetsAccess {

    private JdbcTargetsAccess() {
    }

    public static List<String> sql(ConnectionsProperties.TargetConnection connection, List<RowChange> changes) {
        return JdbcTargets.statements(connection, changes).stream().map(JdbcTargets.Statement::sql).toList();
    }

    public static java.util.Map<String, String> clickHouseInserts(ConnectionsProperties.TargetConnection connection, List<RowChange> changes) {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        ClickHouseTargets.inserts(connection, changes).forEach((table, body) -> out.put("INSERT INTO " + table + " FORMAT JSONEachRow", body.toString()));
        return out;
    }

    public static String postgresArray(String json) {
        return PostgresArrays.literal(json);
    }

    public static RuntimeException classify(Exception e) {
        return JdbcTargets.classify("test", e);
    }
}
