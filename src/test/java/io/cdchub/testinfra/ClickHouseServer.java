package io.cdchub.testinfra;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.Awaitility;

/**
 * A real ClickHouse server (Debian's clickhouse-server, 18.16 on Debian 12) on free ports, with its data in a
 * temp dir, shared by every test in the JVM. Tests may stop and start it again (same ports, same data) to
 * simulate an outage. scripts/install-test-prerequisites.sh installs the package; CDC_HUB_TEST_CLICKHOUSE
 * may name another clickhouse-server binary (or the single 'clickhouse' binary of newer releases).
 * Users: {@code default} (no password) and {@link #USER}/{@link #PASSWORD} (for basic auth).
 */
public final class ClickHouseServer {

    public static final String USER = "cdchub";
    public static final String PASSWORD = "it-secret";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static ClickHouseServer shared;

    private final Path root;
    private final int httpPort;
    private final int tcpPort;
    private final List<String> command;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process process;

    private ClickHouseServer() throws IOException {
        root = Files.createTempDirectory("cdc-hub-clickhouse-");
        httpPort = PostgresServer.freePort();
        tcpPort = PostgresServer.freePort();
        Files.createDirectories(root.resolve("data"));
        Files.createDirectories(root.resolve("tmp"));
        Files.writeString(root.resolve("config.xml"), """
                <?xml version="1.0"?>
                <yandex>
                    <logger><level>warning</level><log>%1$s/server.log</log><errorlog>%1$s/error.log</errorlog><size>10M</size><count>2</count></logger>
                    <http_port>%2$d</http_port>
                    <tcp_port>%3$d</tcp_port>
                    <listen_host>127.0.0.1</listen_host>
                    <path>%1$s/data/</path>
                    <tmp_path>%1$s/tmp/</tmp_path>
                    <user_files_path>%1$s/user_files/</user_files_path>
                    <format_schema_path>%1$s/format_schemas/</format_schema_path>
                    <users_config>%1$s/users.xml</users_config>
                    <default_profile>default</default_profile>
                    <default_database>default</default_database>
                    <mark_cache_size>268435456</mark_cache_size>
                    <uncompressed_cache_size>268435456</uncompressed_cache_size>
                    <timezone>UTC</timezone>
                </yandex>
                """.formatted(root, httpPort, tcpPort));
        Files.writeString(root.resolve("users.xml"), """
                <?xml version="1.0"?>
                <yandex>
                    <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
                    <users>
                        <default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default>
                        <%1$s><password>%2$s</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></%1$s>
                    </users>
                    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows>
                        <read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
                </yandex>
                """.formatted(USER, PASSWORD));
        command = new ArrayList<>(binary());
        command.add("--config-file=" + root.resolve("config.xml"));
    }

    /** The server shared by every test in this JVM, started on first use. */
    public static synchronized ClickHouseServer shared() {
        if (shared == null) {
            try {
                shared = new ClickHouseServer();
                shared.start();
            } catch (IOException e) {
                throw new IllegalStateException("Cannot start the test ClickHouse: " + e.getMessage() + " (run scripts/install-test-prerequisites.sh)", e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(shared::stop, "stop-test-clickhouse"));
        }
        return shared;
    }

    public String url() {
        return "http://127.0.0.1:" + httpPort;
    }

    /** App settings that turn the ClickHouse sink on against this server, with its own consumer group. */
    public java.util.Map<String, String> sinkSettings(String groupId) {
        java.util.Map<String, String> settings = new java.util.LinkedHashMap<>();
        settings.put("cdc.sink.clickhouse.enabled", "true");
        settings.put("cdc.sink.clickhouse.url", url());
        settings.put("cdc.sink.clickhouse.username", USER);
        settings.put("cdc.sink.clickhouse.password", PASSWORD);
        settings.put("cdc.sink.clickhouse.group-id", groupId);
        return settings;
    }

    /** Starts the server (again) on the same ports and data, and waits until it answers. */
    public synchronized ClickHouseServer start() {
        if (process != null && process.isAlive()) {
            return this;
        }
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("stdout.log").toFile())).start();
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run " + command + ": " + e.getMessage(), e);
        }
        Awaitility.await("ClickHouse on " + url()).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .ignoreExceptions().until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("clickhouse-server exited: " + log());
                    }
                    return "1".equals(query("SELECT 1").trim());
                });
        return this;
    }

    /** Stops the server (SIGKILL: an outage, not a shutdown). */
    public synchronized void stop() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /** Runs a statement as the default user; returns the answer's text. */
    public String query(String sql) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url() + "/?database=default"))
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("default:".getBytes(StandardCharsets.UTF_8)))
                    .timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(sql)).build();
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("ClickHouse answered " + response.statusCode() + " to " + sql + ": " + response.body());
            }
            return response.body();
        } catch (IOException e) {
            throw new IllegalStateException("ClickHouse unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs a SELECT and returns its rows (it appends FORMAT JSONEachRow); decimals stay exact. */
    public List<JsonNode> rows(String select) {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : query(select + " FORMAT JSONEachRow").split("\n")) {
            if (!line.isBlank()) {
                try {
                    rows.add(JSON.readTree(line));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return rows;
    }

    public static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private String log() {
        try {
            return Files.readString(root.resolve("stdout.log")) + (Files.exists(root.resolve("error.log")) ? Files.readString(root.resolve("error.log")) : "");
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static List<String> binary() throws IOException {
        String configured = System.getenv("CDC_HUB_TEST_CLICKHOUSE");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).getFileName().toString().equals("clickhouse") ? List.of(configured, "server") : List.of(configured);
        }
        for (String candidate : List.of("/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return List.of(candidate);
            }
        }
        if (Files.isExecutable(Path.of("/usr/bin/clickhouse"))) {
            return List.of("/usr/bin/clickhouse", "server");
        }
        throw new IOException("No clickhouse-server binary (Debian package clickhouse-server); or set CDC_HUB_TEST_CLICKHOUSE");
    }
}
