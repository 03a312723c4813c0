package io.cdchub.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.spi.Resource;
import org.apache.camel.spi.ResourceReload;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Camel's route watcher does with a changed file in {@code cdc.routes.dir}: replace the routes of that
 * file, and only those. An edit that does not load (broken YAML, unknown step, an endpoint that cannot be
 * created) is logged as an ERROR naming the file and the problem; the file's routes keep running their
 * last valid version (re-added from it if Camel had already removed them). Other files' routes and the
 * built-in routes are never touched.
 */
final class RouteFileReloader implements ResourceReload {

    private static final Logger LOG = LoggerFactory.getLogger(RouteFileReloader.class);

    private final CamelContext camel;
    /** The last content of each route file that loaded, to go back to when an edit fails half-way. */
    private final Map<Path, byte[]> lastValid = new ConcurrentHashMap<>();

    RouteFileReloader(CamelContext camel, Path folder) {
        this.camel = camel;
        try (Stream<Path> files = Files.list(folder)) {
            files.filter(f -> f.getFileName().toString().endsWith(".camel.yaml")).forEach(f -> {
                try {
                    lastValid.put(normalize(f), Files.readAllBytes(f));
                } catch (IOException e) {
                    LOG.warn("Cannot read route file {}: {}", f, e.toString());
                }
            });
        } catch (IOException e) {
            LOG.warn("Cannot list route folder {}: {}", folder, e.toString());
        }
    }

    @Override
    public void onReload(String name, Resource resource) {
        Path file = pathOf(resource);
        if (file == null) {
            LOG.warn("Route reload ignores {}: only files in cdc.routes.dir are reloaded", resource.getLocation());
            return;
        }
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            LOG.warn("Route file {} was removed; its routes keep running until the next restart", file);
            return;
        } catch (IOException e) {
            LOG.error("Route file {} cannot be read, its routes keep running unchanged: {}", file, e.toString());
            return;
        }
        if (Arrays.equals(content, lastValid.get(file))) {
            return; // a second event for the same write
        }
        if (new String(content, StandardCharsets.UTF_8).isBlank()) {
            // usually an editor truncating before it writes (the next event brings the content); an empty file
            // does not remove routes: delete them from the file instead
            LOG.debug("Route file {} is empty; ignored, its routes keep running", file);
            return;
        }
        Set<String> before = routeIdsFrom(file);
        Resource edited = ResourceHelper.fromBytes(resource.getLocation(), content);
        try {
            Set<String> loaded = PluginHelper.getRoutesLoader(camel).updateRoutes(List.of(edited));
            Set<String> dropped = new LinkedHashSet<>(before);
            dropped.removeAll(loaded);
            for (String id : dropped) { // routes deleted from the file (or renamed)
                camel.getRouteController().stopRoute(id);
                camel.removeRoute(id);
            }
            lastValid.put(file, content);
            LOG.info("Reloaded route file {}: routes {}{}", file, loaded, dropped.isEmpty() ? "" : ", removed " + dropped);
        } catch (Exception e) {
            LOG.error("Route file {} is invalid and was not applied; its routes {} keep running their previous version. Problem: {}",
                    file, before, problem(e));
            LOG.debug("Route file {} failed to load", file, e);
            restore(file, before);
        }
    }

    /** Puts back the last valid version of the file's routes if the failed update had already removed or stopped them. */
    private void restore(Path file, Set<String> before) {
        boolean damaged = before.stream().anyMatch(id -> camel.getRouteController().getRouteStatus(id) != ServiceStatus.Started);
        byte[] valid = lastValid.get(file);
        if (!damaged || valid == null) {
            return;
        }
        try {
            Set<String> ids = PluginHelper.getRoutesLoader(camel).updateRoutes(List.of(ResourceHelper.fromBytes("file:" + file, valid)));
            LOG.warn("Route file {}: routes {} restored from its last valid version", file, ids);
        } catch (Exception e) {
            LOG.error("Route file {}: restoring the last valid version of routes {} failed: {}", file, before, problem(e), e);
        }
    }

    private Set<String> routeIdsFrom(Path file) {
        Set<String> ids = new LinkedHashSet<>();
        for (Route route : camel.getRoutes()) {
            Resource source = route.getSourceResource();
            if (source != null && file.equals(pathOf(source))) {
                ids.add(route.getRouteId());
            }
        }
        return ids;
    }

    /** The exception's message and those of its causes, without repeats: YAML DSL errors put the position in the cause. */
    static String problem(Throwable e) {
        StringJoiner text = new StringJoiner(": ");
        Set<String> seen = new LinkedHashSet<>();
        for (Throwable t = e; t != null && seen.size() < 5; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().strip();
            if (seen.stream().noneMatch(m -> m.contains(message))) {
                seen.add(message);
                text.add(message);
            }
        }
        return text.toString();
    }

    private static Path pathOf(Resource resource) {
        String location = resource.getLocation();
        if (location == null || !location.startsWith("file:")) {
            return null;
        }
        return normalize(Path.of(location.substring("file:".length())));
    }

    private static Path normalize(Path path) {
        return path.toAbsolutePath().normalize();
    }
}
