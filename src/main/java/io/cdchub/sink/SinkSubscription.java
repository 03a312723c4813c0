package io.cdchub.sink;

import java.util.List;
import java.util.regex.Pattern;

import io.cdchub.change.ChangeTopicRule;

/**
 * Which topics a sink reads, as the Kafka endpoint wants it: a comma-separated list of names, or a regex
 * (then {@code topicIsPattern}). With neither {@code topics} nor {@code topic-pattern} set, a sink reads every
 * change topic this instance's source writes ({@link ChangeTopicRule#changeTopicsRegex}): renamed ones included,
 * never the dead-letter topic.
 *
 * @param topics    the endpoint's topic path
 * @param isPattern whether that path is a regex
 */
public record SinkSubscription(String topics, boolean isPattern) {

    public static SinkSubscription of(List<String> topics, String topicPattern, ChangeTopicRule changeTopics) {
        if (!topics.isEmpty()) {
            return new SinkSubscription(String.join(",", topics), false);
        }
        if (topicPattern != null && !topicPattern.isBlank()) {
            return new SinkSubscription(topicPattern, true);
        }
        return new SinkSubscription(changeTopics.changeTopicsRegex(), true);
    }

    /** Whether a topic is one this sink reads. */
    public boolean matches(String topic) {
        if (isPattern) {
            return Pattern.compile(topics).matcher(topic).matches();
        }
        return List.of(topics.split(",")).contains(topic);
    }
}
