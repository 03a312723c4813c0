package io.cdchub.testinfra;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Kafka Connect 3.9.1 standalone ({@code org.apache.kafka.connect.cli.ConnectStandalone}) with Debezium's PostgreSQL
 * connector, as a user runs it, against the shared test Kafka: the reference the Connect-style API is compared with.
 * A child JVM on the class path the build resolves from {@code bench/peers/pom.xml} (its REST server's Jetty 9, Jersey
 * and HK2 are not on the tests' class path), REST on a free port, offsets in a file. Stopped at JVM exit.
 */
public final class ConnectStandalone {

    private static ConnectStandalone shared;

    private final Path dir;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;

    private ConnectStandalone() throws IOException {
        dir = Files.createTempDirectory("cdc-hub-connect-");
        port = PostgresServer.freePort();
        Files.writeString(dir.resolve("worker.properties"), String.join("\n",
                "bootstrap.servers=" + KafkaServer.shared().bootstrapServers(),
                "key.converter=org.apache.kafka.connect.json.JsonConverter",
                "value.converter=org.apache.kafka.connect.json.JsonConverter",
                "offset.storage.file.filename=" + dir.resolve("offsets"),
                "key.converter.schemas.enable=false",
                "value.converter.schemas.enable=false",
                "offset.flush.interval.ms=1000",
                "listeners=http://127.0.0.1:" + port,
                // the class path holds every plugin: no plugin.path scan
                "plugin.discovery=only_scan",
                ""));
        Files.writeString(dir.resolve("log4j.properties"), String.join("\n",
                "log4j.rootLogger=INFO, file",
                "log4j.appender.file=org.apache.log4j.FileAppender",
                "log4j.appender.file.File=" + dir.resolve("connect.log"),
                "log4j.appender.file.layout=org.apache.log4j.PatternLayout",
                "log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n",
                ""));
    }

    public static synchronized ConnectStandalone shared() {
        if (shared == null) {
            try {
                shared = new ConnectStandalone();
                shared.start();
            } catch (IOException e) {
                throw new IllegalStateException("Cannot start Kafka Connect standalone: " + e.getMessage(), e);
            }
            ExitHooks.stopAfterApplications("stop-test-connect", () -> {
                shared.stop();
                TempDirs.delete(shared.dir);
            });
        }
        return shared;
    }

    public int port() {
        return port;
    }

    private void start() throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        process = new ProcessBuilder(List.of(java.toString(), "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dlog4j.configuration=file:" + dir.resolve("log4j.properties"), "-cp", classPath(),
                "org.apache.kafka.connect.cli.ConnectStandalone", dir.resolve("worker.properties").toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        try {
            while (!answers()) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    throw new IllegalStateException("Kafka Connect standalone did not start: " + tail(dir.resolve("stdout.log"))
                            + tail(dir.resolve("connect.log")));
                }
                // the wait of a process start-up: bounded, with the process as the condition
                process.waitFor(200, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void stop() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The worker answers once its herder has started (its REST server refuses connections before). */
    private boolean answers() {
        try {
            HttpResponse<String> root = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/connectors"))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return root.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The end of the worker's log, for a failure message. */
    public String logTail() {
        return tail(dir.resolve("connect.log"));
    }

    private static String tail(Path log) {
        try {
            String text = Files.isRegularFile(log) ? Files.readString(log) : "";
            return text.substring(Math.max(0, text.length() - 4000));
        } catch (IOException e) {
            return e.toString();
        }
    }

    /**
     * The class path: {@code CDC_HUB_TEST_CONNECT_CLASSPATH} (a file), or the one the build writes before the integration
     * tests ({@code cdchub.connect.classpath}, set by failsafe; {@code target/connect-standalone/classpath.txt} otherwise).
     */
    private static String classPath() throws IOException {
        String configured = System.getenv("CDC_HUB_TEST_CONNECT_CLASSPATH");
        if (configured == null || configured.isBlank()) {
            configured = System.getProperty("cdchub.connect.classpath");
        }
        Path file = configured != null && !configured.isBlank() ? Path.of(configured)
                : Path.of("target", "connect-standalone", "classpath.txt").toAbsolutePath();
        if (!Files.isRegularFile(file)) {
            throw new IOException("No Kafka Connect class path at " + file + ": the build writes it before the integration tests"
                    + " (./mvnw verify; execution connect-standalone-classpath), or set CDC_HUB_TEST_CONNECT_CLASSPATH");
        }
        return Files.readString(file).strip();
    }
}
