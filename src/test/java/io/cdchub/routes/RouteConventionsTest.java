package io.cdchub.routes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * House rules for route YAML, checked on every file we ship: every route has a kebab-case id and a
 * description and opts into a shared error-handling configuration (the dead-letter route alone does
 * not: it would loop), and every configuration it names exists.
 */
class RouteConventionsTest {

    private static final Path ROUTES = Path.of("src/main/resources/routes");
    private static final String DEAD_LETTER_ROUTE = "dead-letter";

    @Test
    void everyRouteHasIdDescriptionAndErrorHandling() throws IOException {
        List<Map<String, Object>> routes = new ArrayList<>();
        List<String> configurations = new ArrayList<>();
        List<Map<?, ?>> templates = new ArrayList<>();
        for (Path file : routeFiles()) {
            for (Map<String, Object> entry : entries(file)) {
                if (entry.get("route") instanceof Map<?, ?> route) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> r = (Map<String, Object>) route;
                    r.put("__file", file.getFileName().toString());
                    routes.add(r);
                }
                if (entry.get("routeConfiguration") instanceof Map<?, ?> config) {
                    configurations.add(String.valueOf(config.get("id")));
                }
                if (entry.get("routeTemplate") instanceof Map<?, ?> template) {
                    templates.add(template);
                    // the route a template makes: its id is given at instantiation, so the template's id stands for it
                    @SuppressWarnings("unchecked")
                    Map<String, Object> r = new java.util.LinkedHashMap<>((Map<String, Object>) template.get("route"));
                    r.put("id", template.get("id"));
                    r.put("__file", file.getFileName().toString() + " (template)");
                    routes.add(r);
                }
            }
        }

        for (Map<?, ?> template : templates) {
            String where = "route template " + template.get("id");
            assertThat(String.valueOf(template.get("id"))).as(where + ": id").matches("[a-z0-9]+(-[a-z0-9]+)*");
            assertThat(String.valueOf(template.get("description"))).as(where + ": description").isNotBlank().isNotEqualTo("null");
            assertThat(template.get("route")).as(where + ": a route: with its description and routeConfigurationId").isInstanceOf(Map.class);
            if (template.get("parameters") instanceof List<?> parameters) {
                for (Object parameter : parameters) {
                    assertThat(((Map<?, ?>) parameter).get("description")).as(where + ": parameter " + parameter + " described").isNotNull();
                }
            }
        }

        assertThat(routes).isNotEmpty();
        assertThat(routes).extracting(r -> r.get("id")).doesNotHaveDuplicates();
        for (Map<String, Object> route : routes) {
            String where = route.get("__file") + " route " + route.get("id");
            assertThat(String.valueOf(route.get("id"))).as(where + ": id").matches("[a-z0-9]+(-[a-z0-9]+)*");
            assertThat(String.valueOf(route.get("description"))).as(where + ": description").isNotBlank().isNotEqualTo("null");
            if (DEAD_LETTER_ROUTE.equals(route.get("id"))) {
                assertThat(route).as(where + ": the dead-letter route must not dead-letter itself").doesNotContainKey("routeConfigurationId");
            } else {
                assertThat(route).as(where + ": names its error handling").containsKey("routeConfigurationId");
                assertThat(configurations).as(where + ": configuration exists").contains(String.valueOf(route.get("routeConfigurationId")));
            }
        }
        assertThat(routes).extracting(r -> r.get("id")).contains(DEAD_LETTER_ROUTE, "postgres-to-kafka");
    }

    @Test
    void stepsThatSendOrComputeHaveIds() throws IOException {
        for (Path file : routeFiles()) {
            for (Map<String, Object> entry : entries(file)) {
                if (entry.get("route") instanceof Map<?, ?> route && route.get("from") instanceof Map<?, ?> from) {
                    checkSteps(file + " route " + route.get("id"), from.get("steps"));
                }
                if (entry.get("routeTemplate") instanceof Map<?, ?> template && template.get("route") instanceof Map<?, ?> route
                        && route.get("from") instanceof Map<?, ?> from) {
                    checkSteps(file + " route template " + template.get("id"), from.get("steps"));
                }
            }
        }
    }

    private static void checkSteps(String where, Object steps) {
        if (!(steps instanceof List<?> list)) {
            return;
        }
        for (Object step : list) {
            if (step instanceof Map<?, ?> map) {
                map.forEach((kind, body) -> {
                    if (("to".equals(kind) || "bean".equals(kind)) && body instanceof Map<?, ?> definition) {
                        assertThat(definition.containsKey("id")).as(where + ": " + kind + " step " + definition + " has an id").isTrue();
                    }
                    if (body instanceof Map<?, ?> nested) {
                        checkSteps(where, nested.get("steps"));
                    }
                });
            }
        }
    }

    private static List<Path> routeFiles() throws IOException {
        try (Stream<Path> files = Files.list(ROUTES)) {
            return files.filter(f -> f.toString().endsWith(".camel.yaml")).sorted().toList();
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> entries(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            Object doc = new Yaml().load(in);
            return doc == null ? List.of() : (List<Map<String, Object>>) doc;
        }
    }
}
