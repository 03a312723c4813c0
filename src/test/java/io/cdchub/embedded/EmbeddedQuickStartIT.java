package io.cdchub.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.cdchub.testinfra.AppProcess;
import io.cdchub.testinfra.HeadlessChromium;
import io.cdchub.testinfra.TempDirs;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * README command 1: the embedded profile starts PostgreSQL and Kafka itself, captures the demo
 * tables, streams the demo changes; SIGTERM (Ctrl-C) leaves no process, port or lock behind; a
 * second start resumes without a new snapshot, and re-snapshots a table on request while the demo goes on.
 */
class EmbeddedQuickStartIT {

    private static final String ADMIN_TOKEN = "embedded-it-admin-token-0123456789";

    @Test
    void quickStartRunsStopsCleanlyAndResumes() throws Exception {
        Path dataDir = TempDirs.create("cdc-hub-embedded-");
        int postgresPort = freePort();
        int kafkaPort = freePort();
        int controllerPort = freePort();
        int serverPort = freePort();
        Map<String, String> settings = Map.of(
                "cdc.admin.token", ADMIN_TOKEN,
                "cdc.data-dir", dataDir.toString(),
                "cdc.embedded.postgres.port", String.valueOf(postgresPort),
                "cdc.embedded.kafka.port", String.valueOf(kafkaPort),
                "cdc.embedded.kafka.controller-port", String.valueOf(controllerPort),
                "cdc.embedded.demo-interval", "50ms",
                "server.port", String.valueOf(serverPort));
        String kafka = "127.0.0.1:" + kafkaPort;
        long snapshotReads;

        try (AppProcess first = AppProcess.start("embedded-1", settings, "embedded")) {
            // the 10 seeded customers, and any the demo added before the snapshot read the table
            List<Event> customers = TopicReader.await(kafka, "cdc.public.customers", e -> e.size() >= 10);
            assertThat(customers.stream().filter(e -> "r".equals(e.op())).count()).isGreaterThanOrEqualTo(10);
            assertThat(TopicReader.await(kafka, "cdc.commodity_prices", e -> e.size() >= 7)).isNotEmpty();
            TopicReader.await(kafka, "cdc.public.orders", e -> e.stream().anyMatch(o -> "c".equals(o.op())));
            // the shipped CSV files become tables whose rows reach Kafka
            assertThat(TopicReader.await(kafka, "cdc.public.klienci", e -> e.size() >= 8)).extracting(e -> e.after().path("miasto").asText())
                    .contains("Kraków", "Łódź");
            assertThat(TopicReader.await(kafka, "cdc.public.pracownicy", e -> e.size() >= 5)).extracting(e -> e.after().path("stanowisko").asText())
                    .contains("Specjalista ds. obsługi klienta, zmiana nocna");
            assertThat(dataDir.resolve("import/.done/klienci.csv")).exists();
            snapshotReads = TopicReader.readAll(kafka, "cdc.public.customers").stream().filter(e -> "r".equals(e.op())).count();
            assertThat(first.log()).contains("cdc-hub embedded quick start is running", "psql postgresql://postgres@127.0.0.1:" + postgresPort);
            assertThat(first.log()).contains("http://127.0.0.1:" + serverPort + "/live", "http://127.0.0.1:" + serverPort + "/pipeline");
            whatANewUserSees("http://127.0.0.1:" + serverPort);

            assertThat(first.terminate(90)).as("exit after SIGTERM").isNotEqualTo(-1);
        }
        assertNothingLeftBehind(dataDir, postgresPort, kafkaPort, controllerPort);

        try (AppProcess second = AppProcess.start("embedded-2", settings, "embedded")) {
            // once the broker is back, the orders of the first run are still there; then new ones arrive
            int ordersBefore = TopicReader.await(kafka, "cdc.public.orders", e -> !e.isEmpty()).size();
            TopicReader.await(kafka, "cdc.public.orders", e -> e.size() > ordersBefore + 5);
            assertThat(TopicReader.readAll(kafka, "cdc.public.customers").stream().filter(e -> "r".equals(e.op())))
                    .as("no second snapshot").hasSize((int) snapshotReads);

            // a re-snapshot of the customers while the demo goes on (issue 15): every customer is read again
            HttpResponse<String> requested = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + serverPort + "/debezium/connector/cdc-hub/snapshot"))
                    .header("Authorization", "Bearer " + ADMIN_TOKEN).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"tables\": [\"public.customers\"]}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(requested.statusCode()).as(requested.body()).isEqualTo(202);
            TopicReader.await(kafka, "cdc.public.customers", e -> e.stream().filter(c -> "r".equals(c.op())).count() >= snapshotReads + 10);

            // the CSV files are shipped once per data dir: not loaded again
            drop(dataDir.resolve("import"), "produkty.csv", "id,nazwa,cena\n1,Chleb,4.50\n2,Masło,7.99\n");
            TopicReader.await(kafka, "cdc.public.produkty", e -> e.size() >= 2);
            assertThat(TopicReader.readAll(kafka, "cdc.public.klienci")).hasSize(8);
            assertThat(dataDir.resolve("import/.failed")).doesNotExist();
            assertThat(second.terminate(90)).isNotEqualTo(-1);
        }
        assertNothingLeftBehind(dataDir, postgresPort, kafkaPort, controllerPort);
    }

    /**
     * README's first screen: /live connects by itself and shows the demo changes, saying so; /pipeline shows the
     * source streaming once signed in with the admin token. Their screenshots (target/it-logs/quick-start-*.png) are
     * the README's docs/images/live.png and pipeline.png.
     */
    private static void whatANewUserSees(String base) throws IOException {
        Path profiles = TempDirs.create("cdc-hub-chromium-");
        try (HeadlessChromium chromium = HeadlessChromium.open(profiles)) {
            ChromeDriver browser = chromium.driver();
            browser.get(base + "/live");
            chromium.awaitText(By.id("state"), "connected");
            assertThat(browser.findElement(By.id("caption")).getText())
                    .isEqualTo("Showing live changes of customers, orders and commodity prices from the embedded quick start");
            assertThat(browser.findElement(By.id("topics")).getAttribute("value")).isEqualTo("realtime_customers, realtime_events, realtime_prices");
            chromium.until(() -> browser.findElements(By.cssSelector("#changes tbody tr")).size() >= 8);
            chromium.screenshot(Path.of("target", "it-logs", "quick-start-live.png"));

            browser.get(base + "/pipeline");
            browser.findElement(By.id("token")).sendKeys(ADMIN_TOKEN);
            browser.findElement(By.id("login")).click();
            By source = By.cssSelector(".part[data-kind='source'][data-name='cdc'] dd[data-figure='changes/s']");
            chromium.until(() -> !browser.findElements(source).isEmpty() && browser.findElement(source).getText().matches("[0-9.]+"));
            chromium.until(() -> browser.findElements(By.cssSelector(".part[data-kind='topic']")).size() >= 3);
            chromium.screenshot(Path.of("target", "it-logs", "quick-start-pipeline.png"));
        } catch (AssertionError | RuntimeException e) {
            System.err.println("EmbeddedQuickStartIT: the pages did not show what README says; see target/it-logs/quick-start-*.png");
            throw e;
        } finally {
            TempDirs.delete(profiles);
        }
    }

    private static void assertNothingLeftBehind(Path dataDir, int... ports) throws IOException {
        assertThat(dataDir.resolve("postgres").resolve("postmaster.pid")).doesNotExist();
        for (int port : ports) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress("127.0.0.1", port));
            }
        }
        try (var processes = ProcessHandle.allProcesses()) {
            assertThat(processes.map(p -> p.info().commandLine().orElse("")).filter(c -> c.contains(dataDir.toString())))
                    .as("processes still using " + dataDir).isEmpty();
        }
        assertThat(Files.exists(dataDir.resolve("kafka").resolve("meta.properties"))).isTrue();
    }

    private static void drop(Path dir, String name, String content) throws IOException {
        Path written = Files.writeString(dir.resolveSibling(name), content);
        Files.move(written, dir.resolve(name), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
