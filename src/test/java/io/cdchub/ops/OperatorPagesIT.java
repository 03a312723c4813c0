package io.cdchub.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.testinfra.ClickHouseServer;
import io.cdchub.testinfra.HeadlessChromium;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * What an operator sees first, in Debian's headless Chromium, on an app like the quick start (anonymous gateway)
 * capturing from the real PostgreSQL into the real Kafka and writing to the real ClickHouse: {@code /live} connects by
 * itself and shows the changes of the configured topics; {@code /pipeline/} signs in with the admin token and shows
 * the source streaming with its changes/s, the change topic, the ClickHouse sink's state and rows, the gateway, and
 * marks the sink red, with the reason from health, while ClickHouse is down. On a failure the page's screenshot and
 * text go to target/it-logs/ (HeadlessChromium.PerTest).
 */
class OperatorPagesIT {

    private static final String SCHEMA = "opspages";
    private static final String TOPIC = SCHEMA + "." + SCHEMA + ".orders";
    private static final String ALIAS = "ops_orders";
    private static final String CAPTION = "Showing live changes of the test's orders";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ConfigurableApplicationContext app;
    private static String base;

    @RegisterExtension
    static final HeadlessChromium.PerTest browsers = new HeadlessChromium.PerTest();

    private HeadlessChromium chromium;
    private ChromeDriver browser;

    @BeforeAll
    static void startApp() throws IOException {
        Map<String, String> settings = RealServers.sourceSettings(SCHEMA,
                "CREATE TABLE opspages.orders (id int PRIMARY KEY, status text NOT NULL, amount numeric(10,2))",
                // a row for the snapshot, so the change topic exists before the pages look at it
                "INSERT INTO opspages.orders VALUES (1, 'seed', 0)");
        settings.put("cdc.gateway.enabled", "true");
        settings.put("cdc.gateway.allow-anonymous", "true");
        settings.put("cdc.gateway.aliases." + ALIAS, TOPIC);
        settings.put("cdc.gateway.live.caption", CAPTION);
        settings.putAll(ClickHouseServer.shared().sinkSettings("opspages-clickhouse"));
        settings.put("cdc.sink.clickhouse.tables.opspages.orders", "opspages_orders");
        settings.put("cdc.sink.clickhouse.linger-ms", "100");
        settings.put("cdc.sink.retry.initial-delay-ms", "100");
        settings.put("cdc.sink.retry.max-delay-ms", "1000");
        settings.put("cdc.sink.lag-interval-ms", "1000");
        settings.put("cdc.health.timeout", "2s");
        app = InProcessApp.start(settings);
        base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
        TopicReader.awaitCount(TOPIC, 1);
    }

    @AfterAll
    static void stopApp() {
        if (app != null) {
            app.close();
        }
    }

    @BeforeEach
    void browser() {
        chromium = browsers.get();
        browser = chromium.driver();
    }

    @Test
    void livePageConnectsByItselfAndSaysWhatItShows() throws Exception {
        JsonNode settings = JSON.readTree(get("/live/settings", null).body());
        assertThat(settings.path("anonymous").asBoolean()).isTrue();
        assertThat(settings.path("topics")).extracting(JsonNode::asText).containsExactly(ALIAS);
        assertThat(settings.path("caption").asText()).isEqualTo(CAPTION);
        browser.get(base + "/live");
        chromium.awaitText(By.id("state"), "connected");
        assertThat(browser.findElement(By.id("caption")).getText()).isEqualTo(CAPTION);
        assertThat(browser.findElement(By.id("topics")).getAttribute("value")).isEqualTo(ALIAS);
        chromium.until(() -> !browser.findElements(By.cssSelector("#subscriptions li[data-name='" + ALIAS + "']")).isEmpty());

        sql("INSERT INTO opspages.orders VALUES (100, 'live', 1.50)");
        By row = By.cssSelector("#changes tbody tr[data-key='{\"id\":100}'][data-op='c']");
        chromium.until(() -> !browser.findElements(row).isEmpty());
        assertThat(browser.findElement(row).findElement(By.cssSelector("td.topic")).getText()).isEqualTo(TOPIC);
    }

    @Test
    void pipelinePageShowsEveryPartAndMarksTheFailingOne() throws Exception {
        ClickHouseServer clickhouse = ClickHouseServer.shared();
        assertThat(get("/actuator/pipeline", null).statusCode()).as("admin only").isEqualTo(401);
        browser.get(base + "/pipeline");
        chromium.awaitText(By.id("state"), "signed out");
        browser.findElement(By.id("token")).sendKeys(RealServers.ADMIN_TOKEN);
        browser.findElement(By.id("login")).click();
        chromium.until(() -> "streaming".equals(figure("source", SCHEMA, "state")));
        assertThat(figure("source", SCHEMA, "slot")).isEqualTo("it_" + SCHEMA);

        sql("INSERT INTO opspages.orders SELECT g, 'bulk', g FROM generate_series(200, 219) g");
        // a rate needs two readings: then changes/s is a number, and the rows reached ClickHouse
        chromium.until(() -> isNumber(figure("source", SCHEMA, "changes/s")));
        chromium.until(() -> number(figure("source", SCHEMA, "changes")) >= 20);
        chromium.until(() -> number(figure("topic", TOPIC, "messages")) >= 21);
        assertThat(status("sink", "clickhouse")).isEqualTo("UP");
        chromium.until(() -> number(figure("sink", "clickhouse", "rows")) >= 21);
        assertThat(figure("sink", "clickhouse", "rows/s")).matches("[0-9.…]+");
        assertThat(figure("sink", "clickhouse", "dead letters")).isEqualTo("0");
        assertThat(figure("sink", "clickhouse", "lag")).matches("[0-9,]+");
        assertThat(figure("gateway", "gateway", "connections")).matches("[0-9,]+");
        assertThat(status("kafka", "kafka")).isEqualTo("UP");
        assertThat(browser.findElements(By.cssSelector(".part[data-status='DOWN']"))).isEmpty();
        chromium.screenshot(Path.of("target", "it-logs", "OperatorPagesIT-pipeline.png"));

        clickhouse.stop();
        try {
            chromium.until(() -> "DOWN".equals(status("sink", "clickhouse")));
            assertThat(chromium.read(() -> awaitPart("sink", "clickhouse").findElement(By.cssSelector(".reason")).getText())).isNotBlank();
            assertThat(chromium.read(() -> awaitPart("sink", "clickhouse").getCssValue("border-top-color"))).as("marked red")
                    .isEqualTo("rgba(207, 34, 46, 1)");
            chromium.awaitText(By.id("state"), "pipeline DOWN");
            assertThat(status("source", SCHEMA)).isEqualTo("UP");
            chromium.screenshot(Path.of("target", "it-logs", "OperatorPagesIT-pipeline-down.png"));
        } finally {
            clickhouse.start();
        }
        chromium.until(() -> "UP".equals(status("sink", "clickhouse")));
    }

    /** The page's card of a part, once it is there (cards are redrawn at every refresh: look each up afresh). */
    private WebElement awaitPart(String kind, String name) {
        By part = By.cssSelector(".part[data-kind='" + kind + "'][data-name='" + name + "']");
        chromium.until(() -> !browser.findElements(part).isEmpty());
        return browser.findElement(part);
    }

    /** A figure of a part as the page shows it now ("" when the part does not show it). */
    private String figure(String kind, String name, String label) {
        return chromium.read(() -> {
            List<WebElement> values = awaitPart(kind, name).findElements(By.cssSelector("dd[data-figure='" + label + "']"));
            return values.isEmpty() ? "" : values.get(0).getText();
        });
    }

    private String status(String kind, String name) {
        return chromium.read(() -> awaitPart(kind, name).getAttribute("data-status"));
    }

    private static boolean isNumber(String text) {
        return text.matches("[0-9][0-9,]*(\\.[0-9]+)?");
    }

    private static double number(String text) {
        return isNumber(text) ? Double.parseDouble(text.replace(",", "")) : -1;
    }

    private static void sql(String... statements) {
        PostgresServer.shared().execute(RealServers.DATABASE, statements);
    }

    private static HttpResponse<String> get(String path, String token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
