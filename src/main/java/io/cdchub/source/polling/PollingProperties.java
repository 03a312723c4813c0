package io.cdchub.source.polling;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import io.cdchub.config.InvalidConfigurationException;
import io.cdchub.connections.SqlNames;
import io.cdchub.source.SourceProperties;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The polling source ({@code cdc.polling.*}): change detection by querying tables for rows whose watermark column moved,
 * for databases where logical replication is not possible (README "Polling source"). Events go to the same topics, in
 * the same envelope and value form ({@code cdc.source.value-format}) as the logical-replication source's.
 *
 * @param enabled      run the polling source in this instance
 * @param name         the source's name: its offsets' key and its metrics' {@code source} tag
 * @param database     the polled database; when {@code hostname} is not set, {@code cdc.source.database.*}
 * @param tables       the polled tables, each with its watermark column
 * @param pollInterval wait between polls of a table that is caught up (default for every table)
 * @param batchSize    most rows one poll reads (and publishes as one Kafka batch) per table
 * @param margin       how far back in time each pass over a timestamp watermark starts again, so rows committed late
 *                     with an older watermark are still seen (default for every table)
 * @param keyMargin    the same for a key watermark (an increasing id): how many key values back each pass starts
 * @param offsetStore  where the watermarks are kept: file (under cdc.data-dir/offsets) or kafka
 * @param offsetTopic  the compacted topic of the kafka offset store
 * @param queryTimeout the longest one poll's query may run
 */
@ConfigurationProperties("cdc.polling")
public record PollingProperties(
        @DefaultValue("false") boolean enabled,
        @DefaultValue("cdc-hub-polling") String name,
        @DefaultValue SourceProperties.Database database,
        List<Table> tables,
        @DefaultValue("1s") Duration pollInterval,
        @DefaultValue("1000") int batchSize,
        @DefaultValue("10s") Duration margin,
        @DefaultValue("1000") long keyMargin,
        @DefaultValue("file") SourceProperties.OffsetStore offsetStore,
        @DefaultValue("cdc-hub-polling-offsets") String offsetTopic,
        @DefaultValue("30s") Duration queryTimeout) {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9._-]{1,100}");

    public PollingProperties {
        tables = tables == null ? List.of() : List.copyOf(tables);
        if (enabled) {
            validate(name, tables, pollInterval, batchSize, margin, keyMargin, offsetTopic, queryTimeout);
        }
    }

    private static void validate(String name, List<Table> tables, Duration pollInterval, int batchSize, Duration margin, long keyMargin,
            String offsetTopic, Duration queryTimeout) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidConfigurationException("cdc.polling.name", "must be 1-100 letters, digits, '.', '_' or '-', but is '" + name + "'");
        }
        if (tables.isEmpty()) {
            throw new InvalidConfigurationException("cdc.polling.tables", "must name at least one table, e.g. cdc.polling.tables[0].table="
                    + "public.orders and cdc.polling.tables[0].watermark-column=updated_at");
        }
        requireAtLeast("cdc.polling.poll-interval", pollInterval, Duration.ofMillis(10));
        requirePositive("cdc.polling.batch-size", batchSize);
        requireNotNegative("cdc.polling.margin", margin);
        if (keyMargin < 0) {
            throw new InvalidConfigurationException("cdc.polling.key-margin", "must not be negative, but is " + keyMargin);
        }
        if (offsetTopic == null || offsetTopic.isBlank()) {
            throw new InvalidConfigurationException("cdc.polling.offset-topic", "must be set");
        }
        requireAtLeast("cdc.polling.query-timeout", queryTimeout, Duration.ofSeconds(1));
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < tables.size(); i++) {
            Table table = tables.get(i);
            String prefix = "cdc.polling.tables[" + i + "].";
            if (table == null) {
                throw new InvalidConfigurationException(prefix + "table", "must be set");
            }
            checkName(prefix + "table", table.table(), true);
            checkName(prefix + "watermark-column", table.watermarkColumn(), false);
            if (table.softDeleteColumn() != null) {
                checkName(prefix + "soft-delete-column", table.softDeleteColumn(), false);
            }
            if (table.createdColumn() != null) {
                checkName(prefix + "created-column", table.createdColumn(), false);
            }
            if (!seen.add(table.qualifiedName())) {
                throw new InvalidConfigurationException(prefix + "table", "names " + table.qualifiedName() + " a second time");
            }
            if (table.pollInterval() != null) {
                requireAtLeast(prefix + "poll-interval", table.pollInterval(), Duration.ofMillis(10));
            }
            if (table.batchSize() != null) {
                requirePositive(prefix + "batch-size", table.batchSize());
            }
            if (table.margin() != null) {
                requireNotNegative(prefix + "margin", table.margin());
            }
            if (table.keyMargin() != null && table.keyMargin() < 0) {
                throw new InvalidConfigurationException(prefix + "key-margin", "must not be negative, but is " + table.keyMargin());
            }
        }
    }

    private static void checkName(String property, String value, boolean qualified) {
        if (value == null || value.isBlank()) {
            throw new InvalidConfigurationException(property, "must be set");
        }
        try {
            if (qualified) {
                SqlNames.qualified(value);
            } else {
                SqlNames.check(value);
            }
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigurationException(property, e.getMessage());
        }
    }

    private static void requireAtLeast(String property, Duration value, Duration least) {
        if (value == null || value.compareTo(least) < 0) {
            throw new InvalidConfigurationException(property, "must be at least " + least.toMillis() + "ms, but is " + value);
        }
    }

    private static void requireNotNegative(String property, Duration value) {
        if (value == null || value.isNegative()) {
            throw new InvalidConfigurationException(property, "must not be negative, but is " + value);
        }
    }

    private static void requirePositive(String property, int value) {
        if (value <= 0) {
            throw new InvalidConfigurationException(property, "must be positive, but is " + value);
        }
    }

    /** The polled database: its own settings, or the logical-replication source's when {@code hostname} is not set. */
    public SourceProperties.Database databaseOr(SourceProperties.Database sourceDatabase) {
        return database.hostname() == null || database.hostname().isBlank() ? sourceDatabase : database;
    }

    /** The index of a table in {@code cdc.polling.tables}, for messages that name its properties. */
    String property(Table table, String field) {
        return "cdc.polling.tables[" + tables.indexOf(table) + "]." + field;
    }

    /**
     * One polled table.
     *
     * @param table            {@code schema.table} or {@code table} (in {@code public})
     * @param watermarkColumn  the column that moves forward when a row changes: a timestamp ({@code updated_at},
     *                         timestamptz, timestamp or date) or an increasing key (smallint, integer, bigint, numeric)
     * @param softDeleteColumn a column marking deleted rows (boolean true, or any other type not null): such a row is
     *                         published as a delete; without it deletes are not seen
     * @param createdColumn    a column set when the row is inserted (e.g. {@code created_at}): a row whose created value
     *                         differs from its watermark is published as an update ({@code u}), else as {@code c}
     * @param pollInterval     overrides cdc.polling.poll-interval
     * @param batchSize        overrides cdc.polling.batch-size
     * @param margin           overrides cdc.polling.margin
     * @param keyMargin        overrides cdc.polling.key-margin
     */
    public record Table(
            String table,
            String watermarkColumn,
            String softDeleteColumn,
            String createdColumn,
            Duration pollInterval,
            Integer batchSize,
            Duration margin,
            Long keyMargin) {

        /** The table's schema ({@code public} when not given). */
        public String schema() {
            List<String> parts = SqlNames.qualified(table);
            return parts.size() == 2 ? parts.get(0) : "public";
        }

        public String name() {
            List<String> parts = SqlNames.qualified(table);
            return parts.get(parts.size() - 1);
        }

        public String qualifiedName() {
            return schema() + "." + name();
        }
    }
}
