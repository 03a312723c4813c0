package io.cdchub.source;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.cdchub.config.CdcHubProperties;
import org.springframework.stereotype.Component;

/**
 * Names the Kafka topic of a captured table: {@code <cdc.topic-prefix>.<schema>.<table>}, or the
 * name given in {@code cdc.topic-rename} (keyed by {@code schema.table} or just {@code table}).
 * Characters Kafka does not allow in topic names become '_', as Debezium does.
 */
@Component
public class ChangeTopicNames {

    private final String prefix;
    private final Map<String, String> renames;
    private final Map<String, String> cache = new ConcurrentHashMap<>();

    public ChangeTopicNames(CdcHubProperties properties) {
        this.prefix = properties.topicPrefix();
        this.renames = properties.topicRename();
    }

    public String topicFor(String schema, String table) {
        return cache.computeIfAbsent(schema + '.' + table, qualified -> {
            String renamed = renames.get(qualified);
            if (renamed == null) {
                renamed = renames.get(table);
            }
            return renamed != null ? renamed : prefix + '.' + sanitize(schema) + '.' + sanitize(table);
        });
    }

    static String sanitize(String identifier) {
        StringBuilder out = new StringBuilder(identifier.length());
        for (int i = 0; i < identifier.length(); i++) {
            char c = identifier.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
            out.append(allowed ? c : '_');
        }
        return out.toString();
    }
}
