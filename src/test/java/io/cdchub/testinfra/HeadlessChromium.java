package io.cdchub.testinfra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium driven by Selenium through Debian's chromedriver (both from the install script), for the
 * tests of the pages the app serves ({@code /live}, {@code /pipeline}). Everything is local: Selenium Manager never
 * looks for (or downloads) a driver. One browser per instance, with its own profile under {@code profiles}.
 */
public final class HeadlessChromium implements AutoCloseable {

    public static final Duration WAIT = Duration.ofSeconds(60);

    /** The pages need no DevTools protocol: no warning that Selenium has no CDP bindings for this Chromium (held: JUL keeps loggers weakly). */
    private static final List<java.util.logging.Logger> QUIET = List.of(java.util.logging.Logger.getLogger("org.openqa.selenium.devtools"),
            java.util.logging.Logger.getLogger("org.openqa.selenium.chromium"));

    private final ChromeDriver driver;

    private HeadlessChromium(ChromeDriver driver) {
        this.driver = driver;
    }

    /** A fresh browser (1280x900) with a new profile directory under {@code profiles}. */
    public static HeadlessChromium open(Path profiles) throws IOException {
        System.setProperty("webdriver.chrome.driver", "/usr/bin/chromedriver");
        QUIET.forEach(logger -> logger.setLevel(java.util.logging.Level.SEVERE));
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1280,900", "--user-data-dir=" + Files.createTempDirectory(profiles, "profile-"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile())
                .usingAnyFreePort()
                .build();
        return new HeadlessChromium(new ChromeDriver(service, options));
    }

    public ChromeDriver driver() {
        return driver;
    }

    /**
     * Waits (up to {@link #WAIT}, polling every 100 ms) until the condition holds; an element replaced by the page
     * while it was read (a page that redraws itself) is read again.
     */
    public void until(BooleanSupplier condition) {
        await().until(d -> condition.getAsBoolean());
    }

    /** A value read from the page, read again if an element was replaced meanwhile; null waits too. */
    public <T> T read(Supplier<T> value) {
        return await().until(d -> value.get());
    }

    private WebDriverWait await() {
        WebDriverWait wait = new WebDriverWait(driver, WAIT, Duration.ofMillis(100));
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    public void awaitText(By element, String text) {
        until(() -> text.equals(driver.findElement(element).getText()));
    }

    /** Saves what the browser shows as a PNG. */
    public void screenshot(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
    }

    /** Screenshot and visible text of the page into target/it-logs/, for a failed test. */
    public void keepEvidence(String name) {
        try {
            Path dir = Path.of("target", "it-logs");
            screenshot(dir.resolve(name + ".png"));
            Files.writeString(dir.resolve(name + ".txt"), driver.findElement(By.tagName("body")).getText());
        } catch (IOException | RuntimeException e) {
            System.err.println(name + ": could not keep the page's screenshot: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        driver.quit();
    }

    /**
     * A fresh browser for every test of a class ({@code @RegisterExtension static final HeadlessChromium.PerTest
     * chromium = new HeadlessChromium.PerTest();}), with the profiles in a temp dir of the class; a test that fails
     * leaves the page's screenshot and text in target/it-logs/&lt;class&gt;-&lt;test&gt;.*.
     */
    public static final class PerTest implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback,
            TestExecutionExceptionHandler {
        private Path profiles;
        private HeadlessChromium current;

        /** The browser of the running test. */
        public HeadlessChromium get() {
            return current;
        }

        @Override
        public void beforeAll(ExtensionContext context) throws IOException {
            profiles = TempDirs.create("cdc-hub-chromium-");
        }

        @Override
        public void beforeEach(ExtensionContext context) throws IOException {
            current = open(profiles);
        }

        @Override
        public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
            if (current != null) {
                current.keepEvidence(context.getRequiredTestClass().getSimpleName() + "-" + context.getRequiredTestMethod().getName());
            }
            throw failure;
        }

        @Override
        public void afterEach(ExtensionContext context) {
            if (current != null) {
                current.close();
                current = null;
            }
        }

        @Override
        public void afterAll(ExtensionContext context) {
            if (profiles != null) {
                TempDirs.delete(profiles);
            }
        }
    }
}
