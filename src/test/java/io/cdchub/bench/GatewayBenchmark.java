package io.cdchub.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.KafkaServer;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The gateway benchmark (bench/gateway-benchmark.sh, bench/README.md "Gateway benchmark"): cdc-hub's real-time
 * gateway against a plain Camel {@code vertx-websocket} fan-out ({@link GatewayBenchmarkBaseline}) of the same Kafka
 * topic, with the same load generator, the same clients and the same changes, one after the other in one run:
 *
 * <ol>
 * <li>latency: 100 subscribers at 100 single-row inserts/s (a load a small machine serves without queueing), then
 *     1,000 subscribers at 1,000 inserts/s (issue 4's figure); commit ({@code after.created_at = clock_timestamp()}) to the client's
 *     receipt, p50/p95/p99/max over a sample of the subscribers;</li>
 * <li>connections: up to 10,000 concurrent connections (the gateway's authenticated with a JWT each and
 *     subscribed), then heap (after a full GC) and resident memory (VmRSS) per connection against the idle server;</li>
 * <li>fan-out: a burst of changes committed at once to all 10,000 connections; messages delivered per second.</li>
 * </ol>
 *
 * <p>Each server runs in a child JVM of its own with the same heap settings; the source (cdc-hub capturing
 * PostgreSQL into Kafka), the Kafka broker and the load generator (Vert.x WebSocket clients) run in this JVM.
 * Nothing is asserted about speed: figures and ratios gateway/baseline are printed. A message missing on a
 * connection that stayed open fails the run.
 */
public final class GatewayBenchmark {

    private static final String SCHEMA = "gwbench";
    private static final String TOPIC = SCHEMA + '.' + SCHEMA + ".ticks";
    private static final String SECRET = "gateway-benchmark-hs256-secret-0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration STALL = Duration.ofSeconds(30);

    private final int connections = Integer.getInteger("bench.connections", 10_000);
    /** changes/s x subscribers, one latency phase each */
    private final List<Load> loads = Load.parse(System.getProperty("bench.latency.loads", "100x100,1000x1000"));
    private final int latencySeconds = Integer.getInteger("bench.latency.seconds", 10);
    private final int warmupSeconds = Integer.getInteger("bench.warmup.seconds", 3);
    /** how long a latency phase waits for the last messages after its last insert (a saturated server may never catch up) */
    private final int drainSeconds = Integer.getInteger("bench.drain.seconds", 30);
    private final int burst = Integer.getInteger("bench.fanout.changes", 200);
    private final int sampleEvery = Integer.getInteger("bench.sample-every", 10);
    private final String heap = System.getProperty("bench.server.heap", "2g");
    private final boolean compression = Boolean.getBoolean("bench.compression");
    private final List<String> servers = List.of(System.getProperty("bench.servers", "gateway,baseline").split(","));
    private final Path out = Path.of(System.getProperty("bench.out", "target/bench"));

    private final Map<String, String> appSettings;
    private final List<String> summary = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final Map<String, Result> results = new LinkedHashMap<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private Connection db;

    private GatewayBenchmark(Map<String, String> appSettings) {
        this.appSettings = appSettings;
    }

    public static void main(String[] args) {
        Map<String, String> settings = BenchSupport.startWatchdogAndReadSettings(args, Duration.ofMinutes(Integer.getInteger("bench.watchdog.minutes", 15)));
        int status;
        GatewayBenchmark bench = new GatewayBenchmark(settings);
        long started = System.nanoTime();
        String loadAtStart = BenchSupport.loadAverage();
        try {
            status = bench.run();
        } catch (BenchSupport.StartFailure e) {
            bench.failures.add(e.getMessage());
            status = 2;
        } catch (Exception e) {
            e.printStackTrace();
            bench.failures.add("the run failed: " + e);
            status = 1;
        }
        bench.summary.add(String.format(Locale.ROOT, "run time: %d s; machine load average (1 min) at start %s, at end %s (%d CPUs)",
                (System.nanoTime() - started) / 1_000_000_000L, loadAtStart, BenchSupport.loadAverage(),
                Runtime.getRuntime().availableProcessors()));
        if (status == 0 && !bench.failures.isEmpty()) {
            status = 1;
        }
        BenchSupport.printSummary("cdc-hub gateway benchmark: summary", bench.summary, bench.failures, status,
                bench.out.resolve("gateway-benchmark-summary.txt"));
        System.exit(status);
    }

    private int run() throws Exception {
        BenchSupport.log("starting PostgreSQL, Kafka and cdc-hub's source (in this JVM)");
        Map<String, String> source = RealServers.sourceSettings(SCHEMA,
                "CREATE TABLE gwbench.ticks (id bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
                        + " symbol text NOT NULL, price numeric(12,4) NOT NULL, note text NOT NULL)",
                // the snapshot's row creates the topic before any server subscribes to it
                "INSERT INTO gwbench.ticks (id, symbol, price, note) VALUES (0, 'SEED', 0, 'seed')");
        source.put("cdc.source.poll-interval", "5ms");
        source.putAll(appSettings);
        ConfigurableApplicationContext app;
        try {
            app = InProcessApp.start(source);
            TopicReader.awaitCount(TOPIC, 1);
        } catch (RuntimeException e) {
            throw new BenchSupport.StartFailure("cdc-hub's source did not start: " + e);
        }
        for (String server : List.of("gateway", "baseline")) {
            Files.deleteIfExists(out.resolve("gateway-benchmark-" + server + ".log")); // each run's server logs alone
        }
        db = PostgresServer.shared().dataSource(RealServers.DATABASE).getConnection();
        try (Statement st = db.createStatement()) {
            // see bench/README.md (source benchmark, "Commit mode"): asynchronous commit would add up to 200 ms
            st.execute("SET synchronous_commit = on");
        }
        summary.add(String.format(Locale.ROOT, "setup: PostgreSQL %s, Kafka 3.9.1 KRaft in-process, cdc-hub source in-process (poll-interval 5ms); "
                        + "servers in child JVMs (-Xmx%s, %s); load generator Vert.x %s WebSocket clients in the benchmark JVM; %d CPUs",
                serverVersion(), heap, System.getProperty("java.version"), vertxVersion(),
                Runtime.getRuntime().availableProcessors()));
        summary.add(String.format(Locale.ROOT, "load: latency %s (changes/s x subscribers) for %d s each (first %d s discarded, every %dth "
                        + "subscriber timed, fresh connections per load); connections %,d; fan-out burst %,d changes x %,d connections; "
                        + "permessage-deflate %s; one topic, one partition",
                loads, warmupSeconds + latencySeconds, warmupSeconds, sampleEvery, connections, burst, connections,
                compression ? "offered by the clients" : "off"));
        try {
            for (String server : servers) {
                results.put(server, measure(server.trim()));
            }
        } finally {
            db.close();
            app.close();
        }
        report();
        return 0;
    }

    // ---------------------------------------------------------------- one server

    /** A latency load: changes/s to how many subscribers. */
    private record Load(int rate, int subscribers) {
        static List<Load> parse(String text) {
            List<Load> loads = new ArrayList<>();
            for (String load : text.split(",")) {
                String[] parts = load.trim().split("x");
                loads.add(new Load(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim())));
            }
            return loads;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%,d x %,d", rate, subscribers);
        }
    }

    /** One latency phase's outcome. */
    private static final class LatencyResult {
        Load load;
        Percentiles latency;
        long expected;
        long delivered;
        double cpuMicrosPerMessage;
        double insertRate;
        int closedByServer;
    }

    /** What one server achieved. */
    private static final class Result {
        String name;
        double connectSeconds;
        int connected;
        final List<LatencyResult> latencies = new ArrayList<>();
        long heapIdle;
        long heapLoaded;
        long rssIdle;
        long rssLoaded;
        double fanoutRate;
        double fanoutSeconds;
        double fanoutFirstMs;
        double fanoutCpuMicrosPerMessage;
        long fanoutExpected;
        long fanoutDelivered;
        int lagging;
        int closedByServer;
    }

    private Result measure(String server) throws Exception {
        Result result = new Result();
        result.name = server;
        boolean gateway = server.equals("gateway");
        if (!gateway && !server.equals("baseline")) {
            throw new IllegalArgumentException("bench.servers names gateway and/or baseline, not " + server);
        }
        // 1. latency: each load with fresh connections, closed afterwards (with whatever a saturated server still queues for them)
        try (ServerProcess process = startServer(server)) {
            for (Load load : loads) {
                try (Clients clients = new Clients(server, process.port, gateway)) {
                    clients.connect(load.subscribers());
                    clients.awaitLive(this);
                    result.latencies.add(latency(clients, process.pid(), load));
                    if (!clients.errors.isEmpty()) {
                        BenchSupport.log(server + " latency " + load + ": e.g. " + clients.errors.peek());
                    }
                }
            }
        }

        // 2. and 3. on a fresh server: a saturated latency phase can leave a backlog behind (the baseline's Vert.x event
        // loop queues every write it could not make yet, without bound), which would delay everything after it
        try (ServerProcess process = startServer(server)) {
            int port = process.port;
            long[] idle = memory(process.pid());
            result.heapIdle = idle[0];
            result.rssIdle = idle[1];

            // 2. connections
            try (Clients clients = new Clients(server, port, gateway)) {
                long start = System.nanoTime();
                clients.connect(connections);
                result.connectSeconds = (System.nanoTime() - start) / 1e9;
                result.connected = clients.ready.get();
                clients.awaitLive(this);
                long[] loaded = memory(process.pid());
                result.heapLoaded = loaded[0];
                result.rssLoaded = loaded[1];

                // 3. fan-out burst to every connection
                fanout(clients, process.pid(), result);
                result.lagging = clients.lagging.get();
                result.closedByServer = clients.closedByServer.get();
                if (!clients.errors.isEmpty()) {
                    failures.add(server + ": error frames, e.g. " + clients.errors.peek());
                }
            }
        }
        return result;
    }

    private LatencyResult latency(Clients clients, long pid, Load load) throws Exception {
        BenchSupport.log(String.format(Locale.ROOT, "latency: %,d changes/s to %,d subscribers for %d s", load.rate(), clients.count(),
                warmupSeconds + latencySeconds));
        LatencyResult result = new LatencyResult();
        result.load = load;
        int rate = load.rate();
        long[] before = clients.snapshot();
        long measureFromMicros = nowMicros() + warmupSeconds * 1_000_000L;
        clients.latency = new Histogram(measureFromMicros);
        long cpuBefore = cpuMicros(pid);
        long endNanos = System.nanoTime() + (warmupSeconds + latencySeconds) * 1_000_000_000L;
        AtomicInteger inserted = new AtomicInteger();
        ScheduledExecutorService inserter = Executors.newSingleThreadScheduledExecutor();
        CountDownLatch done = new CountDownLatch(1);
        try (PreparedStatement insert = db.prepareStatement("INSERT INTO gwbench.ticks (id, symbol, price, note) VALUES (?, ?, ?, ?)")) {
            long periodNanos = 1_000_000_000L / rate;
            long startNanos = System.nanoTime();
            inserter.scheduleAtFixedRate(() -> {
                if (System.nanoTime() >= endNanos) {
                    done.countDown();
                    return;
                }
                try {
                    long id = nextId.getAndIncrement();
                    insert.setLong(1, id);
                    insert.setString(2, "SYM" + (id % 100));
                    insert.setBigDecimal(3, java.math.BigDecimal.valueOf(id % 100_000, 2));
                    insert.setString(4, "latency tick");
                    insert.executeUpdate();
                    inserted.incrementAndGet();
                } catch (SQLException e) {
                    failures.add("latency insert failed: " + e.getMessage());
                    done.countDown();
                }
            }, 0, periodNanos, TimeUnit.NANOSECONDS);
            done.await();
            result.insertRate = inserted.get() / ((System.nanoTime() - startNanos) / 1e9);
        } finally {
            inserter.shutdownNow();
        }
        long expected = (long) inserted.get() * clients.count();
        long delivered = clients.awaitDelivered(before, inserted.get(), "latency " + load, Duration.ofSeconds(drainSeconds));
        long cpuAfter = cpuMicros(pid);
        result.expected = expected;
        result.delivered = delivered;
        result.latency = clients.latency.percentiles();
        clients.latency = null;
        result.cpuMicrosPerMessage = (double) (cpuAfter - cpuBefore) / Math.max(1, delivered);
        result.closedByServer = clients.closedByServer.get();
        return result;
    }

    private void fanout(Clients clients, long pid, Result result) throws Exception {
        BenchSupport.log(String.format(Locale.ROOT, "fan-out: %,d changes in one transaction to %,d connections", burst, clients.count()));
        long[] before = clients.snapshot();
        long first = nextId.getAndAdd(burst);
        long cpuBefore = cpuMicros(pid);
        clients.firstDeliveryNanos.set(0);
        db.setAutoCommit(false);
        long committed;
        try (PreparedStatement insert = db.prepareStatement("INSERT INTO gwbench.ticks (id, symbol, price, note)"
                + " SELECT g, 'SYM' || (g % 100), (g % 100000) / 100.0, 'fan-out burst' FROM generate_series(?::bigint, ?::bigint) g")) {
            insert.setLong(1, first);
            insert.setLong(2, first + burst - 1);
            insert.executeUpdate();
            committed = System.nanoTime();
            db.commit();
        } finally {
            db.setAutoCommit(true);
        }
        long delivered = clients.awaitDelivered(before, burst, "fan-out", null);
        long end = clients.lastDeliveryNanos.get();
        long firstAt = clients.firstDeliveryNanos.get();
        long cpuAfter = cpuMicros(pid);
        result.fanoutExpected = (long) burst * clients.count();
        result.fanoutDelivered = delivered;
        result.fanoutSeconds = (end - committed) / 1e9;
        result.fanoutFirstMs = firstAt == 0 ? Double.NaN : (firstAt - committed) / 1e6;
        result.fanoutRate = delivered / result.fanoutSeconds;
        result.fanoutCpuMicrosPerMessage = (double) (cpuAfter - cpuBefore) / Math.max(1, delivered);
    }

    // ---------------------------------------------------------------- the servers

    private ServerProcess startServer(String server) throws Exception {
        int port = freePort();
        BenchSupport.log("starting the " + server + " server on port " + port);
        return server.equals("gateway") ? startGateway(port) : startBaseline(port);
    }

    private ServerProcess startGateway(int port) throws Exception {
        Map<String, String> settings = RealServers.settings();
        settings.put("server.port", String.valueOf(port));
        settings.put("cdc.topic-prefix", SCHEMA);
        settings.put("cdc.dlq.topic", SCHEMA + ".dlq");
        settings.put("cdc.source.enabled", "false");
        settings.put("cdc.gateway.enabled", "true");
        settings.put("cdc.gateway.jwt.secret", SECRET);
        settings.put("cdc.gateway.topics", TOPIC);
        settings.put("cdc.gateway.max-connections", String.valueOf(connections + 100));
        settings.put("server.tomcat.accept-count", "2048");
        settings.put("logging.level.io.cdchub.gateway", "WARN");
        settings.putAll(appSettings);
        List<String> command = javaCommand();
        command.add("io.cdchub.CdcHubApplication");
        settings.forEach((k, v) -> command.add("--" + k + "=" + v));
        ServerProcess process = ServerProcess.start("gateway", port, command, out);
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            try {
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200) {
                    return process;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.close();
                throw new BenchSupport.StartFailure("the gateway server did not become ready; see " + process.log);
            }
            BenchSupport.pause(200);
        }
    }

    private ServerProcess startBaseline(int port) throws Exception {
        List<String> command = javaCommand();
        command.add(GatewayBenchmarkBaseline.class.getName());
        command.add(KafkaServer.shared().bootstrapServers());
        command.add(TOPIC);
        command.add(String.valueOf(port));
        ServerProcess process = ServerProcess.start("baseline", port, command, out);
        if (!process.awaitLine("BASELINE READY", Duration.ofSeconds(60))) {
            process.close();
            throw new BenchSupport.StartFailure("the baseline server did not start; see " + process.log);
        }
        return process;
    }

    private List<String> javaCommand() {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + heap);
        command.add("-Xms" + heap); // the same committed heap for both, so resident memory compares
        command.add("-XX:+AlwaysPreTouch");
        command.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        return command;
    }

    /** A server in a child JVM; output to {@code <out>/gateway-benchmark-<name>.log}. Its stdin stays open while it should run. */
    private static final class ServerProcess implements AutoCloseable {
        final Process process;
        final int port;
        final Path log;
        private final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();

        private ServerProcess(Process process, int port, Path log) {
            this.process = process;
            this.port = port;
            this.log = log;
            Thread copier = new Thread(() -> {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                     var writer = Files.newBufferedWriter(log, java.nio.file.StandardOpenOption.CREATE,
                             java.nio.file.StandardOpenOption.APPEND)) {
                    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                        writer.write(line);
                        writer.newLine();
                        writer.flush();
                        if (line.startsWith("BASELINE")) {
                            lines.add(line);
                        }
                    }
                } catch (IOException e) {
                    // process gone
                }
            }, "server-log-copier");
            copier.setDaemon(true);
            copier.start();
        }

        static ServerProcess start(String name, int port, List<String> command, Path out) throws IOException {
            Files.createDirectories(out);
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            return new ServerProcess(process, port, out.resolve("gateway-benchmark-" + name + ".log"));
        }

        long pid() {
            return process.pid();
        }

        boolean isAlive() {
            return process.isAlive();
        }

        boolean awaitLine(String prefix, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline && process.isAlive()) {
                if (lines.stream().anyMatch(l -> l.startsWith(prefix))) {
                    return true;
                }
                BenchSupport.pause(100);
            }
            return false;
        }

        @Override
        public void close() throws InterruptedException {
            try {
                process.getOutputStream().close();
            } catch (IOException e) {
                // already gone
            }
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Heap used after a full GC and resident set size of a process, in bytes. */
    private static long[] memory(long pid) throws IOException, InterruptedException {
        String jdk = System.getProperty("java.home");
        for (int i = 0; i < 2; i++) {
            exec(Path.of(jdk, "bin", "jcmd").toString(), String.valueOf(pid), "GC.run");
        }
        String[] jstat = exec(Path.of(jdk, "bin", "jstat").toString(), "-gc", String.valueOf(pid)).trim().split("\n");
        String[] names = jstat[0].trim().split("\\s+");
        String[] values = jstat[jstat.length - 1].trim().split("\\s+");
        double usedKb = 0;
        for (int i = 0; i < names.length; i++) {
            if (List.of("S0U", "S1U", "EU", "OU").contains(names[i])) {
                usedKb += Double.parseDouble(values[i]);
            }
        }
        long rssKb = 0;
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                rssKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return new long[] {(long) (usedKb * 1024), rssKb * 1024};
    }

    /** User + system CPU time of a process so far, in microseconds (from /proc, 100 ticks a second). */
    private static long cpuMicros(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10_000;
    }

    private static String exec(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }

    private static String vertxVersion() {
        String version = Vertx.class.getPackage().getImplementationVersion();
        return version != null ? version : "4.5";
    }

    private static String serverVersion() {
        try (Connection c = PostgresServer.shared().dataSource(RealServers.DATABASE).getConnection();
             Statement st = c.createStatement();
             var rs = st.executeQuery("SHOW server_version")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            return "?";
        }
    }

    // ---------------------------------------------------------------- the load generator

    /** WebSocket clients on a Vert.x event loop of their own: non-blocking, so 10,000 connections need no 10,000 threads. */
    private final class Clients implements AutoCloseable {
        final String server;
        final int port;
        final boolean gateway;
        final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        /**
         * One client per source address 127.0.0.1, .2, ...: loopback has about 28,000 ephemeral ports per source address,
         * so bench.connections-per-address (20,000) connections each.
         */
        final List<WebSocketClient> clientsByAddress = new ArrayList<>();
        final List<Client> all = new ArrayList<>();
        final AtomicInteger ready = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger lagging = new AtomicInteger();
        final AtomicInteger closedByServer = new AtomicInteger();
        final LongAdder total = new LongAdder();
        final AtomicLong lastDeliveryNanos = new AtomicLong();
        final AtomicLong firstDeliveryNanos = new AtomicLong();
        final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        volatile Histogram latency;

        Clients(String server, int port, boolean gateway) {
            this.server = server;
            this.port = port;
            this.gateway = gateway;
            int perAddress = Integer.getInteger("bench.connections-per-address", 20_000);
            for (int address = 0; address * perAddress < Math.max(1, connections); address++) {
                clientsByAddress.add(vertx.createWebSocketClient(new WebSocketClientOptions()
                        .setLocalAddress("127.0.0." + (1 + address))
                        .setMaxConnections(connections + 100)
                        .setConnectTimeout(60_000)
                        .setMaxFrameSize(1 << 20)
                        .setMaxMessageSize(1 << 20)
                        .setTryUsePerMessageCompression(compression)));
            }
        }

        int count() {
            return all.size();
        }

        /** Opens n more connections, at most 256 handshakes at a time, and waits until each is subscribed (or failed). */
        void connect(int n) throws InterruptedException {
            Semaphore inFlight = new Semaphore(256);
            int target = all.size() + n;
            int failedBefore = failed.get();
            for (int i = all.size(); i < target; i++) {
                Client c = new Client(this, i, i % sampleEvery == 0);
                all.add(c);
                inFlight.acquire();
                c.open(inFlight::release);
            }
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (ready.get() + failed.get() < target && System.nanoTime() < deadline) {
                BenchSupport.pause(20);
            }
            BenchSupport.log(String.format(Locale.ROOT, "%s: %,d connections ready, %,d failed", server, ready.get(), failed.get()));
            if (failed.get() > failedBefore) {
                failures.add(server + ": " + (failed.get() - failedBefore) + " connections failed, e.g. " + errors.peek());
            }
        }

        /**
         * Sends probe changes until every connection has received one: the server's Kafka consumer is assigned and
         * every subscription is live. Then waits until nothing more arrives.
         */
        void awaitLive(GatewayBenchmark bench) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            long[] before = snapshot();
            try (PreparedStatement probe = db.prepareStatement("INSERT INTO gwbench.ticks (id, symbol, price, note) VALUES (?, 'PROBE', 0, 'probe')")) {
                while (true) {
                    long[] now = snapshot();
                    boolean allGot = true;
                    for (int i = 0; i < now.length; i++) {
                        if (all.get(i).open && now[i] <= before[i]) {
                            allGot = false;
                            break;
                        }
                    }
                    if (allGot) {
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(server + ": not every connection received a probe change within 90 s");
                    }
                    probe.setLong(1, bench.nextId.getAndIncrement());
                    probe.executeUpdate();
                    BenchSupport.pause(250);
                }
            }
            quiesce();
        }

        /** Waits until no message has arrived for 1 s (at most 60 s: a server still draining a backlog is noted, not waited for). */
        void quiesce() {
            long seen = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (total.sum() != seen) {
                if (System.nanoTime() > deadline) {
                    failures.add(server + ": messages kept arriving 60 s after the last probe (a backlog from an earlier phase?)");
                    return;
                }
                seen = total.sum();
                BenchSupport.pause(1000);
            }
        }

        long[] snapshot() {
            long[] counts = new long[all.size()];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = all.get(i).received.get();
            }
            return counts;
        }

        /**
         * Waits until every connection that is still open has {@code perConnection} more messages than at
         * {@code before}; returns the messages delivered. Gives up after {@link #STALL} without progress (a failure),
         * or, with a {@code cap}, after that long (noted: a saturated server's backlog).
         */
        long awaitDelivered(long[] before, long perConnection, String phase, Duration cap) {
            long last = -1;
            long lastChange = System.nanoTime();
            long capEnd = cap == null ? Long.MAX_VALUE : System.nanoTime() + cap.toNanos();
            while (true) {
                long delivered = 0;
                boolean complete = true;
                for (int i = 0; i < before.length; i++) {
                    Client c = all.get(i);
                    long got = c.received.get() - before[i];
                    delivered += got;
                    if (c.open && got < perConnection) {
                        complete = false;
                    }
                }
                if (complete) {
                    checkNoMore(before, perConnection, phase);
                    return delivered;
                }
                if (System.nanoTime() > capEnd) {
                    BenchSupport.log(String.format(Locale.ROOT, "%s %s: %,d of %,d messages delivered %d s after the last insert; "
                            + "not waiting for the rest", server, phase, delivered, perConnection * before.length, cap.toSeconds()));
                    return delivered;
                }
                if (delivered != last) {
                    last = delivered;
                    lastChange = System.nanoTime();
                } else if (System.nanoTime() - lastChange > STALL.toNanos()) {
                    int short_ = 0;
                    for (int i = 0; i < before.length; i++) {
                        if (all.get(i).open && all.get(i).received.get() - before[i] < perConnection) {
                            short_++;
                        }
                    }
                    failures.add(String.format(Locale.ROOT, "%s %s: %,d open connections are missing messages after %d s without progress "
                            + "(%,d of %,d delivered)", server, phase, short_, STALL.toSeconds(), delivered, perConnection * before.length));
                    return delivered;
                }
                BenchSupport.pause(5);
            }
        }

        private void checkNoMore(long[] before, long perConnection, String phase) {
            for (int i = 0; i < before.length; i++) {
                long got = all.get(i).received.get() - before[i];
                if (got > perConnection) {
                    failures.add(String.format(Locale.ROOT, "%s %s: connection %d got %d messages, %d expected (duplicates?)", server, phase,
                            i, got, perConnection));
                    return;
                }
            }
        }

        @Override
        public void close() {
            for (Client c : all) {
                c.close();
            }
            try {
                for (WebSocketClient client : clientsByAddress) {
                    client.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
                }
                vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                BenchSupport.log("closing the clients: " + e);
            }
        }
    }

    /** One connection of the load generator; its handlers run on its Vert.x event loop. */
    private final class Client {
        final Clients clients;
        final int index;
        final boolean timed;
        final AtomicLong received = new AtomicLong();
        volatile boolean open;
        volatile WebSocket socket;

        Client(Clients clients, int index, boolean timed) {
            this.clients = clients;
            this.index = index;
            this.timed = timed;
        }

        void open(Runnable settled) {
            WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(clients.port)
                    .setURI(clients.gateway ? "/ws/stream?token=" + token(index) : "/stream");
            AtomicInteger once = new AtomicInteger();
            Runnable settle = () -> {
                if (once.getAndIncrement() == 0) {
                    settled.run();
                }
            };
            clients.clientsByAddress.get(index % clients.clientsByAddress.size()).connect(options).onComplete(connected -> {
                if (connected.failed()) {
                    clients.failed.incrementAndGet();
                    clients.errors.add("connect: " + connected.cause());
                    settle.run();
                    return;
                }
                WebSocket ws = connected.result();
                socket = ws;
                open = true;
                ws.textMessageHandler(text -> onText(text, settle));
                ws.closeHandler(v -> {
                    if (open) {
                        open = false;
                        clients.closedByServer.incrementAndGet();
                        Short code = ws.closeStatusCode();
                        if (code != null && code == 1013) {
                            clients.lagging.incrementAndGet();
                        }
                    }
                    settle.run();
                });
                ws.exceptionHandler(e -> clients.errors.add("connection " + index + ": " + e));
                if (clients.gateway) {
                    ws.writeTextMessage("{\"action\":\"subscribe\",\"topics\":[\"" + TOPIC + "\"]}");
                } else {
                    clients.ready.incrementAndGet();
                    settle.run();
                }
            });
        }

        private void onText(String text, Runnable settle) {
            // change messages: the gateway's {"topic":...}, the baseline's bare envelope {"before":...}
            if (!clients.gateway || text.startsWith("{\"topic\"")) {
                received.incrementAndGet();
                clients.total.increment();
                long now = System.nanoTime();
                clients.lastDeliveryNanos.set(now);
                if (clients.firstDeliveryNanos.get() == 0) {
                    clients.firstDeliveryNanos.compareAndSet(0, now);
                }
                Histogram histogram = clients.latency;
                if (timed && histogram != null) {
                    histogram.record(text);
                }
                return;
            }
            try {
                JsonNode frame = JSON.readTree(text);
                switch (frame.path("type").asText()) {
                    case "subscribed" -> {
                        clients.ready.incrementAndGet();
                        settle.run();
                    }
                    case "error" -> {
                        clients.errors.add(text);
                        clients.failed.incrementAndGet();
                        settle.run();
                    }
                    case "lagging" -> clients.errors.add(text);
                    default -> {
                        // pong and the like
                    }
                }
            } catch (IOException e) {
                clients.errors.add("not JSON: " + text);
            }
        }

        void close() {
            WebSocket ws = socket;
            if (ws != null && open) {
                open = false;
                ws.close();
            }
        }
    }

    private static String token(int index) {
        long now = Instant.now().getEpochSecond();
        String claims = "{\"sub\":\"bench-" + index + "\",\"iat\":" + now + ",\"exp\":" + (now + 3600) + ",\"topics\":[\"" + TOPIC + "\"]}";
        try {
            Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
            String signingInput = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + '.'
                    + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return signingInput + '.' + b64.encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- latency

    /** Commit-to-client latencies from the timed connections: 10 µs buckets below 100 ms, 1 ms buckets up to 120 s. */
    private static final class Histogram {
        private static final int FINE = 10_000;
        private static final int BUCKETS = FINE + 120_000;
        private final long fromMicros;
        private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
        private final AtomicLong max = new AtomicLong();

        Histogram(long fromMicros) {
            this.fromMicros = fromMicros;
        }

        /** The row's created_at ({@code clock_timestamp()} just before the commit) against now, same clock (same machine). */
        void record(String message) {
            long now = nowMicros();
            int at = message.indexOf("\"created_at\":\"");
            if (at < 0) {
                return;
            }
            int start = at + 14;
            long created = micros(message.substring(start, message.indexOf('"', start)));
            if (created < fromMicros) {
                return;
            }
            long latency = Math.max(0, now - created);
            counts.incrementAndGet(bucket(latency));
            max.accumulateAndGet(latency, Math::max);
        }

        private static int bucket(long micros) {
            return micros < FINE * 10L ? (int) (micros / 10) : (int) Math.min(BUCKETS - 1, FINE + (micros - FINE * 10L) / 1000);
        }

        private static double middleMillis(int bucket) {
            return bucket < FINE ? (bucket * 10 + 5) / 1000.0 : (FINE * 10 + (bucket - FINE) * 1000L + 500) / 1000.0;
        }

        Percentiles percentiles() {
            long n = 0;
            for (int i = 0; i < BUCKETS; i++) {
                n += counts.get(i);
            }
            double[] wanted = {0.50, 0.95, 0.99};
            double[] values = new double[wanted.length];
            int w = 0;
            long seen = 0;
            for (int i = 0; i < BUCKETS && w < wanted.length; i++) {
                seen += counts.get(i);
                while (w < wanted.length && n > 0 && seen >= Math.ceil(wanted[w] * n)) {
                    values[w++] = middleMillis(i);
                }
            }
            return new Percentiles(n, values[0], values[1], values[2], max.get() / 1000.0);
        }
    }

    private record Percentiles(long n, double p50, double p95, double p99, double max) {
        String text() {
            return n == 0 ? "no samples" : String.format(Locale.ROOT, "p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms (n=%,d)", p50, p95, p99, max, n);
        }
    }

    private static long micros(String isoTimestamp) {
        Instant t = OffsetDateTime.parse(isoTimestamp, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        return t.getEpochSecond() * 1_000_000 + t.getNano() / 1_000;
    }

    private static long nowMicros() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000 + t.getNano() / 1_000;
    }

    // ---------------------------------------------------------------- the summary

    private void report() {
        for (int i = 0; i < loads.size(); i++) {
            for (Result r : results.values()) {
                LatencyResult l = r.latencies.get(i);
                summary.add(String.format(Locale.ROOT, "%s latency %s: %s; %,d of %,d messages delivered%s; inserts achieved %.0f/s; "
                                + "server CPU %.2f µs/message; closed by the server %d",
                        r.name, l.load, l.latency.text(), l.delivered, l.expected,
                        l.delivered < l.expected ? " (saturated: the rest not within " + drainSeconds + " s)" : "", l.insertRate,
                        l.cpuMicrosPerMessage, l.closedByServer));
            }
        }
        for (Result r : results.values()) {
            summary.add(String.format(Locale.ROOT, "%s connections: %,d of %,d open%s (in %.1f s, %.0f handshakes/s)",
                    r.name, r.connected, connections, r.name.equals("gateway") ? ", each with its own JWT, subscribed" : "",
                    r.connectSeconds, connections / r.connectSeconds));
        }
        for (Result r : results.values()) {
            int n = Math.max(1, r.connected);
            summary.add(String.format(Locale.ROOT, "%s memory: heap after full GC %.0f MB idle -> %.0f MB with %,d connections (%.1f KB/connection); "
                            + "RSS %.0f MB -> %.0f MB (%.1f KB/connection)",
                    r.name, r.heapIdle / 1e6, r.heapLoaded / 1e6, r.connected, (r.heapLoaded - r.heapIdle) / 1024.0 / n,
                    r.rssIdle / 1e6, r.rssLoaded / 1e6, (r.rssLoaded - r.rssIdle) / 1024.0 / n));
        }
        for (Result r : results.values()) {
            summary.add(String.format(Locale.ROOT, "%s fan-out: %,.0f messages/s (%,d of %,d delivered in %.2f s from commit, first after %.0f ms); "
                            + "server CPU %.2f µs/message; closed by the server %d (lagging %d)",
                    r.name, r.fanoutRate, r.fanoutDelivered, r.fanoutExpected, r.fanoutSeconds, r.fanoutFirstMs, r.fanoutCpuMicrosPerMessage,
                    r.closedByServer, r.lagging));
        }
        Result g = results.get("gateway");
        Result b = results.get("baseline");
        if (g != null && b != null) {
            StringBuilder latency = new StringBuilder();
            for (int i = 0; i < loads.size(); i++) {
                LatencyResult gl = g.latencies.get(i);
                LatencyResult bl = b.latencies.get(i);
                latency.append(String.format(Locale.ROOT, "; latency %s p50 %.2f, p99 %.2f, CPU/message %.2f", loads.get(i),
                        gl.latency.p50() / bl.latency.p50(), gl.latency.p99() / bl.latency.p99(), gl.cpuMicrosPerMessage / bl.cpuMicrosPerMessage));
            }
            summary.add(String.format(Locale.ROOT, "ratios gateway/baseline: fan-out messages/s %.2f, CPU/message %.2f; heap/connection %.2f, "
                            + "RSS/connection %.2f%s",
                    g.fanoutRate / b.fanoutRate, g.fanoutCpuMicrosPerMessage / b.fanoutCpuMicrosPerMessage,
                    (double) (g.heapLoaded - g.heapIdle) / Math.max(1, b.heapLoaded - b.heapIdle),
                    (double) (g.rssLoaded - g.rssIdle) / Math.max(1, b.rssLoaded - b.rssIdle), latency));
        }
    }
}
