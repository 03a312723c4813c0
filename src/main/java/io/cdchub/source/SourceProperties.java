package io.cdchub.source;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import io.cdchub.config.InvalidConfigurationException;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The PostgreSQL source ({@code cdc.source.*}). Named like Debezium Server's settings; anything
 * Debezium knows but cdc-hub does not name goes through {@code cdc.source.debezium.*} unchanged.
 *
 * @param enabled             run the CDC source in this instance (one per replication slot)
 * @param name                engine name; also the offsets' key
 * @param database            connection to the captured database
 * @param tables              tables to capture: comma-separated regexes over {@code schema.table}
 *                            (Debezium's table.include.list)
 * @param slot                replication slot, unique per source
 * @param publication         publication holding the captured tables; defaults to {@code <slot>_pub}
 * @param snapshotMode        Debezium snapshot.mode
 * @param heartbeat           heartbeats that keep the slot moving on idle or filtered databases
 * @param signalTable         Debezium's signal table ({@code schema.table}, created when missing), through which
 *                            re-snapshots of chosen tables run while streaming goes on; blank turns them off
 * @param offsetStore         where source offsets are kept: file (under cdc.data-dir) or kafka
 * @param offsetTopic         compacted topic for the kafka offset store
 * @param offsetFlushInterval how often offsets are committed (only ever past changes Kafka acknowledged)
 * @param offsetCommitTimeout how long one commit may wait for Kafka's acknowledgements of the changes before it
 *                            (the final commit at shutdown too); a commit that runs out leaves offsets unchanged
 * @param pollInterval        Debezium poll.interval.ms: the wait for more changes; dominates latency
 * @param maxBatchSize        Debezium max.batch.size
 * @param maxQueueSize        Debezium max.queue.size
 * @param maxEventBytes       largest event accepted; a bigger one is dead-lettered with its key
 * @param tombstones          send a tombstone (null value) after each delete, for log compaction
 * @param valueFormat         how change events are written: cdc-hub (readable, exact; the default) or debezium (what
 *                            Debezium's JsonConverter writes with Debezium's default connector settings)
 * @param schemasEnable       wrap keys and values in Connect's {"schema", "payload"} (debezium format only)
 * @param restartBackoff      wait before the source restarts after a publishing failure
 * @param debezium            extra Debezium connector properties, passed through as they are
 */
@ConfigurationProperties("cdc.source")
public record SourceProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("cdc-hub") String name,
        @DefaultValue Database database,
        String tables,
        String slot,
        String publication,
        @DefaultValue("initial") String snapshotMode,
        @DefaultValue Heartbeat heartbeat,
        @DefaultValue("public.cdc_hub_signal") String signalTable,
        @DefaultValue("file") OffsetStore offsetStore,
        @DefaultValue("cdc-hub-offsets") String offsetTopic,
        @DefaultValue("1s") Duration offsetFlushInterval,
        @DefaultValue("30s") Duration offsetCommitTimeout,
        @DefaultValue("5ms") Duration pollInterval,
        @DefaultValue("4096") int maxBatchSize,
        @DefaultValue("16384") int maxQueueSize,
        @DefaultValue("1000000") int maxEventBytes,
        @DefaultValue("true") boolean tombstones,
        @DefaultValue("cdc-hub") ValueFormat valueFormat,
        @DefaultValue("false") boolean schemasEnable,
        @DefaultValue("5s") Duration restartBackoff,
        Map<String, String> debezium) {

    /** PostgreSQL identifiers usable as slot and publication names without quoting. */
    private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");
    /** The tables cdc-hub itself writes to (heartbeat, signal): plain identifiers, quoted anyway where used. */
    private static final String OWN_TABLE = "[a-z_][a-z0-9_]*\\.[a-z_][a-z0-9_]*";
    private static final Pattern ENGINE_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,100}");

    public SourceProperties {
        debezium = debezium == null ? Map.of() : Map.copyOf(debezium);
        if (enabled) {
            validate(name, database, tables, slot, publication, snapshotMode, heartbeat, signalTable, offsetTopic, offsetFlushInterval, offsetCommitTimeout,
                    pollInterval, maxBatchSize, maxQueueSize, maxEventBytes, valueFormat, schemasEnable);
        }
    }

    private static void validate(String name, Database database, String tables, String slot, String publication, String snapshotMode,
            Heartbeat heartbeat, String signalTable, String offsetTopic, Duration offsetFlushInterval, Duration offsetCommitTimeout, Duration pollInterval, int maxBatchSize,
            int maxQueueSize, int maxEventBytes, ValueFormat valueFormat, boolean schemasEnable) {
        if (name == null || !ENGINE_NAME.matcher(name).matches()) {
            throw new InvalidConfigurationException("cdc.source.name", "must be 1-100 letters, digits, '.', '_' or '-', but is '" + name + "'");
        }
        requireText("cdc.source.database.hostname", database.hostname());
        requireText("cdc.source.database.dbname", database.dbname());
        requireText("cdc.source.database.user", database.user());
        if (database.port() < 1 || database.port() > 65535) {
            throw new InvalidConfigurationException("cdc.source.database.port", "must be a TCP port (1-65535), but is " + database.port());
        }
        requireText("cdc.source.tables", tables);
        for (String regex : tableRegexes(tables)) {
            try {
                Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new InvalidConfigurationException("cdc.source.tables", "has an invalid regex '" + regex + "': " + e.getDescription());
            }
        }
        if (slot == null || !SLOT_NAME.matcher(slot).matches()) {
            throw new InvalidConfigurationException("cdc.source.slot",
                    "must be 1-63 lower-case letters, digits or '_' (a PostgreSQL replication slot name), but is '" + slot + "'");
        }
        if (publication != null && !publication.isBlank() && !SLOT_NAME.matcher(publication).matches()) {
            throw new InvalidConfigurationException("cdc.source.publication",
                    "must be 1-63 lower-case letters, digits or '_', but is '" + publication + "'");
        }
        try {
            if (PostgresConnectorConfig.SnapshotMode.parse(snapshotMode) == null) {
                throw new IllegalArgumentException();
            }
        } catch (RuntimeException e) {
            throw new InvalidConfigurationException("cdc.source.snapshot-mode",
                    "must be one of " + Arrays.toString(PostgresConnectorConfig.SnapshotMode.values()).toLowerCase() + ", but is '" + snapshotMode + "'");
        }
        if (!heartbeat.interval().isZero() && !heartbeat.table().matches(OWN_TABLE)) {
            throw new InvalidConfigurationException("cdc.source.heartbeat.table",
                    "must be schema.table in lower-case letters, digits and '_', but is '" + heartbeat.table() + "'");
        }
        if (signalTable != null && !signalTable.isBlank() && !signalTable.matches(OWN_TABLE)) {
            throw new InvalidConfigurationException("cdc.source.signal-table",
                    "must be schema.table in lower-case letters, digits and '_', or blank (no re-snapshots), but is '" + signalTable + "'");
        }
        if (heartbeat.interval().isNegative()) {
            throw new InvalidConfigurationException("cdc.source.heartbeat.interval", "must be 0 (off) or positive");
        }
        requireText("cdc.source.offset-topic", offsetTopic);
        if (offsetFlushInterval.isNegative()) {
            throw new InvalidConfigurationException("cdc.source.offset-flush-interval", "must not be negative");
        }
        if (offsetCommitTimeout.toMillis() < 1000) {
            throw new InvalidConfigurationException("cdc.source.offset-commit-timeout", "must be at least 1s, but is " + offsetCommitTimeout);
        }
        if (pollInterval.toMillis() < 1) {
            throw new InvalidConfigurationException("cdc.source.poll-interval", "must be at least 1ms, but is " + pollInterval);
        }
        requirePositive("cdc.source.max-batch-size", maxBatchSize);
        if (maxQueueSize <= maxBatchSize) {
            throw new InvalidConfigurationException("cdc.source.max-queue-size",
                    "must be larger than cdc.source.max-batch-size (" + maxBatchSize + "), but is " + maxQueueSize);
        }
        requirePositive("cdc.source.max-event-bytes", maxEventBytes);
        if (schemasEnable && valueFormat != ValueFormat.DEBEZIUM) {
            throw new InvalidConfigurationException("cdc.source.schemas-enable",
                    "needs cdc.source.value-format=debezium: Connect's schemas describe Debezium's value forms (epoch days, base64"
                    + " decimals), not cdc-hub's exact numbers and ISO text, so a sink connector could not read cdc-hub's form back");
        }
    }

    private static void requireText(String property, String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidConfigurationException(property, "must be set");
        }
    }

    private static void requirePositive(String property, int value) {
        if (value <= 0) {
            throw new InvalidConfigurationException(property, "must be positive, but is " + value);
        }
    }

    public static List<String> tableRegexes(String tables) {
        return Arrays.stream(tables.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /** Whether re-snapshots through the signal table are on. */
    public boolean signals() {
        return signalTable != null && !signalTable.isBlank();
    }

    /** The publication name, {@code <slot>_pub} unless set. */
    public String publicationName() {
        return publication == null || publication.isBlank() ? slot + "_pub" : publication;
    }

    @Override
    public String toString() {
        return "SourceProperties[name=" + name + ", database=" + database + ", tables=" + tables + ", slot=" + slot + "]";
    }

    /**
     * @param hostname PostgreSQL host
     * @param port     PostgreSQL port
     * @param dbname   database to capture
     * @param user     a user with REPLICATION and SELECT on the captured tables
     * @param password that user's password (never logged)
     * @param sslmode  PostgreSQL sslmode: disable, prefer, require, verify-ca, verify-full
     */
    public record Database(
            String hostname,
            @DefaultValue("5432") int port,
            String dbname,
            String user,
            String password,
            @DefaultValue("prefer") String sslmode) {

        /** A plain JDBC data source for cdc-hub's own queries (start-up checks, health), bounded by the timeout. */
        public org.postgresql.ds.PGSimpleDataSource dataSource(String applicationName, Duration timeout) {
            int seconds = (int) Math.max(1, (timeout.toMillis() + 999) / 1000);
            org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource();
            ds.setServerNames(new String[] {hostname});
            ds.setPortNumbers(new int[] {port});
            ds.setDatabaseName(dbname);
            ds.setUser(user);
            ds.setPassword(password);
            ds.setSslMode(sslmode);
            ds.setConnectTimeout(seconds);
            ds.setLoginTimeout(seconds);
            ds.setSocketTimeout(seconds + 1); // past the statement timeout, so that one answers first
            ds.setApplicationName(applicationName);
            return ds;
        }

        @Override
        public String toString() {
            return user + "@" + hostname + ":" + port + "/" + dbname + " (password " + (password == null || password.isEmpty() ? "not set" : "set") + ")";
        }
    }

    /**
     * @param interval    how often Debezium sends a heartbeat; 0 turns heartbeats off
     * @param table       the table the heartbeat writes to; captured so the slot advances, never published
     * @param actionQuery SQL run at each heartbeat; defaults to an upsert into {@code table}
     */
    public record Heartbeat(
            @DefaultValue("10s") Duration interval,
            @DefaultValue("public.cdc_hub_heartbeat") String table,
            String actionQuery) {
    }

    /** Where source offsets are kept. */
    public enum OffsetStore {
        /** a file under cdc.data-dir: one instance per slot, the default */
        FILE,
        /** a compacted Kafka topic: for clustered deployments where the source may move between hosts */
        KAFKA
    }
}
