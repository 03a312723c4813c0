package io.cdchub.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.cdchub.testinfra.StartupFailures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** A missing or bad setting stops start-up with a message naming the property (and its environment variable). */
class ConfigurationValidationTest {

    private static final List<String> VALID = StartupFailures.VALID_SOURCE;

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "cdc.source.database.hostname|''|must be set",
        "cdc.source.tables|''|must be set",
        "cdc.source.tables|public.(orders|invalid regex",
        "cdc.source.slot|Bad-Slot|replication slot name",
        "cdc.source.snapshot-mode|sometimes|must be one of",
        "cdc.source.signal-table|public.Signals;drop|or blank (no re-snapshots)",
        "cdc.source.database.port|70000|TCP port",
        "cdc.source.poll-interval|0ms|at least 1ms",
        "cdc.source.max-queue-size|10|larger than cdc.source.max-batch-size",
        "cdc.topic-prefix|bad prefix!|Kafka topic name",
        "cdc.dlq.topic|''|Kafka topic name",
        "cdc.kafka.bootstrap-servers|''|must be set",
        "cdc.source.schemas-enable|true|needs cdc.source.value-format=debezium",
    })
    void badSettingFailsStartUpNamingTheProperty(String property, String value, String problem) {
        FailureAnalysis analysis = StartupFailures.assertStartFailsNaming(VALID, WebApplicationType.NONE, property, value, problem);
        assertThat(analysis.getAction()).contains(property);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"cdc.sink.clickhouse.enabled,NONE", "cdc.sink.elasticsearch.enabled,NONE", "cdc.gateway.enabled,SERVLET"})
    void theDebeziumFormIsRefusedToReadersOfTheCdcHubForm(String reader, WebApplicationType web) {
        List<String> args = new java.util.ArrayList<>(VALID);
        args.add("--" + reader + "=true");
        args.add("--cdc.gateway.jwt.secret=0123456789abcdef0123456789abcdef"); // the gateway's own check passes
        args.add("--server.port=0");
        args.add("--cdc.admin.connect-port=-1");
        args.add("--cdc.admin.token=0123456789abcdef0123");
        FailureAnalysis analysis = StartupFailures.assertStartFailsNaming(args, web, "cdc.source.value-format", "debezium",
                reader + "=true");
        assertThat(analysis.getDescription()).contains("reads the cdc-hub form");
    }
}
