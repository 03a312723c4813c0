package io.cdchub.sink.lakehouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import io.cdchub.config.InvalidConfigurationException;
import io.cdchub.config.InvalidConfigurationFailureAnalyzer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.mock.env.MockEnvironment;

/**
 * The production jar's view of the class path, without a second build: a class loader that hides the lakehouse
 * libraries (the packages the lakehouse jar adds) in front of the tests' full class path.
 */
class LakehouseLibrariesTest {

    private static final List<String> LAKEHOUSE_PACKAGES = List.of("org.apache.iceberg.", "org.apache.parquet.", "org.apache.avro.",
            "org.apache.hadoop.", "io.delta.", "software.amazon.awssdk.");

    private static final ClassLoader PRODUCTION_JAR = new ClassLoader(LakehouseLibrariesTest.class.getClassLoader()) {
        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (LAKEHOUSE_PACKAGES.stream().anyMatch(name::startsWith)) {
                throw new ClassNotFoundException(name + " (hidden: not in the production jar)");
            }
            return super.loadClass(name, resolve);
        }
    };

    @Test
    void aLakehouseSinkOnWithoutItsLibrariesStopsStartUpNamingItsPropertyAndTheLakehouseJar() {
        for (String property : List.of("cdc.sink.iceberg.enabled", "cdc.sink.parquet.enabled", "cdc.sink.delta.enabled")) {
            MockEnvironment env = new MockEnvironment().withProperty(property, "true");
            assertThatThrownBy(() -> LakehouseLibraries.check(env, PRODUCTION_JAR))
                    .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> {
                        assertThat(e.property()).isEqualTo(property);
                        FailureAnalysis report = new InvalidConfigurationFailureAnalyzer().analyze(e);
                        assertThat(report.getDescription()).startsWith("cdc-hub configuration is invalid: " + property + " (env ")
                                .contains("is true, but this jar has no lakehouse libraries")
                                .contains("cdc-hub-<version>-lakehouse.jar").contains("--build-arg ARTIFACT=lakehouse")
                                .contains(property + "=false");
                    });
        }
    }

    @Test
    void withEveryLakehouseSinkOffTheProductionJarStarts() {
        MockEnvironment env = new MockEnvironment().withProperty("cdc.sink.iceberg.enabled", "false");
        assertThatCode(() -> LakehouseLibraries.check(env, PRODUCTION_JAR)).doesNotThrowAnyException();
    }

    @Test
    void withTheLibrariesEveryLakehouseSinkMayBeOn() {
        // also proves that every class the check asks for exists (the lakehouse jar's class path is the tests')
        MockEnvironment env = new MockEnvironment().withProperty("cdc.sink.iceberg.enabled", "true")
                .withProperty("cdc.sink.parquet.enabled", "true").withProperty("cdc.sink.delta.enabled", "true");
        assertThatCode(() -> LakehouseLibraries.check(env, LakehouseLibrariesTest.class.getClassLoader())).doesNotThrowAnyException();
    }
}
