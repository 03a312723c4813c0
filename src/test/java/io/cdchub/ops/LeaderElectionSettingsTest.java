package io.cdchub.ops;

import java.util.List;

import io.cdchub.testinfra.StartupFailures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.WebApplicationType;

/**
 * Leader election's settings fail start-up naming the property: above all the file offset store, with which a
 * standby taking over could not continue from the leader's offsets.
 */
class LeaderElectionSettingsTest {

    private static final List<String> ELECTED_SOURCE = java.util.stream.Stream.concat(StartupFailures.VALID_SOURCE.stream(), java.util.stream.Stream.of(
            "--cdc.source.offset-store=kafka",
            "--cdc.cluster.leader-election.enabled=true",
            "--cdc.cluster.leader-election.master-url=http://127.0.0.1:1",
            "--cdc.cluster.leader-election.pod-name=source-0",
            // a web application, as deployed (the admin API needs one); nothing listens for long
            "--server.port=0",
            "--cdc.admin.token=settings-test-token-0123",
            "--cdc.admin.connect-port=-1")).toList();

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "cdc.source.offset-store|file|must be kafka when cdc.cluster.leader-election.enabled=true",
        "cdc.cluster.leader-election.lease-name|Bad_Name|Kubernetes name prefix",
        "cdc.cluster.leader-election.pod-selector|app|key=value labels",
        "cdc.cluster.leader-election.renew-deadline|2s|must be longer than 1.2 x retry-period",
        "cdc.cluster.leader-election.lease-duration|5s|must be longer than renew-deadline",
        "cdc.cluster.leader-election.retry-period|10ms|at least 100ms",
    })
    void badSettingFailsStartUpNamingTheProperty(String property, String value, String problem) {
        StartupFailures.assertStartFailsNaming(ELECTED_SOURCE, WebApplicationType.SERVLET, property, value, problem);
    }
}
