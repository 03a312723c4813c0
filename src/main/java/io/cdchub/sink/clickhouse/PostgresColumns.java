package io.cdchub.sink.clickhouse;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

import io.cdchub.source.SourceProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Column types of a captured table, read from PostgreSQL's catalog over the source connection
 * ({@code cdc.source.database.*}), for every sink that makes tables or files (ClickHouse, Iceberg, Parquet, Delta Lake).
 * The change events carry values but no types, and a table made from values alone would guess (a date is a string in
 * JSON). When the catalog cannot be read each sink falls back to types inferred from the JSON values
 * ({@link ClickHouseTypes#inferred}, {@code IcebergTypes.inferred}, {@code LakeColumn.inferred}).
 */
public class PostgresColumns {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresColumns.class);

    /** One column as information_schema describes it. */
    public record Column(String name, String dataType, String udtName, Integer precision, Integer scale) {
    }

    private static final String QUERY = """
            SELECT column_name, data_type, udt_name, numeric_precision, numeric_scale
            FROM information_schema.columns
            WHERE table_schema = ? AND table_name = ?
            ORDER BY ordinal_position""";

    private final SourceProperties.Database database;

    public PostgresColumns(SourceProperties.Database database) {
        this.database = database;
    }

    /** The table's columns in PostgreSQL's order; empty when the table or the database cannot be read. */
    public Map<String, Column> columns(String schema, String table) {
        Map<String, Column> columns = new LinkedHashMap<>();
        if (database == null || database.hostname() == null || database.dbname() == null) {
            return columns;
        }
        String url = "jdbc:postgresql://" + database.hostname() + ":" + database.port() + "/" + database.dbname();
        Properties props = new Properties();
        props.setProperty("user", database.user() == null ? "" : database.user());
        if (database.password() != null && !database.password().isEmpty()) {
            props.setProperty("password", database.password());
        }
        props.setProperty("sslmode", database.sslmode() == null ? "prefer" : database.sslmode());
        props.setProperty("connectTimeout", "10");
        props.setProperty("ApplicationName", "cdc-hub-sink-columns");
        try (Connection c = DriverManager.getConnection(url, props); PreparedStatement st = c.prepareStatement(QUERY)) {
            st.setString(1, schema);
            st.setString(2, table);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    columns.put(rs.getString(1), new Column(rs.getString(1), rs.getString(2), rs.getString(3),
                            (Integer) rs.getObject(4), (Integer) rs.getObject(5)));
                }
            }
        } catch (SQLException e) {
            LOG.warn("Cannot read the column types of {}.{} from PostgreSQL ({}); the sink types its columns from the values",
                    schema, table, e.getMessage());
        }
        return columns;
    }
}
