package io.cdchub.testinfra;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.awaitility.Awaitility;

/**
 * A real Elasticsearch 8.19 (the packaged server, integ-test-zip from Maven Central, unpacked into
 * target/elasticsearch by the build before the integration tests) on free ports, data in a temp dir, shared by
 * every test in the JVM. It runs on this JVM's Java. Elasticsearch refuses to run as root, so under root it
 * runs as 'nobody'. Tests may stop and start it again (same ports and data) to simulate an outage.
 *
 * <p>Why this one: it is the real distribution a user runs (REST layer, bulk, external versioning, index
 * templates, dynamic mapping), it speaks to the 8.x client Camel's component uses here, and it starts in
 * ~15 s with 512 MB of heap; Elasticsearch 9's test framework needs Java 21+ and a RandomizedRunner harness.
 */
public final class ElasticsearchServer {

    public static final String VERSION = "8.19.21";
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));
    private static ElasticsearchServer shared;

    private final Path home;
    private final Path root;
    /** Found after the first start (Elasticsearch picks a free one from a range below the ephemeral ports). */
    private int httpPort = -1;
    private final boolean asNobody;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private long pid = -1;

    private ElasticsearchServer() throws IOException {
        home = distribution();
        asNobody = "root".equals(System.getProperty("user.name"));
        root = Files.createTempDirectory("cdc-hub-elasticsearch-");
        for (String dir : List.of("data", "logs", "tmp")) {
            Files.createDirectories(root.resolve(dir));
        }
        Path config = root.resolve("config");
        try (Stream<Path> files = Files.walk(home.resolve("config"))) {
            for (Path source : files.toList()) {
                Path target = config.resolve(home.resolve("config").relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
        if (asNobody) {
            UserPrincipal nobody = root.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : files.toList()) {
                    Files.setOwner(p, nobody);
                }
            }
        }
    }

    public static synchronized ElasticsearchServer shared() {
        if (shared == null) {
            try {
                shared = new ElasticsearchServer();
                shared.start();
            } catch (IOException e) {
                throw new IllegalStateException("Cannot start the test Elasticsearch: " + e.getMessage(), e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(shared::stop, "stop-test-elasticsearch"));
        }
        return shared;
    }

    public String url() {
        return "http://127.0.0.1:" + httpPort;
    }

    /** Starts the server (again), daemonized, on the same ports and data, and waits until the cluster is usable. */
    public synchronized ElasticsearchServer start() {
        if (pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            return this;
        }
        List<String> command = new ArrayList<>();
        if (asNobody) {
            command.addAll(List.of("runuser", "-u", "nobody", "--"));
        }
        command.addAll(List.of(home.resolve("bin/elasticsearch").toString(), "-d", "-p", root.resolve("pid").toString(),
                // ports chosen by Elasticsearch from ranges below Linux's ephemeral ports (a port probed free here could be
                // taken by an outgoing connection during its ~15 s start); the HTTP port is kept on restarts, the transport
                // port (used by no client of a single node) is chosen again, as another server may have taken it meanwhile
                "-Ehttp.port=" + (httpPort > 0 ? httpPort : "19200-19999"), "-Etransport.port=20000-20999",
                "-Enode.portsfile=true", "-Enetwork.host=127.0.0.1",
                "-Ediscovery.type=single-node", "-Epath.data=" + root.resolve("data"), "-Epath.logs=" + root.resolve("logs"),
                "-Expack.security.enabled=false", "-Ecluster.routing.allocation.disk.threshold_enabled=false",
                "-Eaction.destructive_requires_name=false"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("start.log").toFile()));
        builder.environment().put("ES_JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("ES_PATH_CONF", root.resolve("config").toString());
        builder.environment().put("ES_TMPDIR", root.resolve("tmp").toString());
        builder.environment().put("ES_JAVA_OPTS", "-Xms512m -Xmx512m -XX:-HeapDumpOnOutOfMemoryError");
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        try {
            Process launcher = builder.start();
            if (!launcher.waitFor(180, java.util.concurrent.TimeUnit.SECONDS) || launcher.exitValue() != 0) {
                launcher.destroyForcibly();
                throw new IllegalStateException("Elasticsearch did not start: " + Files.readString(root.resolve("start.log")));
            }
            pid = Long.parseLong(Files.readString(root.resolve("pid")).trim());
            httpPort = port(root.resolve("logs/http.ports"));
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        Awaitility.await("Elasticsearch on " + url()).atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> request("GET", "/_cluster/health?wait_for_status=yellow&timeout=1s", null).path("status").asText().matches("green|yellow"));
        return this;
    }

    private static int port(Path portsFile) throws IOException {
        Awaitility.await("ports file " + portsFile).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> Files.exists(portsFile));
        String first = Files.readAllLines(portsFile).get(0).trim();
        return Integer.parseInt(first.substring(first.lastIndexOf(':') + 1));
    }

    /** Stops the server (SIGKILL: an outage, not a shutdown). */
    public synchronized void stop() {
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(p -> {
                p.destroyForcibly();
                p.onExit().join();
            });
            pid = -1;
        }
    }

    /** A REST call; returns the JSON answer (an error answer too). */
    public JsonNode request(String method, String path, String body) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            throw new IllegalStateException("Elasticsearch unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Every document's source in an index (refreshed first), keyed by id; empty when the index does not exist. */
    public java.util.Map<String, JsonNode> documents(String index) {
        request("POST", "/" + index + "/_refresh", null);
        JsonNode answer = request("GET", "/" + index + "/_search?size=10000&version=true", null);
        java.util.Map<String, JsonNode> docs = new java.util.TreeMap<>();
        for (JsonNode hit : answer.path("hits").path("hits")) {
            docs.put(hit.path("_id").asText(), hit.path("_source"));
        }
        return docs;
    }

    private static Path distribution() throws IOException {
        String configured = System.getenv("CDC_HUB_TEST_ELASTICSEARCH_HOME");
        Path home = configured != null && !configured.isBlank() ? Path.of(configured)
                : Path.of("target", "elasticsearch", "elasticsearch-" + VERSION).toAbsolutePath();
        if (!Files.isExecutable(home.resolve("bin/elasticsearch"))) {
            throw new IOException("No Elasticsearch at " + home + ": the build unpacks it before the integration tests (./mvnw verify),"
                    + " or set CDC_HUB_TEST_ELASTICSEARCH_HOME");
        }
        return home;
    }
}
