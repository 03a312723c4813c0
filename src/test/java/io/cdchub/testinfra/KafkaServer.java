package io.cdchub.testinfra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.cdchub.embedded.EmbeddedKafkaServer;

/**
 * A real Kafka broker (KRaft, in this JVM, log on disk) shared by every test in the JVM. Tests may
 * stop and restart it on the same port and data to simulate an outage. Stopped at JVM exit once the Spring
 * applications still open then are closed ({@link ExitHooks}).
 */
public final class KafkaServer {

    private static EmbeddedKafkaServer shared;

    private KafkaServer() {
    }

    public static synchronized EmbeddedKafkaServer shared() {
        if (shared == null) {
            Path dir;
            try {
                dir = Files.createTempDirectory("cdc-hub-kafka-");
                shared = new EmbeddedKafkaServer(dir, PostgresServer.freePort(), PostgresServer.freePort()).start();
            } catch (IOException e) {
                throw new IllegalStateException("Cannot start the test Kafka broker: " + e.getMessage(), e);
            }
            // after the applications still open at exit are closed: stopped under them, their Kafka clients hang their close
            ExitHooks.stopAfterApplications("stop-test-kafka", () -> {
                shared.stop();
                TempDirs.delete(dir);
            });
        }
        return shared;
    }
}
