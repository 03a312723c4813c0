package io.cdchub.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Loads route YAML from the jar and, when {@code cdc.routes.dir} is set, also from that folder on disk
 * (how Helm's ConfigMap and users' own routes get in). With {@code cdc.routes.reload=true} Camel also watches
 * that folder and reloads a route file when it changes ({@link RouteReloadConfiguration} keeps the running
 * routes when an edit is invalid). Done here because Camel reads these settings before any bean exists.
 * Explicit {@code camel.main.*} settings win: these are added as the lowest-precedence source.
 */
public class RoutesLocationPostProcessor implements EnvironmentPostProcessor {

    static final String BUILT_IN_ROUTES = "classpath:routes/*.camel.yaml";
    static final String ROUTE_FILES = "*.camel.yaml";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        String dir = environment.getProperty("cdc.routes.dir", "").trim();
        boolean reload = reloadEnabled(environment);
        boolean explicitPattern = environment.containsProperty("camel.main.routes-include-pattern"); // the user chose explicitly
        Map<String, Object> settings = new LinkedHashMap<>();
        Path folder = null;
        if (!dir.isEmpty() && (!explicitPattern || reload)) {
            folder = Path.of(dir).toAbsolutePath().normalize();
            if (!Files.isDirectory(folder)) {
                throw new InvalidConfigurationException("cdc.routes.dir", "must name an existing folder, but " + folder + " is not one");
            }
        }
        if (!explicitPattern) {
            settings.put("camel.main.routes-include-pattern", folder == null ? BUILT_IN_ROUTES : BUILT_IN_ROUTES + ",file:" + folder + "/" + ROUTE_FILES);
        }
        if (reload) {
            if (folder == null) {
                throw new InvalidConfigurationException("cdc.routes.reload",
                        "is true, but reloading needs cdc.routes.dir (the folder of route files to watch); built-in routes cannot be reloaded");
            }
            settings.put("camel.main.routes-reload-enabled", "true");
            settings.put("camel.main.routes-reload-directory", folder.toString());
            settings.put("camel.main.routes-reload-directory-recursive", "false");
            settings.put("camel.main.routes-reload-pattern", ROUTE_FILES);
            // replace only the routes of the edited file; the others keep running
            settings.put("camel.main.routes-reload-remove-all-routes", "false");
        }
        if (!settings.isEmpty()) {
            environment.getPropertySources().addLast(new MapPropertySource("cdc-hub-routes", settings));
        }
    }

    private static boolean reloadEnabled(ConfigurableEnvironment environment) {
        String value = environment.getProperty("cdc.routes.reload", "false").trim();
        if (value.equalsIgnoreCase("true")) {
            return true;
        }
        if (value.isEmpty() || value.equalsIgnoreCase("false")) {
            return false;
        }
        throw new InvalidConfigurationException("cdc.routes.reload", "must be true or false, but is '" + value + "'");
    }
}
