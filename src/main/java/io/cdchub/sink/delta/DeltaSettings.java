package io.cdchub.sink.delta;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import io.cdchub.sink.SinkProperties;
import io.cdchub.sink.lakehouse.LakehouseStorage;
import io.cdchub.sink.lakehouse.S3Settings;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The Delta Lake sink ({@code cdc.sink.delta.*}): one append-only change table per source table, with Change Data Feed
 * on (README "Delta Lake").
 *
 * @param enabled      run the Delta Lake sink in this instance
 * @param path         where the tables go ({@code <path>/<table>}): a local folder or {@code s3://bucket/prefix}
 * @param s3           how to reach the S3-compatible store when {@code path} is on S3
 * @param topics       change topics to read; empty reads every change topic
 * @param topicPattern a regex over topic names, instead of {@code topics}
 * @param groupId      Kafka consumer group
 * @param batchSize    most records in one batch (one Delta commit per table and Kafka partition per batch)
 * @param lingerMs     longest wait for a batch to fill: at most one commit per table this often while changes come
 * @param tables       table folder names, keyed by {@code schema.table} or {@code table}; default the table name
 */
public record DeltaSettings(
        @DefaultValue("false") boolean enabled,
        @DefaultValue("./data/delta") String path,
        @DefaultValue S3Settings s3,
        List<String> topics,
        String topicPattern,
        @DefaultValue("cdc-hub-delta") String groupId,
        @DefaultValue("10000") int batchSize,
        @DefaultValue("10000") int lingerMs,
        Map<String, String> tables) {

    private static final String P = "cdc.sink.delta";
    /** A table folder name we write: no separators, nothing a reader would skip (a leading _ or .). */
    public static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,199}");

    public DeltaSettings {
        topics = topics == null ? List.of() : List.copyOf(topics);
        tables = tables == null ? Map.of() : Map.copyOf(tables);
    }

    /** Stops start-up naming the property when a setting is wrong (called only when the sink is enabled). */
    public void validate() {
        storage();
        SinkProperties.requireSubscription(P, topics, topicPattern);
        SinkProperties.requireText(P + ".group-id", groupId);
        SinkProperties.requirePositive(P + ".batch-size", batchSize);
        SinkProperties.requirePositive(P + ".linger-ms", lingerMs);
        tables.forEach((source, folder) -> SinkProperties.requireName(P + ".tables." + source, folder, TABLE_NAME));
    }

    /** Where the tables go, checked: a message naming the property when {@code path} or {@code s3.*} is wrong. */
    public LakehouseStorage storage() {
        return LakehouseStorage.of(P + ".path", path, s3);
    }

    /** The table folder for a source table. */
    public String tableFor(String schema, String table) {
        String named = tables.get(schema + '.' + table);
        return named != null ? named : tables.getOrDefault(table, table);
    }
}
