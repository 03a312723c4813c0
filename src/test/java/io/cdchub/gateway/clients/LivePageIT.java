package io.cdchub.gateway.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import io.cdchub.testinfra.HeadlessChromium;
import io.cdchub.testinfra.InProcessApp;
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
 * The live page in a real browser: Debian's headless Chromium, driven by Selenium through Debian's
 * chromedriver, against an app capturing from the real PostgreSQL into the real Kafka. A row inserted
 * in PostgreSQL must show up in the page's table. On a failure the page's screenshot and text go to
 * target/it-logs/ (HeadlessChromium.PerTest).
 */
class LivePageIT {

    private static final String SCHEMA = "livepage";
    private static final String TOPIC = GatewayClientApps.topic(SCHEMA, "orders");
    private static final String ALIAS = "live_orders";

    private static ConfigurableApplicationContext app;
    private static String base;

    @RegisterExtension
    static final HeadlessChromium.PerTest chromium = new HeadlessChromium.PerTest();

    private ChromeDriver browser;

    @BeforeAll
    static void startApp() throws IOException {
        Map<String, String> settings = GatewayClientApps.settings(SCHEMA,
                "CREATE TABLE livepage.orders (id int PRIMARY KEY, status text NOT NULL, customer text NOT NULL, amount numeric(10,2))",
                // a row for the snapshot, so the change topic exists before any page subscribes to it
                "INSERT INTO livepage.orders VALUES (1, 'seed', 'nobody', 0)");
        settings.put("cdc.gateway.aliases." + ALIAS, TOPIC);
        app = InProcessApp.start(settings);
        base = "http://127.0.0.1:" + GatewayClientApps.port(app);
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
        browser = chromium.get().driver();
    }

    @Test
    void insertedRowAppearsInTheTableAndTheFilterNarrowsIt() throws Exception {
        browser.get(base + "/live?token=" + GatewayClientApps.token(List.of(TOPIC)) + "&topics=" + ALIAS);
        awaitText(By.id("state"), "connected");
        // the page lists a subscription once the gateway confirmed it; only then is a change certain to reach it
        until(() -> !browser.findElements(By.cssSelector("#subscriptions li")).isEmpty());
        assertThat(browser.getCurrentUrl()).as("the token is taken out of the address bar").doesNotContain("token=");

        GatewayClientApps.sql("INSERT INTO livepage.orders VALUES (2, 'paid', 'alice', 12.50)");
        WebElement paid = awaitRow("{\"id\":2}");
        assertThat(cells(paid)).containsExactly(TOPIC, "c", "id=2");
        assertThat(paid.findElement(By.cssSelector("td.row")).getText())
                .contains("status:paid").contains("customer:alice").contains("amount:12.5");

        GatewayClientApps.sql("INSERT INTO livepage.orders VALUES (3, 'shipped', 'bob', 7.00)",
                "UPDATE livepage.orders SET status = 'shipped' WHERE id = 2");
        WebElement update = awaitRow("{\"id\":2}", "u");
        assertThat(update.findElement(By.cssSelector("td.row")).getText()).contains("status:shipped");
        WebElement bob = awaitRow("{\"id\":3}");

        browser.findElement(By.id("filter")).sendKeys("alice");
        until(() -> !bob.isDisplayed() && paid.isDisplayed() && update.isDisplayed());
        assertThat(browser.findElement(By.id("counts")).getText()).startsWith("2 of 3 changes shown");
        browser.findElement(By.id("filter")).sendKeys(" paid");
        until(() -> paid.isDisplayed() && !update.isDisplayed() && !bob.isDisplayed());
    }

    @Test
    void rowFilterAndOpsFromTheFormAreAppliedByTheServer() throws Exception {
        browser.get(base + "/live/");
        // with tokens the page does not connect by itself: it waits for a token and topics
        assertThat(browser.findElement(By.id("state")).getText()).isEqualTo("disconnected");
        assertThat(browser.findElement(By.id("caption")).isDisplayed()).isFalse();
        browser.findElement(By.id("token")).sendKeys(GatewayClientApps.token(List.of(TOPIC)));
        browser.findElement(By.id("topics")).sendKeys(TOPIC);
        browser.findElement(By.id("row-filter")).sendKeys("status=vip,gold");
        browser.findElement(By.cssSelector("#ops input[value='c']")).click();
        browser.findElement(By.id("connect")).click();
        awaitText(By.id("state"), "connected");
        until(() -> !browser.findElements(By.cssSelector("#subscriptions li")).isEmpty());

        GatewayClientApps.sql("INSERT INTO livepage.orders VALUES (10, 'vip', 'carol', 1)",
                "INSERT INTO livepage.orders VALUES (11, 'normal', 'dave', 1)",
                "UPDATE livepage.orders SET amount = 2 WHERE id = 10",
                "INSERT INTO livepage.orders VALUES (12, 'gold', 'erin', 1)");
        awaitRow("{\"id\":12}");
        // one partition, in commit order: whatever the filters let through arrived before id 12
        assertThat(browser.findElements(By.cssSelector("#changes tbody tr")))
                .extracting(row -> row.getAttribute("data-key") + " " + row.getAttribute("data-op"))
                .containsExactly("{\"id\":12} c", "{\"id\":10} c");
    }

    @Test
    void aBadTokenIsShownAsARefusedConnection() throws Exception {
        String forged = GatewayClientApps.sign(Map.of("sub", "x", "exp", 4102444800L, "topics", List.of(TOPIC)), "not-the-secret-not-the-secret-not-the-secret");
        browser.get(base + "/live/?token=" + forged + "&topics=" + TOPIC);
        awaitText(By.id("state"), "refused");
        assertThat(browser.findElement(By.id("errors")).getText()).contains("could not connect");
    }

    @Test
    void liveRedirectsToThePageKeepingItsParameters() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> redirect = http.send(HttpRequest.newBuilder(URI.create(base + "/live?topics=a")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(redirect.statusCode()).isEqualTo(302);
        assertThat(redirect.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/live/?topics=a"));
        // a token is moved into the fragment, which browsers never send: not in a URL a proxy or access log sees
        HttpResponse<String> withToken = http.send(HttpRequest.newBuilder(URI.create(base + "/live?token=abc.def.ghi&topics=a")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(withToken.statusCode()).isEqualTo(302);
        assertThat(withToken.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/live/?topics=a#token=abc.def.ghi"));
        // a gateway with tokens: the page is told to ask for one, and no topic is named to anyone without one
        HttpResponse<String> settings = http.send(HttpRequest.newBuilder(URI.create(base + "/live/settings")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(settings.statusCode()).isEqualTo(200);
        assertThat(settings.body()).isEqualTo("{\"gateway\":true,\"anonymous\":false}");
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base + "/live/")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        assertThat(page.body()).contains("<title>cdc-hub live</title>").contains("live.js");
        HttpResponse<String> script = http.send(HttpRequest.newBuilder(URI.create(base + "/live/live.js")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(script.body()).contains("/ws/stream");
    }

    private List<String> cells(WebElement row) {
        return List.of(row.findElement(By.cssSelector("td.topic")).getText(), row.findElement(By.cssSelector("td.op")).getText(),
                row.findElement(By.cssSelector("td.key")).getText());
    }

    private WebElement awaitRow(String key) {
        return awaitRow(key, "c");
    }

    /** The table row of the change with this key (JSON as the gateway sent it) and operation, once it is there. */
    private WebElement awaitRow(String key, String op) {
        By row = By.cssSelector("#changes tbody tr[data-key='" + key + "'][data-op='" + op + "']");
        until(() -> !browser.findElements(row).isEmpty());
        return browser.findElement(row);
    }

    private void awaitText(By element, String text) {
        chromium.get().awaitText(element, text);
    }

    private void until(java.util.function.BooleanSupplier condition) {
        chromium.get().until(condition);
    }
}
