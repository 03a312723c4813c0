package io.cdchub.admin;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

import io.cdchub.config.InvalidConfigurationException;
import org.springframework.core.env.PropertyResolver;

/**
 * The secrets docker-compose.yml used to ship as defaults ({@code cdc-local-only-...}) are public: anyone can sign
 * gateway tokens or call the admin API with them. cdc-hub refuses to start with one of them unless it listens on a
 * loopback address only ({@code server.address=127.0.0.1}), where nobody else can reach it. The compose file now
 * takes generated values ({@code scripts/compose-env.sh}).
 */
public final class SampleSecrets {

    /** Properties guarding the network-facing surface: the admin API and the gateway's JWTs. */
    static final List<String> GUARDED = List.of("cdc.admin.token", "cdc.admin.password", "cdc.gateway.jwt.secret");

    private SampleSecrets() {
    }

    /** Whether the value is one of the published sample secrets. */
    static boolean isSample(String value) {
        return value != null && value.strip().toLowerCase(Locale.ROOT).startsWith("cdc-local-only");
    }

    /** @throws InvalidConfigurationException naming the property that holds a sample secret while the server is reachable */
    public static void check(PropertyResolver env) {
        String address = env.getProperty("server.address");
        if (loopback(address)) {
            return;
        }
        for (String property : GUARDED) {
            if (isSample(env.getProperty(property))) {
                throw new InvalidConfigurationException(property, "is a published sample value (docker-compose.yml's local-only default) while "
                        + "cdc-hub listens on " + (address == null || address.isBlank() ? "every interface" : address)
                        + ": generate a secret (scripts/compose-env.sh, or openssl rand -base64 32), or bind server.address to 127.0.0.1");
            }
        }
    }

    private static boolean loopback(String address) {
        if (address == null || address.isBlank()) {
            return false;
        }
        try {
            return InetAddress.getByName(address.strip()).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
