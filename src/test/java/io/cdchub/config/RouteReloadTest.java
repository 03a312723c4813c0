package io.cdchub.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.cdchub.CdcHubApplication;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/** cdc.routes.reload=true: an edited route file in cdc.routes.dir replaces its routes; an invalid edit changes nothing. */
@ExtendWith(OutputCaptureExtension.class)
class RouteReloadTest {

    private static final Duration RELOAD = Duration.ofSeconds(20);

    @Test
    void editedFileIsReloadedAndInvalidEditsKeepTheRunningRoutes(@TempDir Path dir, CapturedOutput output) throws Exception {
        Path greeting = dir.resolve("greeting.camel.yaml");
        Files.writeString(greeting, greetingRoute("hello v1"));
        Files.writeString(dir.resolve("ticker.camel.yaml"), """
                - route:
                    id: reload-ticker
                    description: Another file's route, which must not be touched by reloads of greeting.camel.yaml
                    from:
                      uri: timer:reload-ticker
                      parameters:
                        period: 50
                      steps:
                        - log:
                            message: tick
                            loggingLevel: DEBUG
                """);

        try (ConfigurableApplicationContext app = start("--cdc.routes.dir=" + dir, "--cdc.data-dir=" + dir.resolve("data"))) {
            CamelContext camel = app.getBean(CamelContext.class);
            ProducerTemplate producer = camel.createProducerTemplate();
            Route ticker = camel.getRoute("reload-ticker");
            Route deadLetter = camel.getRoute("dead-letter");
            assertThat(ticker).isNotNull();
            assertThat(deadLetter).isNotNull();
            assertThat(producer.requestBody("direct:greeting", "", String.class)).isEqualTo("hello v1");

            // (1) a valid edit takes effect without a restart; the other routes keep running untouched
            Files.writeString(greeting, greetingRoute("hello v2"));
            await().atMost(RELOAD).untilAsserted(() ->
                    assertThat(producer.requestBody("direct:greeting", "", String.class)).isEqualTo("hello v2"));
            // the new route answers before the reload strategy logs that it is done: wait for the line too
            await().atMost(RELOAD).untilAsserted(() -> assertThat(output).contains("Reloaded route file " + greeting));
            assertUntouched(camel, ticker, deadLetter);

            // (2a) broken YAML: the previous version keeps running and the error names the file and the problem
            Files.writeString(greeting, """
                    - route:
                        id: reload-greeting
                        from:
                          uri: direct:greeting
                          steps:
                            - setBody:
                                constant: [hello v3
                    """);
            await().atMost(RELOAD).until(() -> output.getAll().contains("Route file " + greeting + " is invalid"));
            assertThat(lastEntryWith(output, "Route file " + greeting + " is invalid"))
                    .contains("ERROR").contains("[reload-greeting]").contains("line 7, column 23").contains("expected ',' or ']'");
            assertThat(producer.requestBody("direct:greeting", "", String.class)).isEqualTo("hello v2");
            assertUntouched(camel, ticker, deadLetter);

            // (2b) valid YAML, but a step Camel does not know
            int errors = count(output.getAll(), "is invalid and was not applied");
            Files.writeString(greeting, greetingRoute("hello v4").replace("- setBody:", "- setBodyy:"));
            await().atMost(RELOAD).until(() -> count(output.getAll(), "is invalid and was not applied") > errors);
            assertThat(lastEntryWith(output, "is invalid and was not applied")).contains(greeting.toString()).contains("setBodyy");
            assertThat(producer.requestBody("direct:greeting", "", String.class)).isEqualTo("hello v2");

            // (2c) an endpoint that cannot be created: Camel has already removed the old route, which is put back
            int errors2 = count(output.getAll(), "is invalid and was not applied");
            Files.writeString(greeting, greetingRoute("hello v5").replace("uri: direct:greeting", "uri: nosuchcomponent:greeting"));
            await().atMost(RELOAD).until(() -> count(output.getAll(), "is invalid and was not applied") > errors2);
            assertThat(lastEntryWith(output, "is invalid and was not applied")).contains(greeting.toString()).contains("nosuchcomponent");
            await().atMost(RELOAD).untilAsserted(() -> {
                assertThat(camel.getRouteController().getRouteStatus("reload-greeting")).isEqualTo(ServiceStatus.Started);
                assertThat(producer.requestBody("direct:greeting", "", String.class)).isEqualTo("hello v2");
            });
            assertUntouched(camel, ticker, deadLetter);

            // (3) fixed: reloading works again
            Files.writeString(greeting, greetingRoute("hello v6"));
            await().atMost(RELOAD).untilAsserted(() ->
                    assertThat(producer.requestBody("direct:greeting", "", String.class)).isEqualTo("hello v6"));
            assertUntouched(camel, ticker, deadLetter);
        }
    }

    @Test
    void reloadWithoutARoutesFolderFailsStartUpNamingTheProperty(@TempDir Path dir) {
        Throwable failure = catchThrowable(() -> start("--cdc.data-dir=" + dir.resolve("data")).close());

        assertThat(new InvalidConfigurationFailureAnalyzer().analyze(failure).getDescription())
                .contains("cdc.routes.reload").contains("cdc.routes.dir");
    }

    private static ConfigurableApplicationContext start(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--cdc.source.enabled=false";
        all[1] = "--cdc.routes.reload=true";
        System.arraycopy(args, 0, all, 2, args.length);
        return new SpringApplicationBuilder(CdcHubApplication.class).web(WebApplicationType.NONE).run(all);
    }

    private static String greetingRoute(String body) {
        return """
                - route:
                    id: reload-greeting
                    description: Answers with a constant that the test edits
                    from:
                      uri: direct:greeting
                      steps:
                        - setBody:
                            constant: "%s"
                """.formatted(body);
    }

    /** The same Route objects (never reloaded), still started. */
    private static void assertUntouched(CamelContext camel, Route... routes) {
        for (Route route : routes) {
            assertThat(camel.getRoute(route.getRouteId())).as(route.getRouteId()).isSameAs(route);
            assertThat(camel.getRouteController().getRouteStatus(route.getRouteId())).as(route.getRouteId()).isEqualTo(ServiceStatus.Started);
        }
    }

    /** The last log entry (its first line and the continuation lines up to the next entry) containing text. */
    private static String lastEntryWith(CapturedOutput output, String text) {
        String all = output.getAll();
        int start = all.lastIndexOf("\n", all.lastIndexOf(text)) + 1;
        Matcher next = Pattern.compile("(?m)^\\d{4}-\\d{2}-\\d{2}T").matcher(all);
        int end = next.find(all.indexOf('\n', start) + 1) ? next.start() : all.length();
        return all.substring(start, end);
    }

    private static int count(String text, String part) {
        return (int) text.lines().filter(l -> l.contains(part)).count();
    }

}
