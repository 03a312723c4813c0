package io.cdchub.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings shared by every capability ({@code cdc.*}). Checked on construction, so a bad value stops
 * start-up with a message that names the property.
 *
 * @param topicPrefix  first part of every change topic: {@code <prefix>.<schema>.<table>}
 * @param dataDir      where local state lives (source offsets, embedded servers' data)
 * @param topicRename  per-table topic names, keyed by {@code table} or {@code schema.table}
 * @param kafka        how to reach Kafka
 * @param topics       how change topics are created
 * @param dlq          the dead-letter topic
 */
@ConfigurationProperties("cdc")
public record CdcHubProperties(
        @DefaultValue("cdc") String topicPrefix,
        @DefaultValue("./data") Path dataDir,
        Map<String, String> topicRename,
        @DefaultValue Kafka kafka,
        @DefaultValue Topics topics,
        @DefaultValue DeadLetter dlq) {

    /** Characters Kafka accepts in a topic name. */
    public static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    public CdcHubProperties {
        topicRename = topicRename == null ? Map.of() : Map.copyOf(topicRename);
        requireTopicName("cdc.topic-prefix", topicPrefix);
        topicRename.forEach((table, topic) -> requireTopicName("cdc.topic-rename." + table, topic));
        requireTopicName("cdc.dlq.topic", dlq.topic());
        requireTopicName("cdc.dlq.replay-topic", dlq.replayTopic());
        if (kafka.bootstrapServers() == null || kafka.bootstrapServers().isBlank()) {
            throw new InvalidConfigurationException("cdc.kafka.bootstrap-servers", "must be set, e.g. kafka-1:9092,kafka-2:9092");
        }
        if (topics.partitions() == 0 || topics.partitions() < -1) {
            throw new InvalidConfigurationException("cdc.topics.partitions", "must be positive, or -1 for the broker's default, but is " + topics.partitions());
        }
        if (topics.replicationFactor() == 0 || topics.replicationFactor() < -1) {
            throw new InvalidConfigurationException("cdc.topics.replication-factor",
                    "must be positive, or -1 for the broker's default, but is " + topics.replicationFactor());
        }
    }

    static void requireTopicName(String property, String value) {
        if (value == null || !TOPIC_NAME.matcher(value).matches() || value.equals(".") || value.equals("..")) {
            throw new InvalidConfigurationException(property, "must be a Kafka topic name (letters, digits, '.', '_', '-'), but is '" + value + "'");
        }
    }

    /**
     * @param bootstrapServers Kafka's bootstrap addresses, comma-separated
     * @param properties       extra Kafka client settings for every client cdc-hub creates
     *                         (security.protocol, sasl.*, ssl.*), passed through as they are
     */
    public record Kafka(String bootstrapServers, Map<String, String> properties) {

        public Kafka {
            properties = properties == null ? Map.of() : Map.copyOf(properties);
        }

        /** Bootstrap servers plus the pass-through settings, for Kafka clients made outside Camel. */
        public Map<String, Object> clientSettings() {
            Map<String, Object> settings = new java.util.HashMap<>(properties);
            settings.put("bootstrap.servers", bootstrapServers);
            return settings;
        }
    }

    /**
     * @param autoCreate        create a change topic the first time a table produces an event
     * @param partitions        partitions of a created topic; -1 takes the broker's default
     * @param replicationFactor replication of a created topic; -1 takes the broker's default
     * @param config            topic-level settings for created topics, e.g. cleanup.policy
     */
    public record Topics(
            @DefaultValue("true") boolean autoCreate,
            @DefaultValue("-1") int partitions,
            @DefaultValue("-1") short replicationFactor,
            Map<String, String> config) {

        public Topics {
            config = config == null ? Map.of() : Map.copyOf(config);
        }
    }

    /**
     * @param topic       where undeliverable changes go, with the reason in headers
     * @param replayTopic compacted topic recording which dead letters were replayed (key: dead-letter topic, partition
     *                    and offset), so a replay is not repeated, also after a restart or on another instance
     */
    public record DeadLetter(@DefaultValue("cdc.dlq") String topic, @DefaultValue("cdc-hub-dlq-replays") String replayTopic) {
    }
}
