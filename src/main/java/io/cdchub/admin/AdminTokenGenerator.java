package io.cdchub.admin;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

import io.cdchub.embedded.EmbeddedQuickStart;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.Profiles;

/**
 * The embedded quick start needs no configuration, yet its admin surface must not be open: when the
 * {@code embedded} profile is active and no admin credential is set, a random {@code cdc.admin.token} is
 * generated for this run (and printed in the quick start's banner, see {@code DemoChanges}). Outside the
 * embedded profile a missing credential fails start-up instead ({@link AdminSecurityConfiguration}).
 */
public class AdminTokenGenerator implements EnvironmentPostProcessor, Ordered {

    /** Set to true when the token was generated here, so the banner knows it may print it. */
    public static final String GENERATED_FLAG = "cdc.admin.token-generated";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
        if (!env.acceptsProfiles(Profiles.of(EmbeddedQuickStart.PROFILE))) {
            return;
        }
        if (hasText(env.getProperty("cdc.admin.token")) || hasText(env.getProperty("cdc.admin.username"))) {
            return;
        }
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        env.getPropertySources().addFirst(new MapPropertySource("cdcAdminGeneratedToken",
                Map.of("cdc.admin.token", token, GENERATED_FLAG, "true")));
    }

    @Override
    public int getOrder() {
        // after application.yaml and the active profiles are known
        return ConfigDataEnvironmentPostProcessor.ORDER + 10;
    }

    private static boolean hasText(String value) {
        return value != null && !value.isBlank();
    }
}
