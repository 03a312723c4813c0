package io.cdchub.sink;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import io.cdchub.config.InvalidConfigurationException;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The analytics and search sinks ({@code cdc.sink.*}). Each sink is off by default; when it is on, its
 * settings are checked here so that a bad value stops start-up with a message naming the property.
 *
 * @param clickhouse    the ClickHouse sink
 * @param elasticsearch the Elasticsearch sink
 * @param iceberg       the Iceberg sink (io.cdchub.sink.iceberg)
 * @param parquet       the Parquet sink and its aggregates (io.cdchub.sink.parquet)
 * @param delta         the Delta Lake sink (io.cdchub.sink.delta)
 * @param retry          back-off while a target is down or answers 5xx (a batch is retried without end)
 * @param topicRefreshMs how often a sink reading a topic pattern looks for new topics (Kafka's metadata.max.age.ms)
 * @param lagIntervalMs  how often the consumer lag gauge is measured
 */
@ConfigurationProperties("cdc.sink")
public record SinkProperties(
        @DefaultValue ClickHouse clickhouse,
        @DefaultValue Elasticsearch elasticsearch,
        @DefaultValue io.cdchub.sink.iceberg.IcebergSettings iceberg,
        @DefaultValue io.cdchub.sink.parquet.ParquetSettings parquet,
        @DefaultValue io.cdchub.sink.delta.DeltaSettings delta,
        @DefaultValue Retry retry,
        @DefaultValue("10000") int topicRefreshMs,
        @DefaultValue("10000") int lagIntervalMs) {

    /** A ClickHouse database or table name we accept (then always back-quoted). */
    public static final Pattern CLICKHOUSE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,191}");
    /** An Elasticsearch index name we accept: lower case, no characters ES forbids. */
    public static final Pattern INDEX_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,254}");

    public SinkProperties {
        if (clickhouse.enabled()) {
            clickhouse.validate();
        }
        if (elasticsearch.enabled()) {
            elasticsearch.validate();
        }
        if (iceberg.enabled()) {
            iceberg.validate();
            requireSubscription(io.cdchub.sink.iceberg.IcebergSettings.PREFIX, iceberg.topics(), iceberg.topicPattern());
        }
        if (parquet.enabled()) {
            parquet.validate();
        }
        if (delta.enabled()) {
            delta.validate();
        }
        requirePositive("cdc.sink.retry.initial-delay-ms", retry.initialDelayMs());
        requirePositive("cdc.sink.topic-refresh-ms", topicRefreshMs);
        requirePositive("cdc.sink.lag-interval-ms", lagIntervalMs);
        if (retry.maxDelayMs() < retry.initialDelayMs()) {
            throw new InvalidConfigurationException("cdc.sink.retry.max-delay-ms", "must not be less than cdc.sink.retry.initial-delay-ms");
        }
    }

    /**
     * @param enabled       run the ClickHouse sink in this instance
     * @param url           ClickHouse's HTTP interface, http or https, e.g. http://127.0.0.1:8123
     * @param database      database holding the tables (must exist)
     * @param username      ClickHouse user (basic auth)
     * @param password      that user's password (never logged)
     * @param topics        change topics to read; empty reads every {@code <cdc.topic-prefix>.<schema>.<table>} topic
     * @param topicPattern  a regex over topic names, instead of {@code topics}
     * @param groupId       Kafka consumer group (offsets are the sink's progress)
     * @param batchSize     most records in one batch (one INSERT per table per batch)
     * @param lingerMs      longest wait for a batch to fill
     * @param tables        ClickHouse table names, keyed by {@code schema.table} or {@code table}; default: the table name
     * @param createTables  create a missing table (and its {@code _current} view) from the change events
     * @param addColumns    add a column that appears in PostgreSQL to the ClickHouse table
     * @param timestampType ClickHouse type for PostgreSQL timestamps: {@code DateTime('UTC')} works everywhere
     *                      (second precision); {@code DateTime64(6, 'UTC')} keeps microseconds on ClickHouse 20.1+
     * @param requestTimeoutMs longest wait for one ClickHouse request
     */
    public record ClickHouse(
            @DefaultValue("false") boolean enabled,
            @DefaultValue("http://127.0.0.1:8123") String url,
            @DefaultValue("default") String database,
            @DefaultValue("default") String username,
            @DefaultValue("") String password,
            List<String> topics,
            String topicPattern,
            @DefaultValue("cdc-hub-clickhouse") String groupId,
            @DefaultValue("10000") int batchSize,
            @DefaultValue("1000") int lingerMs,
            Map<String, String> tables,
            @DefaultValue("true") boolean createTables,
            @DefaultValue("true") boolean addColumns,
            @DefaultValue("DateTime('UTC')") String timestampType,
            @DefaultValue("60000") int requestTimeoutMs) {

        private static final Pattern TIMESTAMP_TYPE = Pattern.compile("DateTime\\('UTC'\\)|DateTime64\\([0-9], ?'UTC'\\)");

        public ClickHouse {
            topics = topics == null ? List.of() : List.copyOf(topics);
            tables = tables == null ? Map.of() : Map.copyOf(tables);
        }

        void validate() {
            requireHttpUrl("cdc.sink.clickhouse.url", url);
            requireName("cdc.sink.clickhouse.database", database, CLICKHOUSE_NAME);
            if (username == null || username.isBlank()) {
                throw new InvalidConfigurationException("cdc.sink.clickhouse.username", "must be set (ClickHouse's own is 'default')");
            }
            requireSubscription("cdc.sink.clickhouse", topics, topicPattern);
            requireText("cdc.sink.clickhouse.group-id", groupId);
            requirePositive("cdc.sink.clickhouse.batch-size", batchSize);
            requirePositive("cdc.sink.clickhouse.linger-ms", lingerMs);
            requirePositive("cdc.sink.clickhouse.request-timeout-ms", requestTimeoutMs);
            tables.forEach((source, target) -> requireName("cdc.sink.clickhouse.tables." + source, target, CLICKHOUSE_NAME));
            if (timestampType == null || !TIMESTAMP_TYPE.matcher(timestampType).matches()) {
                throw new InvalidConfigurationException("cdc.sink.clickhouse.timestamp-type",
                        "must be DateTime('UTC') or DateTime64(<0-9>, 'UTC'), but is '" + timestampType + "'");
            }
        }

        /** The ClickHouse table for a source table. */
        public String tableFor(String schema, String table) {
            String named = tables.get(schema + '.' + table);
            return named != null ? named : tables.getOrDefault(table, table);
        }
    }

    /**
     * @param enabled     run the Elasticsearch sink in this instance
     * @param url         Elasticsearch's REST address(es), comma-separated, http or https
     * @param username    user for basic auth (empty: none)
     * @param password    that user's password (never logged)
     * @param indexPrefix index names are {@code <index-prefix>-<table>}
     * @param indices     index names per table, keyed by {@code schema.table} or {@code table}
     * @param topics      change topics to read; empty reads every change topic
     * @param topicPattern a regex over topic names, instead of {@code topics}
     * @param groupId     Kafka consumer group
     * @param batchSize   most records in one bulk request
     * @param lingerMs    longest wait for a batch to fill
     * @param templates   folder of index templates ({@code <name>.json}) put into Elasticsearch at start; empty: none
     * @param requestTimeoutMs longest wait for one bulk request
     */
    public record Elasticsearch(
            @DefaultValue("false") boolean enabled,
            @DefaultValue("http://127.0.0.1:9200") String url,
            @DefaultValue("") String username,
            @DefaultValue("") String password,
            @DefaultValue("cdc") String indexPrefix,
            Map<String, String> indices,
            List<String> topics,
            String topicPattern,
            @DefaultValue("cdc-hub-elasticsearch") String groupId,
            @DefaultValue("1000") int batchSize,
            @DefaultValue("1000") int lingerMs,
            @DefaultValue("") String templates,
            @DefaultValue("60000") int requestTimeoutMs) {

        public Elasticsearch {
            topics = topics == null ? List.of() : List.copyOf(topics);
            indices = indices == null ? Map.of() : Map.copyOf(indices);
        }

        void validate() {
            for (String one : url.split(",")) {
                requireHttpUrl("cdc.sink.elasticsearch.url", one.trim());
            }
            requireName("cdc.sink.elasticsearch.index-prefix", indexPrefix, INDEX_NAME);
            indices.forEach((source, target) -> requireName("cdc.sink.elasticsearch.indices." + source, target, INDEX_NAME));
            requireSubscription("cdc.sink.elasticsearch", topics, topicPattern);
            requireText("cdc.sink.elasticsearch.group-id", groupId);
            requirePositive("cdc.sink.elasticsearch.batch-size", batchSize);
            requirePositive("cdc.sink.elasticsearch.linger-ms", lingerMs);
            requirePositive("cdc.sink.elasticsearch.request-timeout-ms", requestTimeoutMs);
        }

        /** The index for a source table: {@code indices} or {@code <index-prefix>-<table>} in lower case. */
        public String indexFor(String schema, String table) {
            String named = indices.get(schema + '.' + table);
            if (named == null) {
                named = indices.get(table);
            }
            return named != null ? named : indexPrefix + '-' + table.toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * @param initialDelayMs first wait before a failed batch is written again
     * @param maxDelayMs     longest wait between attempts (the wait doubles up to this)
     */
    public record Retry(
            @DefaultValue("500") int initialDelayMs,
            @DefaultValue("30000") int maxDelayMs) {
    }

    public static void requireHttpUrl(String property, String url) {
        try {
            URI uri = URI.create(url);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException();
            }
        } catch (RuntimeException e) {
            throw new InvalidConfigurationException(property, "must be an http:// or https:// address, but is '" + url + "'");
        }
    }

    public static void requireName(String property, String value, Pattern pattern) {
        if (value == null || !pattern.matcher(value).matches()) {
            throw new InvalidConfigurationException(property, "must match " + pattern.pattern() + ", but is '" + value + "'");
        }
    }

    public static void requireSubscription(String prefix, List<String> topics, String topicPattern) {
        boolean hasPattern = topicPattern != null && !topicPattern.isBlank();
        if (!topics.isEmpty() && hasPattern) {
            throw new InvalidConfigurationException(prefix + ".topic-pattern", "cannot be set together with " + prefix + ".topics: choose one");
        }
        for (String topic : topics) {
            if (!io.cdchub.config.CdcHubProperties.TOPIC_NAME.matcher(topic).matches()) {
                throw new InvalidConfigurationException(prefix + ".topics", "must list Kafka topic names, but has '" + topic + "'");
            }
        }
        if (hasPattern) {
            try {
                Pattern.compile(topicPattern);
            } catch (PatternSyntaxException e) {
                throw new InvalidConfigurationException(prefix + ".topic-pattern", "is not a valid regex: " + e.getDescription());
            }
        }
    }

    public static void requireText(String property, String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidConfigurationException(property, "must be set");
        }
    }

    public static void requirePositive(String property, int value) {
        if (value <= 0) {
            throw new InvalidConfigurationException(property, "must be positive, but is " + value);
        }
    }
}
