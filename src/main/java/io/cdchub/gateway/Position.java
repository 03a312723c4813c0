package io.cdchub.gateway;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.cdchub.config.CdcHubProperties;
import org.apache.kafka.common.TopicPartition;

/**
 * A client's resume position, the opaque {@code position} of each message: for every topic-partition the
 * connection has read, the next offset it has not had, plus when it first subscribed and when the position was issued.
 * Carrying the whole vector (not just the one record's offset) makes resuming from the last message a client received
 * exact across topics and partitions: no gap, no duplicate. Partitions it has no offset for (nothing seen there yet)
 * are read from {@code since} (minus cdc.gateway.resume-lookback): anything found there is new to the client.
 *
 * <p>Positions are signed (HMAC-SHA256, truncated to 128 bits) with the server's key ({@code cdc.gateway.resume-key},
 * else a random key per instance), so a client can only resume from a position a gateway with that key issued: no
 * forged offsets, partitions or times. Format: base64url of {@code v2;<since ms>;<issued ms>;<topic>:<partition>:<next
 * offset>,...} followed by the 16-byte MAC (topic names cannot hold ':' ';' or ',').
 *
 * @param sinceMs  when the client first subscribed
 * @param issuedMs when the position was written (a resume from one older than cdc.gateway.resume-max-age is refused)
 * @param next     next offset per topic-partition
 */
public record Position(long sinceMs, long issuedMs, Map<TopicPartition, Long> next) {

    private static final String VERSION = "v2";
    private static final int MAC_BYTES = 16;

    /** Signs and checks positions with one key. Thread-safe. */
    static final class Codec {

        private final SecretKeySpec key;
        private final ThreadLocal<Mac> macs;
        private final int maxPartitions;
        private final long maxAgeMs;

        /**
         * @param key           the configured key (at least 32 bytes), or empty for a random one
         * @param maxPartitions most topic-partitions a position may carry
         * @param maxAgeMs      oldest a position may be
         */
        Codec(String key, int maxPartitions, long maxAgeMs) {
            byte[] bytes;
            if (key == null || key.isEmpty()) {
                bytes = new byte[32];
                new SecureRandom().nextBytes(bytes);
            } else {
                bytes = key.getBytes(StandardCharsets.UTF_8);
            }
            this.key = new SecretKeySpec(bytes, "HmacSHA256");
            this.macs = ThreadLocal.withInitial(this::newMac);
            this.maxPartitions = maxPartitions;
            this.maxAgeMs = maxAgeMs;
        }

        private Mac newMac() {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
                return mac;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is not available", e);
            }
        }

        private byte[] mac(byte[] payload, int length) {
            Mac mac = macs.get();
            mac.update(payload, 0, length);
            return Arrays.copyOf(mac.doFinal(), MAC_BYTES);
        }

        /** The signed token of a connection's position, issued now. */
        String encode(long sinceMs, Map<TopicPartition, Long> next) {
            StringBuilder text = new StringBuilder(48 + next.size() * 32).append(VERSION).append(';').append(sinceMs).append(';')
                    .append(System.currentTimeMillis()).append(';');
            boolean first = true;
            for (Map.Entry<TopicPartition, Long> e : next.entrySet()) {
                if (!first) {
                    text.append(',');
                }
                first = false;
                text.append(e.getKey().topic()).append(':').append(e.getKey().partition()).append(':').append(e.getValue());
            }
            byte[] payload = text.toString().getBytes(StandardCharsets.UTF_8);
            byte[] signed = Arrays.copyOf(payload, payload.length + MAC_BYTES);
            System.arraycopy(mac(payload, payload.length), 0, signed, payload.length, MAC_BYTES);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(signed);
        }

        /**
         * @throws ProtocolException invalid-resume when the token is not one a gateway with this key issued (or carries
         *                           more than resume-max-partitions partitions), resume-expired when it is older than
         *                           resume-max-age
         */
        Position decode(String token) {
            Position position;
            try {
                byte[] signed = Base64.getUrlDecoder().decode(token.trim());
                if (signed.length <= MAC_BYTES) {
                    throw new IllegalArgumentException();
                }
                int length = signed.length - MAC_BYTES;
                if (!MessageDigest.isEqual(mac(signed, length), Arrays.copyOfRange(signed, length, signed.length))) {
                    throw new IllegalArgumentException();
                }
                position = parse(new String(signed, 0, length, StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                throw new ProtocolException("invalid-resume", "resume is not a position this gateway issued (positions are signed with the "
                        + "gateway's key: one from another gateway, or from before a restart without a configured key, is refused); "
                        + "subscribe without resume");
            }
            if (position.next().size() > maxPartitions) {
                throw new ProtocolException("invalid-resume", "the position holds more than " + maxPartitions + " partitions");
            }
            if (System.currentTimeMillis() - position.issuedMs() > maxAgeMs) {
                throw new ProtocolException("resume-expired", "the position is older than the gateway's resume-max-age; subscribe without resume");
            }
            return position;
        }

        private static Position parse(String text) {
            String[] parts = text.split(";", -1);
            if (parts.length != 4 || !VERSION.equals(parts[0])) {
                throw new IllegalArgumentException();
            }
            long since = Long.parseLong(parts[1]);
            long issued = Long.parseLong(parts[2]);
            Map<TopicPartition, Long> next = new LinkedHashMap<>();
            if (!parts[3].isEmpty()) {
                for (String entry : parts[3].split(",")) {
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
            return new Position(since, issued, next);
        }
    }
}
