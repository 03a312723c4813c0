package io.cdchub.sink.parquet;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.cdchub.config.InvalidConfigurationException;
import io.cdchub.sink.SinkProperties;
import io.cdchub.sink.lakehouse.LakehouseStorage;
import io.cdchub.sink.lakehouse.S3Settings;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The Parquet sink ({@code cdc.sink.parquet.*}): change events as Parquet files, and streaming group-by aggregates of
 * them (README "Parquet (and aggregates)").
 *
 * @param enabled        run the Parquet sink in this instance
 * @param path           where files go: a local folder or {@code s3://bucket/prefix}
 * @param s3             how to reach the S3-compatible store when {@code path} is on S3
 * @param prefix         folder under {@code path} for the change files ({@code <path>/<prefix>/<table>/dt=.../hour=.../});
 *                       empty: none
 * @param topics         change topics to read; empty reads every change topic
 * @param topicPattern   a regex over topic names, instead of {@code topics}
 * @param groupId        Kafka consumer group
 * @param batchSize      most records in one batch
 * @param lingerMs       longest a batch waits to fill (its changes are staged for the open files, and the aggregates
 *                       change in memory; nothing is visible or committed to Kafka before the roll)
 * @param rollIntervalMs longest a file stays open: every open file is closed (and the aggregates written, and the Kafka
 *                       offsets of their changes committed) at least this often while changes come
 * @param maxStagedRows  the open files are also closed once this many changes wait in them (bounds the memory they take)
 * @param rollSizeBytes  a file grows to about this size before the next one starts
 * @param compression    Parquet compression: snappy, zstd, gzip or uncompressed
 * @param tables         folder names per table, keyed by {@code schema.table} or {@code table}; default the table name
 * @param aggregates     streaming group-by aggregates by name (their folder under {@code path})
 */
public record ParquetSettings(
        @DefaultValue("false") boolean enabled,
        @DefaultValue("./data/parquet") String path,
        @DefaultValue S3Settings s3,
        @DefaultValue("") String prefix,
        List<String> topics,
        String topicPattern,
        @DefaultValue("cdc-hub-parquet") String groupId,
        @DefaultValue("10000") int batchSize,
        @DefaultValue("1000") int lingerMs,
        @DefaultValue("60000") int rollIntervalMs,
        @DefaultValue("500000") int maxStagedRows,
        @DefaultValue("134217728") long rollSizeBytes,
        @DefaultValue("snappy") String compression,
        Map<String, String> tables,
        Map<String, Aggregate> aggregates) {

    private static final String P = "cdc.sink.parquet";
    /** A folder name we write: no separators, no dot-dot, nothing a reader would skip (a leading _ or .). */
    public static final Pattern FOLDER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.=-]{0,199}");
    private static final Set<String> COMPRESSIONS = Set.of("snappy", "zstd", "gzip", "uncompressed");

    public ParquetSettings {
        topics = topics == null ? List.of() : List.copyOf(topics);
        tables = tables == null ? Map.of() : Map.copyOf(tables);
        aggregates = aggregates == null ? Map.of() : new LinkedHashMap<>(aggregates);
        compression = compression == null ? "snappy" : compression.toLowerCase(Locale.ROOT);
        prefix = prefix == null ? "" : prefix.replaceAll("^/+|/+$", "");
    }

    /** Stops start-up naming the property when a setting is wrong (called only when the sink is enabled). */
    public void validate() {
        storage();
        for (String part : prefix.isEmpty() ? new String[0] : prefix.split("/")) {
            SinkProperties.requireName(P + ".prefix", part, FOLDER_NAME);
        }
        SinkProperties.requireSubscription(P, topics, topicPattern);
        SinkProperties.requireText(P + ".group-id", groupId);
        SinkProperties.requirePositive(P + ".batch-size", batchSize);
        SinkProperties.requirePositive(P + ".linger-ms", lingerMs);
        SinkProperties.requirePositive(P + ".roll-interval-ms", rollIntervalMs);
        SinkProperties.requirePositive(P + ".max-staged-rows", maxStagedRows);
        if (rollSizeBytes < 1024 * 1024) {
            throw new InvalidConfigurationException(P + ".roll-size-bytes", "must be at least 1048576 (1 MiB), but is " + rollSizeBytes);
        }
        if (!COMPRESSIONS.contains(compression)) {
            throw new InvalidConfigurationException(P + ".compression", "must be one of " + COMPRESSIONS + ", but is '" + compression + "'");
        }
        tables.forEach((source, folder) -> SinkProperties.requireName(P + ".tables." + source, folder, FOLDER_NAME));
        aggregates.forEach((name, aggregate) -> {
            SinkProperties.requireName(P + ".aggregates", name, FOLDER_NAME);
            aggregate.validate(P + ".aggregates." + name);
        });
    }

    /** Where the files go, checked: a message naming the property when {@code path} or {@code s3.*} is wrong. */
    public LakehouseStorage storage() {
        return LakehouseStorage.of(P + ".path", path, s3);
    }

    /** The folder of a source table's change files (under {@code path}/{@code prefix}). */
    public String folderFor(String schema, String table) {
        String named = tables.get(schema + '.' + table);
        return named != null ? named : tables.getOrDefault(table, table);
    }

    /**
     * One streaming group-by aggregate: the current rows of {@code table}, grouped by {@code groupBy}, with
     * {@code measures}; written as one Parquet file under {@code <path>/<name>/} after every batch that changed it.
     *
     * @param table    the source table, {@code schema.table} or {@code table}
     * @param groupBy  the columns to group by (after the route's transforms; a derived field works)
     * @param measures output column -> {@code count}, {@code count(col)}, {@code sum(col)}, {@code avg(col)},
     *                 {@code min(col)} or {@code max(col)}
     */
    public record Aggregate(String table, List<String> groupBy, Map<String, String> measures) {

        public Aggregate {
            groupBy = groupBy == null ? List.of() : List.copyOf(groupBy);
            measures = measures == null ? Map.of() : new LinkedHashMap<>(measures);
        }

        void validate(String property) {
            SinkProperties.requireText(property + ".table", table);
            if (measures.isEmpty()) {
                throw new InvalidConfigurationException(property + ".measures", "must name at least one measure, e.g. customers: count");
            }
            Set<String> names = new java.util.HashSet<>(groupBy);
            if (names.size() != groupBy.size()) {
                throw new InvalidConfigurationException(property + ".group-by", "names a column twice: " + groupBy);
            }
            measures.forEach((name, spec) -> {
                if (!names.add(name)) {
                    throw new InvalidConfigurationException(property + ".measures." + name, "is also a group-by column or another measure");
                }
                measure(property, name, spec);
            });
        }

        /** The parsed measures, in their order. */
        public List<Measure> parsedMeasures() {
            return measures.entrySet().stream().map(e -> measure("", e.getKey(), e.getValue())).toList();
        }

        /** Whether a change event of {@code schema.table} feeds this aggregate. */
        public boolean isFor(String schema, String table) {
            return this.table.equals(schema + '.' + table) || this.table.equals(table);
        }
    }

    /** What a measure computes. */
    public enum Function { COUNT, SUM, AVG, MIN, MAX }

    /**
     * One measure of an aggregate.
     *
     * @param name     the output column
     * @param function what it computes
     * @param column   the column it reads; null for {@code count} (rows)
     */
    public record Measure(String name, Function function, String column) {
    }

    private static final Pattern MEASURE = Pattern.compile("\\s*(count|sum|avg|min|max)\\s*(?:\\(\\s*([^()\\s]+)\\s*\\))?\\s*", Pattern.CASE_INSENSITIVE);

    static Measure measure(String property, String name, String spec) {
        Matcher m = spec == null ? null : MEASURE.matcher(spec);
        if (m == null || !m.matches()) {
            throw new InvalidConfigurationException(property + ".measures." + name,
                    "must be count, count(col), sum(col), avg(col), min(col) or max(col), but is '" + spec + "'");
        }
        Function function = Function.valueOf(m.group(1).toUpperCase(Locale.ROOT));
        String column = m.group(2);
        if ("*".equals(column) && function == Function.COUNT) {
            column = null;
        }
        if (column == null && function != Function.COUNT) {
            throw new InvalidConfigurationException(property + ".measures." + name, "needs a column: " + function.name().toLowerCase(Locale.ROOT) + "(col)");
        }
        return new Measure(name, function, column);
    }
}
