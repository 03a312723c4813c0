package io.cdchub.testinfra;

import java.util.Map;

import io.cdchub.CdcHubApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** Starts cdc-hub in the test JVM with the given settings, as command-line arguments so they win over application.yaml. */
public final class InProcessApp {

    private InProcessApp() {
    }

    public static ConfigurableApplicationContext start(Map<String, String> settings, String... profiles) {
        String[] args = settings.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new);
        ConfigurableApplicationContext app = new SpringApplicationBuilder(CdcHubApplication.class).profiles(profiles).run(args);
        ExitHooks.applicationStarted();
        return app;
    }
}
