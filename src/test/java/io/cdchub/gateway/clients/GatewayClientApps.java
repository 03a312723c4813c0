package io.cdchub.gateway.clients;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * What the client tests share: an app with the gateway on, capturing a schema of its own, and tokens
 * its gateway accepts (HS256 with {@link #SECRET}).
 */
final class GatewayClientApps {

    /** The HS256 secret the tests' apps verify tokens with (32+ bytes, as HS256 requires). */
    static final String SECRET = "cdc-hub-gateway-client-tests-hs256-secret-0123456789";

    private static final ObjectMapper JSON = new ObjectMapper();

    private GatewayClientApps() {
    }

    /**
     * Settings for an app that captures schema {@code name} (created here with the given statements,
     * before the app starts, as Debezium's filtered publication needs) into topics
     * {@code <name>.<name>.<table>}, with the gateway verifying tokens signed with {@link #SECRET}.
     */
    static Map<String, String> settings(String name, String... statements) {
        Map<String, String> settings = RealServers.sourceSettings(name, statements);
        settings.put("cdc.gateway.enabled", "true");
        settings.put("cdc.gateway.jwt.secret", SECRET);
        return settings;
    }

    static String topic(String schema, String table) {
        return schema + '.' + schema + '.' + table;
    }

    static void sql(String... statements) {
        PostgresServer.shared().execute(RealServers.DATABASE, statements);
    }

    static int port(ConfigurableApplicationContext app) {
        return ((WebServerApplicationContext) app).getWebServer().getPort();
    }

    /** A token valid for an hour that may read the given topics. */
    static String token(List<String> topics) {
        Instant now = Instant.now();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("sub", "gateway-client-test");
        claims.put("iat", now.getEpochSecond());
        claims.put("exp", now.plus(Duration.ofHours(1)).getEpochSecond());
        claims.put("topics", topics);
        return sign(claims, SECRET);
    }

    /** A compact JWS (HS256) of the claims: what any JWT library would produce, written out to keep tests free of one. */
    static String sign(Map<String, Object> claims, String secret) {
        try {
            Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
            String header = b64.encodeToString(JSON.writeValueAsBytes(Map.of("alg", "HS256", "typ", "JWT")));
            String payload = b64.encodeToString(JSON.writeValueAsBytes(claims));
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] signature = mac.doFinal((header + '.' + payload).getBytes(StandardCharsets.US_ASCII));
            return header + '.' + payload + '.' + b64.encodeToString(signature);
        } catch (JsonProcessingException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
