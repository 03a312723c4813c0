package io.cdchub.change;

import java.util.Map;
import java.util.regex.Pattern;

import io.cdchub.config.CdcHubProperties;

/**
 * Which Kafka topics hold this instance's change events. The source writes a table's changes to
 * {@code <cdc.topic-prefix>.<schema>.<table>}, or to the topic {@code cdc.topic-rename} names for it (any name, e.g.
 * {@code cdc.commodity_prices}); runtime connectors use a prefix of their own. The dead-letter topic is never a change
 * topic.
 */
public final class ChangeTopicRule {

    private final String prefix;
    private final Map<String, String> renames;
    private final String deadLetterTopic;

    public ChangeTopicRule(String prefix, Map<String, String> renames, String deadLetterTopic) {
        this.prefix = prefix;
        this.renames = Map.copyOf(renames);
        this.deadLetterTopic = deadLetterTopic;
    }

    public static ChangeTopicRule of(CdcHubProperties hub) {
        return new ChangeTopicRule(hub.topicPrefix(), hub.topicRename(), hub.dlq().topic());
    }

    /**
     * A regex matching every change topic of the source: {@code <prefix>.<schema>.<table>} (exactly three parts, so not
     * the dead-letter topic {@code <prefix>.dlq}) or one of the rename targets. Written without {@code ?}, {@code +} or
     * {@code \Q} (they do not survive a Kafka endpoint URI); topic names have no regex character but '.'.
     */
    public String changeTopicsRegex() {
        StringBuilder regex = new StringBuilder(escape(prefix)).append("\\.[^.]+\\.[^.]+");
        renames.values().stream().filter(topic -> !topic.equals(deadLetterTopic)).sorted().distinct()
                .forEach(topic -> regex.append('|').append(escape(topic)));
        return regex.toString();
    }

    /** Whether a topic is one of the source's change topics. */
    public boolean isChangeTopic(String topic) {
        return !topic.equals(deadLetterTopic) && Pattern.compile(changeTopicsRegex()).matcher(topic).matches();
    }

    private static String escape(String topic) {
        return topic.replace(".", "\\.");
    }
}
