package io.cdchub.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a bad setting into Spring Boot's start-up report instead of a stack trace. */
public class InvalidConfigurationFailureAnalyzer extends AbstractFailureAnalyzer<InvalidConfigurationException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidConfigurationException cause) {
        return new FailureAnalysis(
                "cdc-hub configuration is invalid: " + cause.getMessage(),
                "Set " + cause.property() + " in application.yaml, with --" + cause.property() + "=..., or through the environment variable "
                        + InvalidConfigurationException.environmentVariable(cause.property()) + ". See the configuration table in README.md.",
                cause);
    }
}
