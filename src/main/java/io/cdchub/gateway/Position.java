package io.cdchub.gateway;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import io.cdchub.config.CdcHubProperties;
import org.apache.kafka.common.TopicPartition;

/**
 * A client's resume position, the opaque {@code position} of each message: for every topic-partition the
 * connection has read, the next offset it has not had, plus when it first subscribed. Carrying the whole vector
 * (not just the one record's offset) makes resuming from the last message a client received exact across topics
 * and partitions: no gap, no duplicate. Partitions it has no offset for (nothing seen there yet) are read from
 * {@code since} (minus cdc.gateway.resume-lookback): anything found there is new to the client.
 *
 * <p>Format: base64url of {@code v1;<since ms>;<topic>:<partition>:<next offset>,...} (topic names cannot hold
 * ':' ';' or ',').
 *
 * @param sinceMs when the client first subscribed
 * @param next    next offset per topic-partition
 */
public record Position(long sinceMs, Map<TopicPartition, Long> next) {

    private static final String VERSION = "v1";

    public String encode() {
        StringBuilder text = new StringBuilder(32 + next.size() * 32).append(VERSION).append(';').append(sinceMs).append(';');
        boolean first = true;
        for (Map.Entry<TopicPartition, Long> e : next.entrySet()) {
            if (!first) {
                text.append(',');
            }
            first = false;
            text.append(e.getKey().topic()).append(':').append(e.getKey().partition()).append(':').append(e.getValue());
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** @throws ProtocolException invalid-resume when the token is not one this gateway wrote */
    public static Position decode(String token) {
        try {
            String text = new String(Base64.getUrlDecoder().decode(token.trim()), StandardCharsets.UTF_8);
            String[] parts = text.split(";", -1);
            if (parts.length != 3 || !VERSION.equals(parts[0])) {
                throw new IllegalArgumentException();
            }
            long since = Long.parseLong(parts[1]);
            Map<TopicPartition, Long> next = new LinkedHashMap<>();
            if (!parts[2].isEmpty()) {
                for (String entry : parts[2].split(",")) {
                    int last = entry.lastIndexOf(':');
                    int middle = entry.lastIndexOf(':', last - 1);
                    String topic = entry.substring(0, middle);
                    int partition = Integer.parseInt(entry.substring(middle + 1, last));
                    long offset = Long.parseLong(entry.substring(last + 1));
                    if (!CdcHubProperties.TOPIC_NAME.matcher(topic).matches() || partition < 0 || offset < 0) {
                        throw new IllegalArgumentException();
                    }
                    next.put(new TopicPartition(topic, partition), offset);
                }
            }
            return new Position(since, next);
        } catch (RuntimeException e) {
            throw new ProtocolException("invalid-resume", "resume is not a position token this gateway issued");
        }
    }
}
