package io.cdchub.fault;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * cdc-hub as a user runs it: {@code java -jar} of the built jar in a JVM of its own, settings as command-line
 * arguments, in a work folder of its own (so no ./config/application.yaml is picked up), without the caller's
 * {@code CDC_*}/{@code SPRING_*} variables. Each launch appends to one log file.
 */
final class HubProcess {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<Process> STARTED = new java.util.concurrent.CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> STARTED.forEach(Process::destroyForcibly), "fault-stop-cdc-hub"));
    }

    private final Path jar;
    private final Path workDir;
    private final Path log;
    private final String heap;
    private final Map<String, String> settings;
    private final int port;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process process;
    private int launches;

    HubProcess(Path jar, Path workDir, Path log, String heap, Map<String, String> settings, int port, String token) {
        this.jar = jar;
        this.workDir = workDir;
        this.log = log;
        this.heap = heap;
        this.settings = settings;
        this.port = port;
        this.token = token;
    }

    /**
     * The production jar next to the compiled classes on this JVM's class path ({@code <build dir>/cdc-hub-<version>.jar},
     * not the {@code -lakehouse} one beside it).
     */
    static Path findJar() {
        String configured = System.getProperty("fault.jar");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            if (p.getFileName() != null && p.getFileName().toString().equals("classes") && p.getParent() != null) {
                try (var files = Files.list(p.getParent())) {
                    var found = files.map(f -> f.getFileName().toString())
                            .filter(name -> name.matches("cdc-hub-.*\\.jar") && !name.endsWith("-lakehouse.jar")).findFirst()
                            .map(p.getParent()::resolve);
                    if (found.isPresent()) {
                        return found.get();
                    }
                } catch (IOException e) {
                    // try the next entry
                }
            }
        }
        throw new IllegalStateException("No cdc-hub jar next to the classes on the class path: run the package phase first,"
                + " or pass -Dfault.jar=PATH");
    }

    synchronized void start() throws IOException {
        Files.createDirectories(workDir);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + heap);
        command.add("-jar");
        command.add(jar.toString());
        settings.forEach((k, v) -> command.add("--" + k + "=" + v));
        launches++;
        Files.writeString(log, "[fault] launch " + launches + ": " + String.join(" ", command) + System.lineSeparator(),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().keySet().removeIf(k -> k.startsWith("CDC_") || k.startsWith("SPRING_") || k.equals("JAVA_TOOL_OPTIONS"));
        process = builder.start();
        STARTED.add(process);
        Files.writeString(workDir.resolve("cdc-hub.pid"), process.pid() + System.lineSeparator());
    }

    /** kill -9: no shutdown hook, no offset flush. */
    synchronized void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(60, TimeUnit.SECONDS);
        }
    }

    /** SIGTERM; waits for the exit. */
    synchronized int stop(int seconds) throws InterruptedException {
        if (process == null) {
            return 0;
        }
        process.destroy();
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
            return -1;
        }
        return process.exitValue();
    }

    synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    synchronized long pid() {
        return process.pid();
    }

    int port() {
        return port;
    }

    Path log() {
        return log;
    }

    /** True once the web server answers liveness (Camel context started). */
    boolean live() {
        try {
            return get("/actuator/health/liveness", false).statusCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    HttpResponse<String> get(String path, boolean authenticated) throws IOException {
        return send("GET", path, null, authenticated);
    }

    HttpResponse<String> send(String method, String path, String body, boolean authenticated) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (authenticated) {
            request.header("Authorization", "Bearer " + token);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** A gauge of the actuator's metrics endpoint, e.g. {@code jvm.threads.live}, {@code jvm.memory.used?tag=area:heap}. */
    double metric(String nameAndQuery) throws IOException {
        HttpResponse<String> response = get("/actuator/metrics/" + nameAndQuery, true);
        if (response.statusCode() != 200) {
            throw new IOException("metric " + nameAndQuery + ": " + response.statusCode() + " " + response.body());
        }
        JsonNode json = JSON.readTree(response.body());
        return json.path("measurements").path(0).path("value").asDouble();
    }

    /** A full GC in the process ({@code jcmd <pid> GC.run}), so heap figures compare live data. */
    void gc() throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd", String.valueOf(pid()), "GC.run")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    /** Lines of the log matching a pattern (for the report: exceptions, ERRORs). */
    List<String> logLines(String regex, int max) {
        try (var lines = Files.lines(log)) {
            return lines.filter(l -> l.matches(regex)).limit(max).toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            return List.of();
        }
    }
}
