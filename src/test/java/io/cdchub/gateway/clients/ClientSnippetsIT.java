package io.cdchub.gateway.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.TopicReader;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The README's client examples, run as real processes against an app capturing from the real
 * PostgreSQL into the real Kafka: the Node one with the npm {@code ws} package (src/test/clients/node,
 * installed by {@code npm ci}) and the Python one with Debian's {@code websockets} under /usr/bin/python3.
 * The examples subscribe to the aliases {@code realtime_prices} and {@code realtime_events} verbatim; the
 * app maps those to this test's topics.
 */
class ClientSnippetsIT {

    private static final String SCHEMA = "snippets";
    private static final String PRICES = GatewayClientApps.topic(SCHEMA, "commodity_prices");
    private static final String EVENTS = GatewayClientApps.topic(SCHEMA, "events");
    private static final Path CLIENTS = Path.of("src", "test", "clients");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static ConfigurableApplicationContext app;
    private static String address;

    @BeforeAll
    static void startApp() {
        Map<String, String> settings = GatewayClientApps.settings(SCHEMA,
                "CREATE TABLE snippets.commodity_prices (id int PRIMARY KEY, commodity text NOT NULL, price numeric(12,4) NOT NULL)",
                "CREATE TABLE snippets.events (id int PRIMARY KEY, kind text NOT NULL)",
                // rows for the snapshot, so both change topics exist before a client subscribes
                "INSERT INTO snippets.commodity_prices VALUES (1, 'seed', 0)",
                "INSERT INTO snippets.events VALUES (1, 'seed')");
        settings.put("cdc.gateway.aliases.realtime_prices", PRICES);
        settings.put("cdc.gateway.aliases.realtime_events", EVENTS);
        app = InProcessApp.start(settings);
        address = "127.0.0.1:" + GatewayClientApps.port(app);
        TopicReader.awaitCount(PRICES, 1);
        TopicReader.awaitCount(EVENTS, 1);
    }

    @AfterAll
    static void stopApp() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void nodeWsExampleReceivesChangesOfBothAliases() throws Exception {
        Path dir = CLIENTS.resolve("node");
        assertThat(dir.resolve("node_modules/ws")).as("the Node example's packages: run `npm ci` in " + dir
                + " (scripts/install-test-prerequisites.sh does)").isDirectory();
        try (Client node = Client.start("node", dir, "node", "stream.js", address, token(), PRICES)) {
            node.await("the subscription", frame -> "subscribed".equals(frame.path("type").asText()));

            GatewayClientApps.sql("INSERT INTO snippets.commodity_prices VALUES (100, 'copper', 8812.2500)",
                    "INSERT INTO snippets.events VALUES (100, 'tender-opened')");

            JsonNode price = node.awaitChange(PRICES, 100);
            assertThat(price.at("/value/after/commodity").asText()).isEqualTo("copper");
            assertThat(price.at("/value/after/price").decimalValue()).isEqualByComparingTo("8812.25");
            JsonNode event = node.awaitChange(EVENTS, 100);
            assertThat(event.at("/value/after/kind").asText()).isEqualTo("tender-opened");
            // the example's own branch: use(event.value) for the watched topic only
            JsonNode used = node.await("use(value) of the price", frame -> frame.has("use") && frame.at("/use/after/id").asInt() == 100);
            assertThat(used.at("/use/after/commodity").asText()).isEqualTo("copper");
            // one use(value) per change of the watched topic and none for the other (a client that subscribes just after
            // the app started may also get the few changes made shortly before, e.g. by the other example's test)
            long priceChanges = node.frames().stream().filter(frame -> PRICES.equals(frame.path("topic").asText())).count();
            assertThat(node.frames()).filteredOn(frame -> frame.has("use")).hasSize((int) priceChanges);
            node.assertNoErrorFrames();
        }
    }

    @Test
    void pythonWebsocketsExampleReceivesChanges() throws Exception {
        try (Client python = Client.start("python", CLIENTS.resolve("python"), "/usr/bin/python3", "stream.py", address, token(),
                "realtime_prices")) {
            python.await("the subscription", frame -> "subscribed".equals(frame.path("type").asText()));

            GatewayClientApps.sql("INSERT INTO snippets.commodity_prices VALUES (200, 'zinc', 2650.5000)",
                    "UPDATE snippets.commodity_prices SET price = 2651.0000 WHERE id = 200");

            JsonNode insert = python.awaitChange(PRICES, 200);
            assertThat(insert.at("/value/op").asText()).isEqualTo("c");
            assertThat(insert.at("/value/after/commodity").asText()).isEqualTo("zinc");
            JsonNode update = python.await("the update of id 200",
                    frame -> PRICES.equals(frame.path("topic").asText()) && "u".equals(frame.at("/value/op").asText()));
            assertThat(update.at("/value/after/price").decimalValue()).isEqualByComparingTo("2651");
            assertThat(update.path("position").asText()).isNotBlank().isNotEqualTo(insert.path("position").asText());
            python.assertNoErrorFrames();
        }
    }

    private static String token() {
        return GatewayClientApps.token(List.of(PRICES, EVENTS));
    }

    /** A client example as a child process; its stdout lines (JSON) collected as they come. */
    private static final class Client implements AutoCloseable {

        private final String name;
        private final Process process;
        private final List<JsonNode> frames = new CopyOnWriteArrayList<>();
        private final List<String> otherLines = new CopyOnWriteArrayList<>();
        private final Path stderr;

        private Client(String name, Process process, Path stderr) {
            this.name = name;
            this.process = process;
            this.stderr = stderr;
            Thread reader = new Thread(this::readStdout, "client-" + name + "-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        static Client start(String name, Path dir, String... command) throws IOException {
            Path logs = Path.of("target", "it-logs");
            Files.createDirectories(logs);
            Path stderr = logs.resolve("ClientSnippetsIT-" + name + ".stderr.log");
            Process process = new ProcessBuilder(command)
                    .directory(dir.toAbsolutePath().toFile())
                    .redirectError(ProcessBuilder.Redirect.to(stderr.toFile()))
                    .start();
            return new Client(name, process, stderr);
        }

        private void readStdout() {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    try {
                        frames.add(JSON.readTree(line));
                    } catch (IOException e) {
                        otherLines.add(line);
                    }
                }
            } catch (IOException e) {
                otherLines.add("stdout read failed: " + e.getMessage());
            }
        }

        List<JsonNode> frames() {
            return new ArrayList<>(frames);
        }

        JsonNode awaitChange(String topic, int id) {
            JsonNode change = await(topic + " id " + id, frame -> topic.equals(frame.path("topic").asText())
                    && frame.at("/key/id").asInt() == id && frame.at("/value/after/id").asInt() == id);
            assertThat(change.path("position").asText()).as("position of " + change).isNotBlank();
            assertThat(change.path("value").path("source").path("table").asText()).isNotBlank();
            return change;
        }

        /** Waits for the first frame that matches, failing early (with what the process said) if it exits or an error frame arrives. */
        JsonNode await(String what, Predicate<JsonNode> condition) {
            try {
                return Awaitility.await(name + " client: " + what).atMost(WAIT).pollInterval(Duration.ofMillis(50))
                        .until(() -> {
                            assertNoErrorFrames();
                            JsonNode match = frames.stream().filter(condition).findFirst().orElse(null);
                            if (match == null && !process.isAlive()) {
                                fail(name + " client exited (" + process.exitValue() + ") " + describe());
                            }
                            return match;
                        }, java.util.Objects::nonNull);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError(e.getMessage() + "; " + describe(), e);
            }
        }

        void assertNoErrorFrames() {
            assertThat(frames).as(name + " client's frames").noneMatch(frame -> "error".equals(frame.path("type").asText())
                    || frame.has("refused") || frame.has("closed"));
        }

        private String describe() {
            String err;
            try {
                err = Files.readString(stderr);
            } catch (IOException e) {
                err = "(unreadable)";
            }
            return "frames " + frames + ", other stdout " + otherLines + ", stderr: " + err;
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
