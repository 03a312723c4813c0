package io.cdchub.sink.lakehouse;

import java.util.List;

import io.cdchub.config.InvalidConfigurationException;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * The one start-up check for the lakehouse sinks' libraries. The production jar ({@code cdc-hub-<version>.jar}, the
 * default container image) leaves Iceberg, Parquet, Delta Kernel, Hadoop and the AWS SDK out (optional dependencies in
 * the pom); {@code cdc-hub-<version>-lakehouse.jar} has them, as have {@code ./mvnw spring-boot:run} and the tests. A
 * lakehouse sink turned on in a jar without them stops start-up here, before any bean is made, with a message naming
 * its property, instead of a {@code NoClassDefFoundError} deep in a bean. With every lakehouse sink off nothing else
 * loads those classes: their beans, health indicators and routes are conditional on the same properties.
 */
public class LakehouseLibraries implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    /**
     * A lakehouse sink, its switch, and classes its libraries must provide (one per library it loads first).
     */
    record LakehouseSink(String enabledProperty, String description, List<String> requiredClasses) {
    }

    static final List<LakehouseSink> SINKS = List.of(
            new LakehouseSink("cdc.sink.iceberg.enabled", "the Iceberg sink",
                    List.of("org.apache.iceberg.Table", "org.apache.iceberg.parquet.Parquet", "org.apache.hadoop.conf.Configuration")),
            new LakehouseSink("cdc.sink.parquet.enabled", "the Parquet sink",
                    List.of("org.apache.iceberg.parquet.Parquet", "org.apache.parquet.hadoop.ParquetWriter",
                            "org.apache.hadoop.conf.Configuration")),
            new LakehouseSink("cdc.sink.delta.enabled", "the Delta Lake sink",
                    List.of("io.delta.kernel.Table", "io.delta.kernel.defaults.engine.DefaultEngine", "org.apache.iceberg.io.FileIO")));

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        check(context.getEnvironment(), LakehouseLibraries.class.getClassLoader());
    }

    /** Throws for the first lakehouse sink that is on while a class its libraries provide is missing from {@code classLoader}. */
    static void check(Environment environment, ClassLoader classLoader) {
        for (LakehouseSink sink : SINKS) {
            if (!environment.getProperty(sink.enabledProperty(), Boolean.class, false)) {
                continue;
            }
            for (String required : sink.requiredClasses()) {
                if (!ClassUtils.isPresent(required, classLoader)) {
                    throw new InvalidConfigurationException(sink.enabledProperty(), "is true, but this jar has no lakehouse libraries"
                            + " (" + required + " is missing): the production artifact cdc-hub-<version>.jar and its default container"
                            + " image leave Iceberg, Parquet, Delta Lake, Hadoop and the AWS SDK out. Run " + sink.description()
                            + " with cdc-hub-<version>-lakehouse.jar or the lakehouse image (docker build --build-arg"
                            + " ARTIFACT=lakehouse), or set " + sink.enabledProperty() + "=false (README \"Production artifacts\")");
                }
            }
        }
    }
}
