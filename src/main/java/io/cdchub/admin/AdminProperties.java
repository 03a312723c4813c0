package io.cdchub.admin;

import java.util.List;
import java.util.regex.Pattern;

import io.cdchub.config.InvalidConfigurationException;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The admin surface ({@code cdc.admin.*}): the management API, the Connect-style API, actuator, Hawtio and
 * Jolokia, and where runtime connector definitions are kept.
 *
 * @param token          bearer token of the admin surface (at least 16 characters); required unless basic
 *                       credentials are set (the embedded quick start generates one)
 * @param username       optional basic-auth user name (with {@code password})
 * @param password       optional basic-auth password (with {@code username})
 * @param connectPort    port of the Kafka Connect REST API ({@code /connectors}, {@code /connector-plugins}); 0 picks a free port, -1 turns it off
 * @param configTopic    compacted topic holding connector definitions (key = name, value = config JSON, tombstone = deleted)
 * @param runConnectors  run the connectors defined through the API in this instance; instances with false only
 *                       serve and store definitions
 * @param offsetTopic    compacted topic holding the offsets of the connectors defined through the API
 * @param maxRequestBytes largest request body the admin surface reads (larger: 413)
 * @param allowedOrigins  browser origins (scheme://host:port) besides the server's own that may send state-changing
 *                        requests to the admin surface and get CORS answers from Jolokia; none by default
 */
@ConfigurationProperties("cdc.admin")
public record AdminProperties(
        String token,
        String username,
        String password,
        @DefaultValue("8083") int connectPort,
        @DefaultValue("cdc-hub-configs") String configTopic,
        @DefaultValue("true") boolean runConnectors,
        @DefaultValue("cdc-hub-connector-offsets") String offsetTopic,
        @DefaultValue("1MB") DataSize maxRequestBytes,
        List<String> allowedOrigins) {

    public static final int MIN_TOKEN_LENGTH = 16;
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    public AdminProperties {
        token = blankToNull(token);
        username = blankToNull(username);
        password = blankToNull(password);
        if (token != null && token.length() < MIN_TOKEN_LENGTH) {
            throw new InvalidConfigurationException("cdc.admin.token", "must be at least " + MIN_TOKEN_LENGTH
                    + " characters (it guards the management API, actuator, Hawtio and Jolokia)");
        }
        if ((username == null) != (password == null)) {
            throw new InvalidConfigurationException(username == null ? "cdc.admin.username" : "cdc.admin.password",
                    "must be set together with " + (username == null ? "cdc.admin.password" : "cdc.admin.username"));
        }
        if (username != null && username.contains(":")) {
            throw new InvalidConfigurationException("cdc.admin.username", "must not contain ':' (basic auth separates user and password with it)");
        }
        if (connectPort < -1 || connectPort > 65535) {
            throw new InvalidConfigurationException("cdc.admin.connect-port", "must be 1-65535, 0 (a free port) or -1 (off), but is " + connectPort);
        }
        if (maxRequestBytes == null) {
            maxRequestBytes = DataSize.ofMegabytes(1);
        }
        if (maxRequestBytes.toBytes() < 1024 || maxRequestBytes.toBytes() > Integer.MAX_VALUE) {
            throw new InvalidConfigurationException("cdc.admin.max-request-bytes", "must be 1KB-2GB, but is " + maxRequestBytes);
        }
        allowedOrigins = allowedOrigins == null ? List.of() : List.copyOf(allowedOrigins);
        for (String origin : allowedOrigins) {
            if (!origin.matches("https?://[A-Za-z0-9.\\[\\]:-]+")) {
                throw new InvalidConfigurationException("cdc.admin.allowed-origins", "holds '" + origin
                        + "': origins are scheme://host[:port], without path or wildcard");
            }
        }
        requireTopic("cdc.admin.config-topic", configTopic);
        requireTopic("cdc.admin.offset-topic", offsetTopic);
        if (configTopic.equals(offsetTopic)) {
            throw new InvalidConfigurationException("cdc.admin.offset-topic", "must differ from cdc.admin.config-topic");
        }
    }

    /** Whether any credential is configured. */
    public boolean hasCredential() {
        return token != null || username != null;
    }

    private static void requireTopic(String property, String topic) {
        if (topic == null || !TOPIC.matcher(topic).matches() || ".".equals(topic) || "..".equals(topic)) {
            throw new InvalidConfigurationException(property, "must be a Kafka topic name (1-249 letters, digits, '.', '_' or '-'), but is '" + topic + "'");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
