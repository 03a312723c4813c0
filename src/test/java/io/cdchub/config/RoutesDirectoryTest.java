package io.cdchub.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;

import io.cdchub.CdcHubApplication;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** cdc.routes.dir adds the route YAML in a folder on disk to the built-in routes. */
class RoutesDirectoryTest {

    @Test
    void routesFromTheFolderAreLoadedBesideTheBuiltInOnes(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("extra.camel.yaml"), """
                - route:
                    id: user-extra-route
                    description: A route a user adds by dropping a file in cdc.routes.dir
                    from:
                      uri: timer:extra
                      parameters:
                        repeatCount: 1
                      steps:
                        - log: extra route ran
                """);

        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(CdcHubApplication.class).web(WebApplicationType.NONE)
                .run("--cdc.source.enabled=false", "--cdc.routes.dir=" + dir, "--cdc.data-dir=" + dir.resolve("data"))) {
            CamelContext camel = app.getBean(CamelContext.class);
            assertThat(camel.getRoute("user-extra-route")).isNotNull();
            assertThat(camel.getRoute("dead-letter")).isNotNull();
            assertThat(camel.getRoute("postgres-to-kafka")).as("source disabled").isNull();
            // the sinks are off by default: their routes, made from the kafka-to-sink template, do not exist
            assertThat(camel.getRoute("kafka-to-clickhouse")).as("ClickHouse sink disabled").isNull();
            assertThat(camel.getRoute("kafka-to-elasticsearch")).as("Elasticsearch sink disabled").isNull();
            assertThat(((org.apache.camel.model.ModelCamelContext) camel).getRouteTemplateDefinition("kafka-to-sink")).as("the template is there for user routes").isNotNull();
        }
    }

    @Test
    void missingFolderIsReportedByName(@TempDir Path dir) {
        Throwable failure = catchThrowable(() -> new SpringApplicationBuilder(CdcHubApplication.class).web(WebApplicationType.NONE)
                .run("--cdc.source.enabled=false", "--cdc.routes.dir=" + dir.resolve("nowhere")).close());

        assertThat(new InvalidConfigurationFailureAnalyzer().analyze(failure).getDescription())
                .contains("cdc.routes.dir").contains("nowhere");
    }
}
