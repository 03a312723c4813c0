package io.cdchub.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The configured admin credentials, compared in constant time: both sides are hashed first, so neither
 * the content nor the length of the secret leaks through response timing.
 */
public final class AdminCredentials {

    private final byte[] tokenDigest;
    private final byte[] usernameDigest;
    private final byte[] passwordDigest;

    public AdminCredentials(AdminProperties properties) {
        this.tokenDigest = properties.token() == null ? null : digest(properties.token());
        this.usernameDigest = properties.username() == null ? null : digest(properties.username());
        this.passwordDigest = properties.password() == null ? null : digest(properties.password());
    }

    public boolean tokenMatches(String presented) {
        return tokenDigest != null && presented != null && MessageDigest.isEqual(tokenDigest, digest(presented));
    }

    /**
     * Basic auth: the configured user name and password, or any user name with the token as password (for
     * tools that only speak basic auth, such as Kafka Connect clients and browsers opening Hawtio).
     */
    public boolean basicMatches(String username, String password) {
        if (username == null || password == null) {
            return false;
        }
        byte[] presentedPassword = digest(password);
        boolean userMatches = usernameDigest != null
                // both comparisons always run: no early exit that would tell a right user name from a wrong one
                & MessageDigest.isEqual(usernameDigest, digest(username))
                & MessageDigest.isEqual(passwordDigest, presentedPassword);
        boolean tokenAsPassword = tokenDigest != null && MessageDigest.isEqual(tokenDigest, presentedPassword);
        return userMatches | tokenAsPassword;
    }

    private static byte[] digest(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
