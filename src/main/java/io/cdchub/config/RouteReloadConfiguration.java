package io.cdchub.config;

import java.nio.file.Path;

import org.apache.camel.CamelContext;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.apache.camel.support.RouteWatcherReloadStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code cdc.routes.reload=true}: {@link RoutesLocationPostProcessor} turns on Camel's route watcher for
 * {@code cdc.routes.dir}; this makes it reload file by file and keep the running routes when an edit is invalid
 * ({@link RouteFileReloader}). Built-in routes (in the jar) are not reloadable.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "cdc.routes.reload", havingValue = "true")
public class RouteReloadConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(RouteReloadConfiguration.class);

    @Bean
    CamelContextConfiguration routeFileReloading(@Value("${cdc.routes.dir}") String dir) {
        Path folder = Path.of(dir.trim()).toAbsolutePath().normalize();
        return new CamelContextConfiguration() {
            @Override
            public void beforeApplicationStart(CamelContext camel) {
                install(camel, folder, false);
            }

            @Override
            public void afterApplicationStart(CamelContext camel) {
                install(camel, folder, true);
            }
        };
    }

    private static void install(CamelContext camel, Path folder, boolean last) {
        RouteWatcherReloadStrategy watcher = camel.hasService(RouteWatcherReloadStrategy.class);
        if (watcher == null) {
            if (last) {
                LOG.warn("cdc.routes.reload is true but Camel's route watcher is not running (camel.main.routes-reload-enabled=false?): "
                        + "route files are not reloaded");
            }
            return;
        }
        if (!(watcher.getResourceReload() instanceof RouteFileReloader)) {
            watcher.setResourceReload(new RouteFileReloader(camel, folder));
            LOG.info("Route reload: watching {} for changed *.camel.yaml files (built-in routes are not reloadable)", folder);
        }
    }
}
