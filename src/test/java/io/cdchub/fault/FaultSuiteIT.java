package io.cdchub.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * The short fault suite in {@code ./mvnw verify}: the whole stack on real servers under load, 2 kill -9 cycles of the
 * cdc-hub jar, each dependency stopped for 10 s, one poison record of each kind per change topic, a small fuzz of the
 * admin API and the WebSocket protocol; then PostgreSQL compared with Kafka and every target row by row.
 * {@code bench/fault-suite.sh} runs the same driver ({@link FaultSuite}) with the full parameters.
 */
class FaultSuiteIT {

    @Test
    void nothingIsLostUnderCrashesOutagesPoisonAndBadInput() {
        Path jar = HubProcess.findJar();
        FaultSuite.Result result = FaultSuite.run(FaultParams.shortRun(jar.getParent().resolve("fault-suite")));
        assertThat(result.failures()).as(String.join("\n", result.summary())).isEmpty();
    }
}
