package io.cdchub.source;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import io.cdchub.connections.SqlNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which tables the built-in source captures: the regexes of {@code cdc.source.tables} plus those other features add
 * for the tables they create ({@link AdditionalCapture}), and keeping the source's publication in step with them.
 * <p>
 * Debezium's {@code filtered} publication holds the matching tables that exist when the source starts; a table created
 * later is added only at the next start, and its earlier changes are lost to logical decoding for good (pgoutput
 * decides by the publication as it was when the change was written). So a feature that creates a captured table adds
 * it to the publication itself, in the transaction that creates and fills it ({@link #addToPublication}).
 */
public class CapturedTables {

    private static final Logger LOG = LoggerFactory.getLogger(CapturedTables.class);

    private final SourceProperties source;
    private final List<String> regexes;
    private final List<Pattern> patterns;

    public CapturedTables(SourceProperties source, List<AdditionalCapture> additions) {
        this.source = source;
        List<String> all = new ArrayList<>();
        if (source.tables() != null && !source.tables().isBlank()) {
            all.addAll(SourceProperties.tableRegexes(source.tables()));
        }
        for (AdditionalCapture addition : additions) {
            addition.tableRegexes().stream().filter(regex -> !all.contains(regex)).forEach(all::add);
        }
        this.regexes = List.copyOf(all);
        // as Debezium matches table.include.list: case-insensitive, over schema.table
        this.patterns = regexes.stream().map(regex -> Pattern.compile(regex, Pattern.CASE_INSENSITIVE)).toList();
    }

    /** Debezium's table.include.list: the configured regexes, then the added ones. */
    public List<String> includeList() {
        return regexes;
    }

    /** Whether the built-in source of this instance captures the table. */
    public boolean captures(String schema, String table) {
        String qualified = schema + "." + table;
        return source.enabled() && patterns.stream().anyMatch(p -> p.matcher(qualified).matches());
    }

    /**
     * Adds a captured table to the source's publication, in the caller's transaction, so the rows that transaction
     * writes are decoded. Nothing to do when the table is not captured, or when the publication holds it already (or
     * all tables). When the publication does not exist yet, the source is starting: it will create it with every
     * matching table, but a transaction that began before and commits after may be neither in its snapshot nor in
     * its stream, so the caller should write later.
     */
    public PublicationChange addToPublication(Connection connection, String schema, String table) throws SQLException {
        if (!captures(schema, table)) {
            return PublicationChange.NOT_CAPTURED;
        }
        String publication = source.publicationName(); // validated: [a-z0-9_]{1,63}
        String sql = """
                SELECT p.puballtables,
                       EXISTS (SELECT 1 FROM pg_publication_tables t WHERE t.pubname = p.pubname AND t.schemaname = ? AND t.tablename = ?)
                FROM pg_publication p WHERE p.pubname = ?
                """;
        try (PreparedStatement st = connection.prepareStatement(sql)) {
            st.setString(1, schema);
            st.setString(2, table);
            st.setString(3, publication);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    return PublicationChange.NO_PUBLICATION_YET;
                }
                if (rs.getBoolean(1) || rs.getBoolean(2)) {
                    return PublicationChange.ALREADY_IN;
                }
            }
        }
        try (Statement st = connection.createStatement()) {
            st.execute("ALTER PUBLICATION " + SqlNames.quotePostgres(publication) + " ADD TABLE " + SqlNames.quotePostgres(schema) + "." + SqlNames.quotePostgres(table));
        }
        LOG.info("Table {}.{} added to publication {}: the source captures its rows from this transaction on", schema, table, publication);
        return PublicationChange.ADDED;
    }

    /** What {@link #addToPublication} found and did. */
    public enum PublicationChange {
        /** the built-in source of this instance does not capture the table */
        NOT_CAPTURED,
        /** the publication holds the table already, or all tables */
        ALREADY_IN,
        /** added, in the caller's transaction */
        ADDED,
        /** the source has not created its publication yet */
        NO_PUBLICATION_YET
    }

    /** Tables another feature creates and wants captured like the configured ones: regexes over {@code schema.table}. */
    @FunctionalInterface
    public interface AdditionalCapture {
        List<String> tableRegexes();
    }
}
