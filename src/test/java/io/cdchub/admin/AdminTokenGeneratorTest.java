package io.cdchub.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cdchub.config.InvalidConfigurationException;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.mock.env.MockEnvironment;

class AdminTokenGeneratorTest {

    @Test
    void theEmbeddedProfileGetsAGeneratedTokenWhenNoneIsSet() {
        MockEnvironment env = new MockEnvironment();
        env.setActiveProfiles("embedded");
        new AdminTokenGenerator().postProcessEnvironment(env, new SpringApplication());
        assertThat(env.getProperty("cdc.admin.token")).hasSizeGreaterThanOrEqualTo(AdminProperties.MIN_TOKEN_LENGTH);
        assertThat(env.getProperty(AdminTokenGenerator.GENERATED_FLAG)).isEqualTo("true");
    }

    @Test
    void aConfiguredTokenOrAnotherProfileIsLeftAlone() {
        MockEnvironment configured = new MockEnvironment().withProperty("cdc.admin.token", "my-own-token-0123456789");
        configured.setActiveProfiles("embedded");
        new AdminTokenGenerator().postProcessEnvironment(configured, new SpringApplication());
        assertThat(configured.getProperty("cdc.admin.token")).isEqualTo("my-own-token-0123456789");

        MockEnvironment production = new MockEnvironment();
        new AdminTokenGenerator().postProcessEnvironment(production, new SpringApplication());
        assertThat(production.getProperty("cdc.admin.token")).isNull();
    }

    @Test
    void credentialsAreValidated() {
        assertThatThrownBy(() -> new AdminProperties("short", null, null, 8083, "cdc-hub-configs", true, "cdc-hub-connector-offsets", null, null))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("cdc.admin.token");
        assertThatThrownBy(() -> new AdminProperties(null, "ops", null, 8083, "cdc-hub-configs", true, "cdc-hub-connector-offsets", null, null))
                .hasMessageContaining("cdc.admin.password");
        assertThatThrownBy(() -> new AdminProperties("0123456789abcdef", null, null, 70000, "cdc-hub-configs", true, "cdc-hub-connector-offsets", null, null))
                .hasMessageContaining("cdc.admin.connect-port");
        assertThatThrownBy(() -> new AdminProperties("0123456789abcdef", null, null, 8083, "bad topic", true, "cdc-hub-connector-offsets", null, null))
                .hasMessageContaining("cdc.admin.config-topic");
    }

    @Test
    void credentialsCompareExactly() {
        AdminCredentials credentials = new AdminCredentials(new AdminProperties("0123456789abcdef", "ops", "pw", 8083, "t", true, "o", null, null));
        assertThat(credentials.tokenMatches("0123456789abcdef")).isTrue();
        assertThat(credentials.tokenMatches("0123456789abcdeF")).isFalse();
        assertThat(credentials.tokenMatches("0123456789abcdef0")).isFalse();
        assertThat(credentials.basicMatches("ops", "pw")).isTrue();
        assertThat(credentials.basicMatches("ops", "pW")).isFalse();
        assertThat(credentials.basicMatches("x", "0123456789abcdef")).isTrue();
        assertThat(credentials.basicMatches("Ops", "pw")).isFalse();
    }
}
