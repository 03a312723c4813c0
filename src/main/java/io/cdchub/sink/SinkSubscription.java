package io.cdchub.sink;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which topics a sink reads, as the Kafka endpoint wants it: a comma-separated list of names, or a regex
 * (then {@code topicIsPattern}). With neither {@code topics} nor {@code topic-pattern} set, a sink reads every
 * change topic: {@code <cdc.topic-prefix>.<schema>.<table>} (never the dead-letter topic, which has no
 * third part; tables renamed with cdc.topic-rename must be listed).
 *
 * @param topics    the endpoint's topic path
 * @param isPattern whether that path is a regex
 */
public record SinkSubscription(String topics, boolean isPattern) {

    public static SinkSubscription of(List<String> topics, String topicPattern, String topicPrefix) {
        if (!topics.isEmpty()) {
            return new SinkSubscription(String.join(",", topics), false);
        }
        if (topicPattern != null && !topicPattern.isBlank()) {
            return new SinkSubscription(topicPattern, true);
        }
        return new SinkSubscription(topicPrefix.replace(".", "\\.") + "\\.[^.]+\\.[^.]+", true);
    }

    /** Whether a topic is one this sink reads. */
    public boolean matches(String topic) {
        if (isPattern) {
            return Pattern.compile(topics).matcher(topic).matches();
        }
        return List.of(topics.split(",")).contains(topic);
    }
}
