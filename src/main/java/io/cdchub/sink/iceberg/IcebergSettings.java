package io.cdchub.sink.iceberg;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import io.cdchub.config.InvalidConfigurationException;
import io.cdchub.sink.lakehouse.LakehouseStorage;
import io.cdchub.sink.lakehouse.S3Settings;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The Iceberg sink ({@code cdc.sink.iceberg.*}, README "Iceberg"), checked at start-up when enabled.
 *
 * @param enabled           run the Iceberg sink in this instance
 * @param catalog           where table metadata lives
 * @param warehouse         where data files go: a local folder or {@code s3://bucket/prefix}
 * @param s3                how to reach an S3-compatible store (when the warehouse is on S3)
 * @param namespace         the Iceberg namespace of the tables; {@code a.b} for a nested one
 * @param tables            table names keyed by {@code schema.table} or {@code table}; default: the source table's name
 * @param topics            change topics to read; empty reads every change topic
 * @param topicPattern      a regex over topic names, instead of {@code topics}
 * @param groupId           Kafka consumer group (its offsets also key the offsets kept in each table's snapshots)
 * @param batchSize         most records in one batch
 * @param lingerMs          longest wait for a batch to fill
 * @param commitInterval    the longest written changes wait for their commit, and the shortest time between two commits
 *                          of a table (one snapshot each): fewer, larger files than a commit per batch
 * @param maxStagedRows     a commit also happens once this many changes wait for one (bounds the memory they take)
 * @param targetFileSizeBytes a data file is rolled over at this size
 * @param transforms        names of declared transforms (README "Transforms") the route applies
 * @param maintenance       the scheduled compaction and snapshot expiry
 */
public record IcebergSettings(
        @DefaultValue("false") boolean enabled,
        @DefaultValue Catalog catalog,
        @DefaultValue("./data/lakehouse/iceberg") String warehouse,
        @DefaultValue S3Settings s3,
        @DefaultValue("cdc") String namespace,
        Map<String, String> tables,
        List<String> topics,
        String topicPattern,
        @DefaultValue("cdc-hub-iceberg") String groupId,
        @DefaultValue("10000") int batchSize,
        @DefaultValue("1000") int lingerMs,
        @DefaultValue("10s") Duration commitInterval,
        @DefaultValue("500000") int maxStagedRows,
        @DefaultValue("134217728") long targetFileSizeBytes,
        List<String> transforms,
        @DefaultValue Maintenance maintenance) {

    public static final String PREFIX = "cdc.sink.iceberg";
    /** An Iceberg namespace level or table name we accept. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

    public IcebergSettings {
        tables = tables == null ? Map.of() : Map.copyOf(tables);
        topics = topics == null ? List.of() : List.copyOf(topics);
        transforms = transforms == null ? List.of() : List.copyOf(transforms);
    }

    /**
     * @param type       {@code hadoop} (metadata files beside the data, in a local warehouse folder: the Hadoop catalog needs
     *                   an atomic rename, which S3 lacks), {@code jdbc} (a PostgreSQL or other JDBC database holds the
     *                   pointers; works with an S3 warehouse) or {@code rest} (an Iceberg REST catalog)
     * @param uri        jdbc: {@code jdbc:postgresql://host:5432/db}; rest: {@code https://catalog.example}
     * @param name       the catalog's name (the JDBC catalog keys its rows by it)
     * @param user       jdbc: the database user
     * @param password   jdbc: that user's password (never logged)
     * @param properties more catalog properties, passed to Iceberg as they are (e.g. a REST catalog's {@code token})
     */
    public record Catalog(
            @DefaultValue("hadoop") String type,
            @DefaultValue("") String uri,
            @DefaultValue("cdc_hub") String name,
            @DefaultValue("") String user,
            @DefaultValue("") String password,
            Map<String, String> properties) {

        public Catalog {
            properties = properties == null ? Map.of() : Map.copyOf(properties);
        }
    }

    /**
     * @param enabled            run the maintenance on a schedule
     * @param interval           how often
     * @param compactMinFiles    a table with at least this many data files (or delete files) is compacted: its live rows
     *                           rewritten into files of the target size, its delete files dropped
     * @param expireOlderThan    snapshots older than this are expired (their unreferenced files deleted)...
     * @param retainLast         ...but always this many of the newest are kept
     */
    public record Maintenance(
            @DefaultValue("false") boolean enabled,
            @DefaultValue("1h") Duration interval,
            @DefaultValue("20") int compactMinFiles,
            @DefaultValue("1d") Duration expireOlderThan,
            @DefaultValue("10") int retainLast) {
    }

    /** Checks the settings; each problem names its property. */
    public void validate() {
        LakehouseStorage storage = storage();
        String type = catalog.type() == null ? "" : catalog.type().trim();
        switch (type) {
            case "hadoop" -> {
                if (storage.isS3()) {
                    throw new InvalidConfigurationException(PREFIX + ".catalog.type", "is hadoop, which needs a local warehouse (it commits by"
                            + " renaming a file, which S3 cannot do atomically): use jdbc or rest with an s3:// warehouse");
                }
            }
            case "jdbc" -> {
                if (catalog.uri() == null || !catalog.uri().startsWith("jdbc:")) {
                    throw new InvalidConfigurationException(PREFIX + ".catalog.uri", "must be a jdbc: URL for catalog.type jdbc, but is '" + catalog.uri() + "'");
                }
            }
            case "rest" -> {
                if (catalog.uri() == null || !catalog.uri().matches("https?://.+")) {
                    throw new InvalidConfigurationException(PREFIX + ".catalog.uri", "must be an http:// or https:// address for catalog.type rest, but is '"
                            + catalog.uri() + "'");
                }
            }
            default -> throw new InvalidConfigurationException(PREFIX + ".catalog.type", "must be hadoop, jdbc or rest, but is '" + catalog.type() + "'");
        }
        if (catalog.name() == null || !NAME.matcher(catalog.name()).matches()) {
            throw new InvalidConfigurationException(PREFIX + ".catalog.name", "must match " + NAME.pattern() + ", but is '" + catalog.name() + "'");
        }
        for (String level : (namespace == null ? "" : namespace).split("\\.", -1)) {
            if (!NAME.matcher(level).matches()) {
                throw new InvalidConfigurationException(PREFIX + ".namespace", "must be names matching " + NAME.pattern() + " joined by '.', but is '" + namespace + "'");
            }
        }
        tables.forEach((source, target) -> {
            if (target == null || !NAME.matcher(target).matches()) {
                throw new InvalidConfigurationException(PREFIX + ".tables." + source, "must match " + NAME.pattern() + ", but is '" + target + "'");
            }
        });
        if (groupId == null || groupId.isBlank()) {
            throw new InvalidConfigurationException(PREFIX + ".group-id", "must be set");
        }
        positive("batch-size", batchSize);
        positive("linger-ms", lingerMs);
        positive("max-staged-rows", maxStagedRows);
        if (commitInterval == null || commitInterval.toMillis() < 100) {
            throw new InvalidConfigurationException(PREFIX + ".commit-interval", "must be at least 100ms, but is " + commitInterval);
        }
        if (targetFileSizeBytes < 1024 * 1024) {
            throw new InvalidConfigurationException(PREFIX + ".target-file-size-bytes", "must be at least 1048576 (1 MiB), but is " + targetFileSizeBytes);
        }
        if (maintenance.enabled()) {
            if (maintenance.interval() == null || maintenance.interval().toSeconds() < 1) {
                throw new InvalidConfigurationException(PREFIX + ".maintenance.interval", "must be at least 1s, but is " + maintenance.interval());
            }
            if (maintenance.compactMinFiles() < 2) {
                throw new InvalidConfigurationException(PREFIX + ".maintenance.compact-min-files", "must be at least 2, but is " + maintenance.compactMinFiles());
            }
            if (maintenance.retainLast() < 1) {
                throw new InvalidConfigurationException(PREFIX + ".maintenance.retain-last", "must be at least 1, but is " + maintenance.retainLast());
            }
        }
    }

    private static void positive(String property, long value) {
        if (value <= 0) {
            throw new InvalidConfigurationException(PREFIX + "." + property, "must be positive, but is " + value);
        }
    }

    /** The warehouse as shared lakehouse storage (checked). */
    public LakehouseStorage storage() {
        return LakehouseStorage.of(PREFIX + ".warehouse", warehouse, s3);
    }

    /** The Iceberg table for a source table: {@code tables}, or the source table's own name. */
    public String tableFor(String schema, String table) {
        String named = tables.get(schema + '.' + table);
        return named != null ? named : tables.getOrDefault(table, table);
    }
}
