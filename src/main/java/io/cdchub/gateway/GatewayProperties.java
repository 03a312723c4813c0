package io.cdchub.gateway;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import io.cdchub.config.CdcHubProperties;
import io.cdchub.config.InvalidConfigurationException;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The real-time gateway ({@code cdc.gateway.*}): WebSocket {@code /ws/stream} and SSE {@code /sse/stream} on
 * {@code server.port}. Off by default; when on, it refuses to start without a way to verify tokens unless
 * {@code allow-anonymous} is set (meant for the embedded quick start only).
 *
 * @param enabled         serve the gateway in this instance
 * @param topics          Kafka topics the gateway reads and clients may subscribe to; empty: {@code topic-pattern}
 * @param topicPattern    a regex over topic names; empty with no {@code topics}: every {@code <cdc.topic-prefix>.*}
 *                        topic except the dead-letter topic, plus the cdc.topic-rename targets
 * @param aliases         short names clients may use for topics, e.g. {@code realtime_prices: cdc.commodity_prices}
 * @param allowAnonymous  accept connections without a token (embedded quick start only; logged as a warning)
 * @param jwt             how tokens are verified
 * @param rowFilter       optional row-level rule: a claim that must equal a row column
 * @param buffer          most messages queued for one client before it counts as lagging
 * @param overflow        what happens then: {@code close} (a lagging frame, then close 1013) or {@code drop-oldest}
 * @param pingInterval    how often the server pings each WebSocket client (and sends an SSE comment)
 * @param maxConnections  most WebSocket + SSE clients at once; more are refused with HTTP 503
 * @param subscribeRate   most subscribe actions one connection may send per second (a burst of as many is allowed)
 * @param maxBadMessages  malformed or refused client messages a connection may send before it is closed with 1008
 * @param maxMessageSize  largest client message in characters (bigger closes the connection with 1009); longer
 *                        messages than Tomcat's small per-connection text buffer arrive in parts and are joined up
 *                        to this size, so it costs memory only while such a message arrives
 * @param topicRefreshMs  how often new topics matching the gateway's topics are picked up
 * @param resumeLookback  how far before a resume position's subscription time partitions it has no offset for are read
 * @param sendTimeout     longest a frame may take to reach a client before the connection is dropped
 * @param idleTimeout     a WebSocket client that sends nothing for this long, not even the pong to the server's
 *                        pings, is closed (a peer gone without a FIN); longer than ping-interval
 * @param resumeKey       the HMAC key resume positions are signed with (at least 32 bytes); empty: a random key per
 *                        instance, so positions do not survive a restart and are refused by other instances
 * @param resumeMaxAge    a position issued longer ago than this is refused (resume-expired), and no resume reads
 *                        changes older than this
 * @param resumeMaxPartitions most topic-partitions a resume position may carry
 * @param maxCatchUps     most resumes one connection may have reading history at once
 * @param catchUpThreads  threads reading resumes' history (one Kafka consumer each)
 * @param catchUpQueue    resumes waiting for such a thread; more are refused (resume-failed, close 1013)
 * @param maxQueuedBytes  most bytes (characters of JSON) queued for one client before it is lagging
 * @param maxTotalQueuedBytes most bytes queued for all clients together; over it, the client with the most queued is
 *                        closed as lagging
 * @param maxConnectionsPerSubject most connections of one token subject ({@code sub}) at once; 0: no limit
 * @param maxSession      longest a connection may last (closed with 4002, reconnect and resume); 0: no limit
 * @param allowedOrigins  browser origins (patterns such as {@code https://*.example.com}) allowed to connect; empty:
 *                        any origin with tokens, only the gateway's own origin with allow-anonymous
 */
@ConfigurationProperties("cdc.gateway")
public record GatewayProperties(
        @DefaultValue("false") boolean enabled,
        List<String> topics,
        String topicPattern,
        Map<String, String> aliases,
        @DefaultValue("false") boolean allowAnonymous,
        @DefaultValue Jwt jwt,
        @DefaultValue RowFilter rowFilter,
        @DefaultValue("1000") int buffer,
        @DefaultValue("close") String overflow,
        @DefaultValue("30s") Duration pingInterval,
        @DefaultValue("10000") int maxConnections,
        @DefaultValue("10") int subscribeRate,
        @DefaultValue("10") int maxBadMessages,
        @DefaultValue("8192") int maxMessageSize,
        @DefaultValue("10000") int topicRefreshMs,
        @DefaultValue("5s") Duration resumeLookback,
        @DefaultValue("30s") Duration sendTimeout,
        @DefaultValue("90s") Duration idleTimeout,
        @DefaultValue("") String resumeKey,
        @DefaultValue("24h") Duration resumeMaxAge,
        @DefaultValue("1024") int resumeMaxPartitions,
        @DefaultValue("2") int maxCatchUps,
        @DefaultValue("4") int catchUpThreads,
        @DefaultValue("64") int catchUpQueue,
        @DefaultValue("8MB") DataSize maxQueuedBytes,
        @DefaultValue("512MB") DataSize maxTotalQueuedBytes,
        @DefaultValue("100") int maxConnectionsPerSubject,
        @DefaultValue("0s") Duration maxSession,
        List<String> allowedOrigins) {

    public static final String OVERFLOW_CLOSE = "close";
    public static final String OVERFLOW_DROP_OLDEST = "drop-oldest";
    private static final Pattern ALIAS = Pattern.compile("[A-Za-z0-9._-]{1,249}");

    public GatewayProperties {
        topics = topics == null ? List.of() : List.copyOf(topics);
        aliases = aliases == null ? Map.of() : Map.copyOf(aliases);
        allowedOrigins = allowedOrigins == null ? List.of() : allowedOrigins.stream().map(String::trim).filter(o -> !o.isEmpty()).toList();
        resumeKey = resumeKey == null ? "" : resumeKey;
        overflow = overflow == null ? OVERFLOW_CLOSE : overflow.trim().toLowerCase(Locale.ROOT);
        if (enabled) {
            validate(topics, topicPattern, aliases, allowAnonymous, jwt, rowFilter, buffer, overflow, pingInterval, maxConnections, subscribeRate,
                    maxBadMessages, maxMessageSize, topicRefreshMs, resumeLookback, sendTimeout, idleTimeout);
            validateLimits(resumeKey, resumeMaxAge, resumeMaxPartitions, maxCatchUps, catchUpThreads, catchUpQueue, maxQueuedBytes,
                    maxTotalQueuedBytes, maxConnectionsPerSubject, maxSession);
        }
    }

    // static: a compact constructor's fields are assigned only after its body
    @SuppressWarnings("checkstyle:ParameterNumber")
    private static void validate(List<String> topics, String topicPattern, Map<String, String> aliases, boolean allowAnonymous, Jwt jwt,
            RowFilter rowFilter, int buffer, String overflow, Duration pingInterval, int maxConnections, int subscribeRate, int maxBadMessages,
            int maxMessageSize, int topicRefreshMs, Duration resumeLookback, Duration sendTimeout, Duration idleTimeout) {
        if (!topics.isEmpty() && topicPattern != null && !topicPattern.isBlank()) {
            throw new InvalidConfigurationException("cdc.gateway.topic-pattern", "cannot be set together with cdc.gateway.topics: choose one");
        }
        for (String topic : topics) {
            if (!CdcHubProperties.TOPIC_NAME.matcher(topic).matches()) {
                throw new InvalidConfigurationException("cdc.gateway.topics", "must list Kafka topic names, but has '" + topic + "'");
            }
        }
        if (topicPattern != null && !topicPattern.isBlank()) {
            try {
                Pattern.compile(topicPattern);
            } catch (PatternSyntaxException e) {
                throw new InvalidConfigurationException("cdc.gateway.topic-pattern", "is not a valid regex: " + e.getDescription());
            }
        }
        aliases.forEach((alias, topic) -> {
            if (!ALIAS.matcher(alias).matches()) {
                throw new InvalidConfigurationException("cdc.gateway.aliases." + alias, "names an alias with characters other than letters, digits, '.', '_', '-'");
            }
            if (topic == null || !CdcHubProperties.TOPIC_NAME.matcher(topic).matches()) {
                throw new InvalidConfigurationException("cdc.gateway.aliases." + alias, "must be a Kafka topic name, but is '" + topic + "'");
            }
        });
        if (!allowAnonymous && !jwt.hasSecret() && !jwt.hasJwksUrl()) {
            throw new InvalidConfigurationException("cdc.gateway.jwt.secret",
                    "or cdc.gateway.jwt.jwks-url (env CDC_GATEWAY_JWT_JWKS_URL) must be set while the gateway is on (cdc.gateway.enabled=true): "
                            + "clients are authenticated with JWTs. cdc.gateway.allow-anonymous=true turns authentication off and is meant "
                            + "for the embedded quick start only");
        }
        jwt.validate();
        rowFilter.validate();
        requirePositive("cdc.gateway.buffer", buffer);
        if (!OVERFLOW_CLOSE.equals(overflow) && !OVERFLOW_DROP_OLDEST.equals(overflow)) {
            throw new InvalidConfigurationException("cdc.gateway.overflow", "must be close or drop-oldest, but is '" + overflow + "'");
        }
        requirePositive("cdc.gateway.ping-interval", pingInterval);
        requirePositive("cdc.gateway.max-connections", maxConnections);
        requirePositive("cdc.gateway.subscribe-rate", subscribeRate);
        requirePositive("cdc.gateway.max-bad-messages", maxBadMessages);
        requirePositive("cdc.gateway.max-message-size", maxMessageSize);
        requirePositive("cdc.gateway.topic-refresh-ms", topicRefreshMs);
        requirePositive("cdc.gateway.send-timeout", sendTimeout);
        requirePositive("cdc.gateway.idle-timeout", idleTimeout);
        if (idleTimeout.compareTo(pingInterval) <= 0) {
            throw new InvalidConfigurationException("cdc.gateway.idle-timeout", "must be longer than cdc.gateway.ping-interval ("
                    + pingInterval + "), or clients are closed before they can answer a ping");
        }
        if (resumeLookback == null || resumeLookback.isNegative()) {
            throw new InvalidConfigurationException("cdc.gateway.resume-lookback", "must not be negative");
        }
    }

    @SuppressWarnings("checkstyle:ParameterNumber")
    private static void validateLimits(String resumeKey, Duration resumeMaxAge, int resumeMaxPartitions, int maxCatchUps, int catchUpThreads,
            int catchUpQueue, DataSize maxQueuedBytes, DataSize maxTotalQueuedBytes, int maxConnectionsPerSubject, Duration maxSession) {
        if (!resumeKey.isEmpty() && resumeKey.getBytes(StandardCharsets.UTF_8).length < 32) {
            throw new InvalidConfigurationException("cdc.gateway.resume-key", "must be at least 32 bytes (an HMAC-SHA256 key), or empty for a random key per instance");
        }
        requirePositive("cdc.gateway.resume-max-age", resumeMaxAge);
        requirePositive("cdc.gateway.resume-max-partitions", resumeMaxPartitions);
        requirePositive("cdc.gateway.max-catch-ups", maxCatchUps);
        requirePositive("cdc.gateway.catch-up-threads", catchUpThreads);
        requirePositive("cdc.gateway.catch-up-queue", catchUpQueue);
        if (maxQueuedBytes == null || maxQueuedBytes.toBytes() < 1024) {
            throw new InvalidConfigurationException("cdc.gateway.max-queued-bytes", "must be at least 1KB, but is " + maxQueuedBytes);
        }
        if (maxTotalQueuedBytes == null || maxTotalQueuedBytes.toBytes() < maxQueuedBytes.toBytes()) {
            throw new InvalidConfigurationException("cdc.gateway.max-total-queued-bytes", "must be at least cdc.gateway.max-queued-bytes ("
                    + maxQueuedBytes + "), but is " + maxTotalQueuedBytes);
        }
        if (maxConnectionsPerSubject < 0) {
            throw new InvalidConfigurationException("cdc.gateway.max-connections-per-subject", "must not be negative (0: no limit)");
        }
        if (maxSession == null || maxSession.isNegative()) {
            throw new InvalidConfigurationException("cdc.gateway.max-session", "must not be negative (0: no limit)");
        }
    }

    public boolean dropOldest() {
        return OVERFLOW_DROP_OLDEST.equals(overflow);
    }

    /**
     * @param secret      HS256 shared secret (at least 32 bytes); tokens signed with HS256 are checked with it
     * @param jwksUrl     a JWKS document (http/https); tokens signed with RS256/384/512, PS256/384/512 or ES256/384/512
     *                    are checked with its keys (fetched and cached by Nimbus)
     * @param issuer      required {@code iss} (empty: not checked)
     * @param audience    required {@code aud} member (empty: not checked)
     * @param topicsClaim the claim listing the topics a token may read: a JSON array, or a space-separated string
     *                    such as OAuth's {@code scope}; entries are topic names or aliases, {@code *} matches any
     *                    characters
     * @param clockSkew   tolerance for {@code exp} and {@code nbf}
     */
    public record Jwt(
            @DefaultValue("") String secret,
            @DefaultValue("") String jwksUrl,
            @DefaultValue("") String issuer,
            @DefaultValue("") String audience,
            @DefaultValue("topics") String topicsClaim,
            @DefaultValue("30s") Duration clockSkew) {

        public boolean hasSecret() {
            return secret != null && !secret.isEmpty();
        }

        public boolean hasJwksUrl() {
            return jwksUrl != null && !jwksUrl.isBlank();
        }

        void validate() {
            if (hasSecret() && secret.getBytes(StandardCharsets.UTF_8).length < 32) {
                throw new InvalidConfigurationException("cdc.gateway.jwt.secret", "must be at least 32 bytes (HS256 needs a 256-bit key)");
            }
            if (hasJwksUrl()) {
                try {
                    URI uri = URI.create(jwksUrl.trim());
                    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                        throw new IllegalArgumentException();
                    }
                } catch (RuntimeException e) {
                    throw new InvalidConfigurationException("cdc.gateway.jwt.jwks-url", "must be an http:// or https:// address, but is '" + jwksUrl + "'");
                }
            }
            if (topicsClaim == null || topicsClaim.isBlank()) {
                throw new InvalidConfigurationException("cdc.gateway.jwt.topics-claim", "must name a claim, e.g. topics or scope");
            }
            if (clockSkew == null || clockSkew.isNegative()) {
                throw new InvalidConfigurationException("cdc.gateway.jwt.clock-skew", "must not be negative");
            }
        }
    }

    /**
     * @param claim  a token claim (e.g. tenant_id) whose value a row must carry ...
     * @param column ... in this column (after, or before for deletes); both empty: no row-level rule
     */
    public record RowFilter(@DefaultValue("") String claim, @DefaultValue("") String column) {

        public boolean enabled() {
            return claim != null && !claim.isBlank();
        }

        void validate() {
            boolean hasClaim = claim != null && !claim.isBlank();
            boolean hasColumn = column != null && !column.isBlank();
            if (hasClaim != hasColumn) {
                throw new InvalidConfigurationException(hasClaim ? "cdc.gateway.row-filter.column" : "cdc.gateway.row-filter.claim",
                        "must be set together with " + (hasClaim ? "cdc.gateway.row-filter.claim" : "cdc.gateway.row-filter.column"));
            }
        }
    }

    private static void requirePositive(String property, int value) {
        if (value <= 0) {
            throw new InvalidConfigurationException(property, "must be positive, but is " + value);
        }
    }

    private static void requirePositive(String property, Duration value) {
        if (value == null || value.isZero() || value.isNegative()) {
            throw new InvalidConfigurationException(property, "must be a positive duration, e.g. 30s, but is " + value);
        }
    }
}
