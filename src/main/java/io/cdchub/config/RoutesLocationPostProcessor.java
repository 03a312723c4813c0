package io.cdchub.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Loads route YAML from the jar and, when {@code cdc.routes.dir} is set, also from that folder on disk
 * (how Helm's ConfigMap and users' own routes get in). Done here because Camel reads its include
 * pattern before any bean exists.
 */
public class RoutesLocationPostProcessor implements EnvironmentPostProcessor {

    static final String BUILT_IN_ROUTES = "classpath:routes/*.camel.yaml";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (environment.containsProperty("camel.main.routes-include-pattern")) {
            return; // the user chose explicitly
        }
        String dir = environment.getProperty("cdc.routes.dir", "").trim();
        String pattern = BUILT_IN_ROUTES;
        if (!dir.isEmpty()) {
            Path folder = Path.of(dir).toAbsolutePath().normalize();
            if (!Files.isDirectory(folder)) {
                throw new InvalidConfigurationException("cdc.routes.dir", "must name an existing folder, but " + folder + " is not one");
            }
            pattern = pattern + ",file:" + folder + "/*.camel.yaml";
        }
        environment.getPropertySources().addLast(new MapPropertySource("cdc-hub-routes",
                Map.of("camel.main.routes-include-pattern", pattern)));
    }
}
