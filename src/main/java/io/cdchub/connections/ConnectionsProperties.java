package io.cdchub.connections;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

import io.cdchub.config.InvalidConfigurationException;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Named target connections ({@code cdc.connections.<id>.*}) that pipelines refer to by id: JDBC databases
 * (PostgreSQL, MariaDB/MySQL) and ClickHouse (over its HTTP interface) for {@code sync} jobs, http(s) endpoints for
 * {@code webhook} jobs.
 *
 * @param connections by id (letters, digits, '_', '-')
 */
@ConfigurationProperties("cdc")
public record ConnectionsProperties(@DefaultValue Map<String, TargetConnection> connections) {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

    public ConnectionsProperties {
        connections = connections == null ? Map.of() : new TreeMap<>(connections);
        for (Map.Entry<String, TargetConnection> entry : connections.entrySet()) {
            String prefix = "cdc.connections." + entry.getKey();
            if (!ID.matcher(entry.getKey()).matches()) {
                throw new InvalidConfigurationException(prefix, "names a connection: its id must be 1-64 letters, digits, '_' or '-'");
            }
            entry.getValue().validate(prefix);
        }
    }

    /**
     * One target.
     *
     * @param url      {@code jdbc:postgresql://...}, {@code jdbc:mariadb://...}, {@code jdbc:mysql://...},
     *                 {@code clickhouse://host:8123/database} ({@code clickhouses://} for https) or {@code http(s)://...}
     * @param username user (JDBC) or basic-auth user (http); may be empty
     * @param password its password; may be empty
     * @param tables   target table per source table ({@code <table>} or {@code <schema>.<table>} as key); default: the
     *                 source table's name, unqualified (the target's default schema)
     */
    public record TargetConnection(String url, @DefaultValue("") String username, @DefaultValue("") String password,
                                   @DefaultValue Map<String, String> tables) {

        public TargetConnection {
            tables = tables == null ? Map.of() : Map.copyOf(tables);
        }

        void validate(String prefix) {
            if (url == null || url.isBlank()) {
                throw new InvalidConfigurationException(prefix + ".url", "must be set: jdbc:postgresql://..., jdbc:mariadb://..., "
                        + "jdbc:mysql://..., clickhouse(s)://host:port/database or http(s)://...");
            }
            if (kind() == null) {
                throw new InvalidConfigurationException(prefix + ".url", "must start with jdbc:postgresql:, jdbc:mariadb:, jdbc:mysql:, "
                        + "clickhouse://, clickhouses://, http:// or https://, but is '" + url.replaceAll("//[^@/]*@", "//***@") + "'");
            }
            if (kind() == Kind.CLICKHOUSE) {
                try {
                    java.net.URI uri = java.net.URI.create(url);
                    if (uri.getHost() == null) {
                        throw new IllegalArgumentException("no host");
                    }
                    SqlNames.check(clickHouseDatabase());
                } catch (IllegalArgumentException e) {
                    throw new InvalidConfigurationException(prefix + ".url", "must be clickhouse://host:port/database, but is '"
                            + url.replaceAll("//[^@/]*@", "//***@") + "' (" + e.getMessage() + ")");
                }
            }
            tables.forEach((source, target) -> {
                try {
                    SqlNames.qualified(target);
                } catch (IllegalArgumentException e) {
                    throw new InvalidConfigurationException(prefix + ".tables." + source, e.getMessage());
                }
            });
        }

        /** What the url reaches, or null when it is none of the supported kinds. */
        public Kind kind() {
            if (url.startsWith("jdbc:postgresql:")) {
                return Kind.POSTGRESQL;
            }
            if (url.startsWith("jdbc:mariadb:") || url.startsWith("jdbc:mysql:")) {
                return Kind.MARIADB;
            }
            if (url.startsWith("clickhouse://") || url.startsWith("clickhouses://")) {
                return Kind.CLICKHOUSE;
            }
            if (url.startsWith("http://") || url.startsWith("https://")) {
                return Kind.HTTP;
            }
            return null;
        }

        /** For a ClickHouse connection: its HTTP interface, e.g. http://host:8123. */
        public String clickHouseHttpUrl() {
            java.net.URI uri = java.net.URI.create(url);
            return (url.startsWith("clickhouses:") ? "https" : "http") + "://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
        }

        /** For a ClickHouse connection: the database of its tables (default "default"). */
        public String clickHouseDatabase() {
            String path = java.net.URI.create(url).getPath();
            return path == null || path.isEmpty() || path.equals("/") ? "default" : path.substring(1);
        }

        /** The target table for a source table: mapped by schema.table, then by table, else the table's own name. */
        public String targetTable(String schema, String table) {
            String mapped = tables.get(schema + "." + table);
            if (mapped == null) {
                mapped = tables.get(table);
            }
            return mapped != null ? mapped : table;
        }

        @Override
        public String toString() {
            return "TargetConnection[" + kind() + "]"; // never the password
        }
    }

    public enum Kind {
        POSTGRESQL, MARIADB, CLICKHOUSE, HTTP;

        /** A database a sync job can write to (JDBC or ClickHouse), as opposed to a webhook. */
        public boolean isDatabase() {
            return this != HTTP;
        }

        public boolean isJdbc() {
            return this == POSTGRESQL || this == MARIADB;
        }
    }
}
