package io.cdchub.testinfra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.List;

import io.cdchub.CdcHubApplication;
import io.cdchub.config.InvalidConfigurationException;
import io.cdchub.config.InvalidConfigurationFailureAnalyzer;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Start-up with one bad setting: the failure a user sees names the property and its environment variable. */
public final class StartupFailures {

    /** A source configuration that passes validation (nothing listens at these addresses; start-up fails before use). */
    public static final List<String> VALID_SOURCE = List.of(
            "--cdc.kafka.bootstrap-servers=127.0.0.1:1",
            "--cdc.source.database.hostname=127.0.0.1",
            "--cdc.source.database.port=1",
            "--cdc.source.database.dbname=db",
            "--cdc.source.database.user=cdc",
            "--cdc.source.tables=public\\.orders",
            "--cdc.source.slot=orders_slot");

    private StartupFailures() {
    }

    /**
     * Starts cdc-hub with {@code validArgs}, {@code --property=value} instead of the property's own, and checks that
     * start-up fails with an analysis naming the property, its environment variable and {@code problem}.
     */
    public static FailureAnalysis assertStartFailsNaming(List<String> validArgs, WebApplicationType web, String property, String value,
            String problem) {
        List<String> args = new ArrayList<>(validArgs);
        args.removeIf(a -> a.startsWith("--" + property + "="));
        args.add("--" + property + "=" + value);

        Throwable failure = catchThrowable(() -> new SpringApplicationBuilder(CdcHubApplication.class)
                .web(web).run(args.toArray(String[]::new)).close());

        assertThat(failure).isNotNull();
        FailureAnalysis analysis = new InvalidConfigurationFailureAnalyzer().analyze(failure);
        assertThat(analysis).as("failure analysis of %s", failure).isNotNull();
        assertThat(analysis.getDescription()).contains(property).contains(problem)
                .contains(InvalidConfigurationException.environmentVariable(property));
        return analysis;
    }
}
