package io.cdchub.bench;

import static io.cdchub.bench.BenchSupport.loadAverage;
import static io.cdchub.bench.BenchSupport.log;
import static io.cdchub.bench.BenchSupport.pause;

import io.cdchub.bench.BenchSupport.StartFailure;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.testinfra.PostgresServer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * The source benchmark: cdc-hub side by side with its peers, each in a JVM of its own, against one Kafka broker
 * (KRaft, {@code kafka.Kafka}) in a JVM of its own and the test harness's PostgreSQL 15:
 * <ol>
 * <li>{@code cdc-hub}: {@code java -cp <classes>:<runtime classpath> io.cdchub.CdcHubApplication}, source only;</li>
 * <li>{@code connect-stock} and {@code connect-tuned}: Debezium 3.4's PostgreSQL connector on Kafka Connect 3.9.1
 *     standalone, with the defaults and tuned ({@code poll.interval.ms=10}, producer {@code linger.ms=5},
 *     {@code batch.size=262144});</li>
 * <li>{@code engine}: Debezium's embedded engine with JsonConverter and a plain producer, as Debezium Server
 *     ({@link DebeziumEngineProducer});</li>
 * <li>{@code raw}: {@code pg_recvlogical} (pgoutput) decoding the bulk transaction, the limit.</li>
 * </ol>
 * Each system captures table {@code bench.item} of a database of its own (so an idle system's walsender skips the
 * others' WAL records instead of decoding them) into a topic of its own. All are started one after the other and
 * warmed up; then each repetition runs, system by system in an order that rotates between repetitions, one bulk
 * transaction and then one steady phase per system. Every system but the one being started or measured is suspended
 * ({@code SIGSTOP}), so idle systems take no CPU from it, and CPU is read from {@code /proc/<pid>/stat} before and
 * after each phase.
 *
 * <p>A plain {@code main}, not a test: bench/source-benchmark.sh runs it. Figures are printed, never asserted; the
 * exit status is non-zero only when a system or a server did not start or failed, or an inserted row's event never
 * arrived. See bench/README.md.
 *
 * <p>Knobs (system properties; the defaults are the benchmark): {@code bench.rows} (100000), {@code bench.repetitions}
 * (3), {@code bench.rate} (1000 inserts/s), {@code bench.latency.seconds} (30), {@code bench.warmup.seconds} (2),
 * {@code bench.warmup.rows} (50000), {@code bench.synchronous-commit} (on), {@code bench.heap} (1g),
 * {@code bench.systems} (cdc-hub,connect-stock,connect-tuned,engine,raw). Arguments {@code key=value} are extra
 * cdc-hub settings, e.g. {@code cdc.source.poll-interval=50ms}. The script passes the class folders and the
 * classpath files ({@code bench.classes}, {@code bench.test-classes}, {@code bench.runtime-classpath},
 * {@code bench.connect-classpath}).
 */
public final class SourceBenchmark {

    private static final int ROWS = Integer.getInteger("bench.rows", 100_000);
    private static final int REPETITIONS = Integer.getInteger("bench.repetitions", 3);
    /** Enough for the JIT to settle: with 10,000 the first repetition still ran ~40% slower than the third. */
    private static final int WARMUP_ROWS = Integer.getInteger("bench.warmup.rows", Math.min(50_000, ROWS));
    private static final int RATE = Integer.getInteger("bench.rate", 1_000);
    private static final int STEADY_SECONDS = Integer.getInteger("bench.latency.seconds", 30);
    private static final int STEADY_WARMUP_SECONDS = Integer.getInteger("bench.warmup.seconds", 2);
    /**
     * synchronous_commit of the benchmark's writing sessions, 'on' (PostgreSQL's default, and the harness
     * server's; with fsync=off a flush is only a write). With 'off' a commit reaches the WAL senders only
     * when the WAL writer flushes it (up to wal_writer_delay, 200 ms, later): that wait would be measured
     * as capture latency.
     */
    private static final String SYNCHRONOUS_COMMIT = System.getProperty("bench.synchronous-commit", "on");
    private static final String HEAP = System.getProperty("bench.heap", "1g");
    /** cdc-hub's extracted jar and its class-data-sharing archive (the image's launch); null: classes + classpath. */
    private static final String HUB_JAR = System.getProperty("bench.hub-jar");
    private static final String HUB_CDS_ARCHIVE = System.getProperty("bench.hub-cds-archive");
    private static final List<String> SYSTEMS = List.of(System.getProperty("bench.systems", "cdc-hub,connect-stock,connect-tuned,engine,raw")
            .split("\\s*,\\s*"));
    private static final Path OUT = Path.of(System.getProperty("bench.out", "target/bench"));

    /** A run is bounded: whatever happens, the JVM exits (and its shutdown hooks stop the servers and systems) after this. */
    private static final Duration WATCHDOG = Duration.ofMinutes(Integer.getInteger("bench.watchdog.minutes", 25));
    /** Give up waiting for events when none arrived for this long. */
    private static final Duration STALL = Duration.ofSeconds(30);
    /** A system's start-up: from launch until its replication slot streams. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
    /** After a phase's last event, before its CPU is read: work a system does right after delivering (offset commits) counts too. */
    private static final long SETTLE_MILLIS = 1000;
    /**
     * Suspend (SIGSTOP) every system but the one being started or measured, so that idle systems' timers and poll
     * loops take no CPU from it; a resumed system gets {@link #RESUME_MILLIS} to catch up on its timers, unmeasured,
     * before its phase.
     */
    private static final boolean SUSPEND_IDLE = Boolean.parseBoolean(System.getProperty("bench.suspend-idle", "true"));
    private static final long RESUME_MILLIS = 2000;
    private static final String TABLE = "bench.item";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> summary = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final Map<String, String> extraSettings;
    private final List<SystemRun> systems = new ArrayList<>();
    private PostgresServer postgres;
    private ChildProcess broker;
    private String bootstrap;
    private Path workDir;
    private Path recvlogical;
    private String loadAtStart;
    private long eventsExpected;
    private long eventsReceived;
    private long duplicates;
    private boolean startFailed;
    private long brokerCpuAtEnd = -1;
    private long brokerRssAtEnd = -1;

    private SourceBenchmark(Map<String, String> extraSettings) {
        this.extraSettings = extraSettings;
    }

    /** Exit status: 0 done, 1 events missing or a phase failed, 2 a system or the servers did not start, 3 watchdog. */
    public static void main(String[] args) {
        Map<String, String> extra = BenchSupport.startWatchdogAndReadSettings(args, WATCHDOG);
        int status = new SourceBenchmark(extra).run();
        System.exit(status);
    }

    private int run() {
        int status;
        long started = System.nanoTime();
        loadAtStart = loadAverage();
        try {
            status = runPhases();
        } catch (StartFailure e) {
            failures.add(e.getMessage());
            status = 2;
        } catch (Exception e) {
            e.printStackTrace();
            failures.add("unexpected " + e);
            status = 1;
        }
        try {
            report(started);
        } catch (RuntimeException e) {
            e.printStackTrace();
            failures.add("report failed: " + e);
            status = Math.max(status, 1);
        }
        stopAll();
        printSummary(status);
        return status;
    }

    private int runPhases() throws Exception {
        startServers();
        for (String name : SYSTEMS) {
            systems.add(new SystemRun(name));
        }
        createDatabases();
        for (SystemRun s : systems) {
            if (s.kind != Kind.RAW) {
                startAndWarmUp(s);
            }
        }
        for (int rep = 1; rep <= REPETITIONS; rep++) {
            List<SystemRun> order = order(rep);
            log("repetition " + rep + " of " + REPETITIONS + ", order " + order.stream().map(s -> s.name).collect(Collectors.joining(", ")));
            for (SystemRun s : order) {
                if (s.usable()) {
                    if (s.kind == Kind.RAW) {
                        rawBulk(s, rep);
                    } else if (resume(s)) {
                        bulk(s, rep);
                        suspend(s);
                    }
                }
            }
            for (SystemRun s : order) {
                if (s.usable() && s.kind != Kind.RAW && resume(s)) {
                    steady(s, rep);
                    suspend(s);
                }
            }
        }
        for (SystemRun s : systems) {
            if (s.process != null && s.process.isAlive()) {
                s.rssAtEnd = ProcStat.rssBytes(s.process.pid());
                s.cpuAtEnd = ProcStat.cpuNanos(s.process.pid());
                s.lifeAtEndNanos = System.nanoTime() - s.process.startedNanos;
            } else if (s.process != null && s.failure == null) {
                s.fail("the process ended (exit " + s.process.process.exitValue() + ") before the end; see " + s.process.log);
            }
        }
        brokerCpuAtEnd = ProcStat.cpuNanos(broker.pid());
        brokerRssAtEnd = ProcStat.rssBytes(broker.pid());
        if (startFailed) {
            return 2;
        }
        return failures.isEmpty() && systems.stream().allMatch(s -> s.failure == null) ? 0 : 1;
    }

    /** Suspends the system (when {@link #SUSPEND_IDLE}) until its next phase. */
    private void suspend(SystemRun s) {
        if (SUSPEND_IDLE && s.process != null && s.process.isAlive()) {
            try {
                s.process.suspend();
                s.suspended = true;
            } catch (IOException | InterruptedException e) {
                s.fail("could not be suspended: " + e.getMessage());
            }
        }
    }

    /** Resumes a suspended system and lets it catch up; false when that failed. */
    private boolean resume(SystemRun s) {
        if (!s.suspended) {
            return true;
        }
        try {
            s.process.resume();
            s.suspended = false;
            pause(RESUME_MILLIS);
            return s.usable();
        } catch (IOException | InterruptedException e) {
            s.fail("could not be resumed: " + e.getMessage());
            return false;
        }
    }

    /** The systems in the order of a repetition: rotated by one each repetition, so each leads once in turn. */
    private List<SystemRun> order(int rep) {
        List<SystemRun> order = new ArrayList<>(systems);
        java.util.Collections.rotate(order, -((rep - 1) % Math.max(1, order.size())));
        return order;
    }

    // ---------------------------------------------------------------- the systems

    enum Kind { CDC_HUB, CONNECT_STOCK, CONNECT_TUNED, ENGINE, RAW }

    /** One system under test: its database, slot and topic, its process, and its figures. */
    final class SystemRun {
        final String name;
        final Kind kind;
        /** Database, slot, topic prefix: {@code bench_<key>}, {@code bench_<key>}, {@code <key>}. */
        final String key;
        ChildProcess process;
        boolean suspended;
        String topic;
        List<TopicPartition> partitions;
        String failure;
        long nextId = 1;
        double startupSeconds = Double.NaN;
        long startupCpuNanos = -1; // launch, start-up and warm-up
        long cpuAtEnd = -1;
        long rssAtEnd = -1;
        long lifeAtEndNanos;
        /** Wall time of start-up, warm-up and the measured phases: the rest of its life the system was idle. */
        long measuredWallNanos;
        final double[] bulkRate = filled();
        final double[] bulkCpuMicrosPerEvent = filled();
        final double[] p50 = filled();
        final double[] p99 = filled();
        final double[] p50Commit = filled();
        final double[] p99Commit = filled();
        final double[] phaseCpuSeconds = filled();
        final double[] cpuMicrosPerEvent = filled();
        final double[] brokerCpuSeconds = filled();
        final double[] walsenderCpuSeconds = filled();
        final long[] bulkCpu = new long[REPETITIONS];
        final long[] steadyCpu = new long[REPETITIONS];
        final long[] steadyEvents = new long[REPETITIONS];
        final long[] bulkBroker = new long[REPETITIONS];
        final long[] bulkWalsender = new long[REPETITIONS];
        final List<String> details = new ArrayList<>();

        SystemRun(String name) throws StartFailure {
            this.name = name;
            switch (name) {
                case "cdc-hub" -> {
                    kind = Kind.CDC_HUB;
                    key = "hub";
                }
                case "connect-stock" -> {
                    kind = Kind.CONNECT_STOCK;
                    key = "stock";
                }
                case "connect-tuned" -> {
                    kind = Kind.CONNECT_TUNED;
                    key = "tuned";
                }
                case "engine" -> {
                    kind = Kind.ENGINE;
                    key = "engine";
                }
                case "raw" -> {
                    kind = Kind.RAW;
                    key = "raw";
                }
                default -> throw new StartFailure("unknown system '" + name + "' in bench.systems (cdc-hub, connect-stock, connect-tuned, engine, raw)");
            }
        }

        String db() {
            return "bench_" + key;
        }

        String slot() {
            return "bench_" + key;
        }

        boolean usable() {
            return failure == null && (kind == Kind.RAW || process != null && process.isAlive());
        }

        /** Records the system's (first) failure; its process, if any, is stopped so it takes no CPU from the others. */
        void fail(String message) {
            if (failure == null) {
                failure = message;
                failures.add(name + ": " + message);
                log("FAILED " + name + ": " + message);
                if (process != null && process.isAlive()) {
                    process.stop(5);
                }
            }
        }

        long pid() {
            return process == null ? -1 : process.pid();
        }
    }

    private static double[] filled() {
        double[] a = new double[REPETITIONS];
        Arrays.fill(a, Double.NaN);
        return a;
    }

    // ---------------------------------------------------------------- set-up

    private void startServers() throws StartFailure {
        log("starting PostgreSQL (test harness) and the Kafka broker (kafka.Kafka in its own JVM)");
        try {
            postgres = PostgresServer.shared();
            workDir = Files.createTempDirectory("cdc-hub-bench-");
            recvlogical = findRecvlogical();
        } catch (Exception e) {
            throw new StartFailure("PostgreSQL did not start: " + e.getMessage());
        }
        try {
            startBroker();
        } catch (Exception e) {
            throw new StartFailure("the Kafka broker did not start: " + e.getMessage()
                    + (broker == null ? "" : System.lineSeparator() + broker.logTail(30)));
        }
    }

    private void startBroker() throws Exception {
        Path dir = workDir.resolve("kafka");
        Path logs = dir.resolve("log");
        Files.createDirectories(logs);
        int port = freePort();
        int controllerPort = freePort();
        new Formatter()
                .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
                .setNodeId(1)
                .setClusterId(Uuid.randomUuid().toString())
                .setDirectories(List.of(logs.toString()))
                .setMetadataLogDirectory(logs.toString())
                .setControllerListenerName("CONTROLLER")
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .run();
        // the quick start's single-node settings: one configuration for both
        Map<String, String> p = new LinkedHashMap<>();
        io.cdchub.embedded.EmbeddedKafkaServer.singleNodeSettings(port, controllerPort, logs).forEach((k, v) -> p.put((String) k, (String) v));
        p.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
        Path config = dir.resolve("server.properties");
        writeProperties(config, p);
        Path logback = writeLogback(dir, "WARN");
        List<String> command = new ArrayList<>(List.of(ChildProcess.javaBin(), "-Xmx" + HEAP, "-Djava.io.tmpdir=" + dir,
                "-Dlogback.configurationFile=" + logback, "-cp", ChildProcess.classpath(List.of(), runtimeClasspathFile()),
                "kafka.Kafka", config.toString()));
        broker = ChildProcess.start("kafka", command, dir, OUT.resolve("source-benchmark-kafka.log"), List.of());
        bootstrap = "127.0.0.1:" + port;
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            if (!broker.isAlive()) {
                throw new IllegalStateException("kafka.Kafka exited with " + broker.process.exitValue());
            }
            try (KafkaConsumer<byte[], byte[]> c = consumer("bench-broker-check")) {
                c.listTopics(Duration.ofSeconds(2));
                break;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("not answering on " + bootstrap + " within 90 s: " + e);
                }
            }
            pause(200);
        }
        log(String.format(Locale.ROOT, "Kafka broker up on %s (pid %d) after %.1f s", bootstrap, broker.pid(), (System.nanoTime() - broker.startedNanos) / 1e9));
    }

    private void createDatabases() throws SQLException {
        postgres.execute("postgres", "DROP TABLE IF EXISTS bench_tick");
        for (SystemRun s : systems) {
            postgres.createDatabase(s.db());
            postgres.execute(s.db(),
                    "DROP SCHEMA IF EXISTS bench CASCADE",
                    "CREATE SCHEMA bench",
                    "CREATE TABLE " + TABLE + " (id bigint PRIMARY KEY, account int NOT NULL, amount numeric(12,2) NOT NULL,"
                            + " label text NOT NULL, created_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                    "DROP TABLE IF EXISTS public.bench_tick",
                    "CREATE TABLE public.bench_tick (n int)");
            if (s.kind == Kind.RAW) {
                postgres.execute(s.db(), "CREATE PUBLICATION bench_raw_pub FOR TABLE " + TABLE);
            }
        }
    }

    private void startAndWarmUp(SystemRun s) {
        log("starting " + s.name);
        try {
            s.process = launch(s);
        } catch (Exception e) {
            s.fail("could not be launched: " + e);
            startFailed = true;
            return;
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!"1".equals(queryText("postgres", "SELECT count(*)::text FROM pg_replication_slots WHERE slot_name = '" + s.slot() + "' AND active"))) {
            if (!s.process.isAlive() || System.nanoTime() > deadline) {
                s.fail((s.process.isAlive() ? "its replication slot " + s.slot() + " was not streaming within " + START_TIMEOUT.toSeconds() + " s"
                        : "exited with " + s.process.process.exitValue() + " during start-up") + "; log " + s.process.log + ":"
                        + System.lineSeparator() + s.process.logTail(25));
                startFailed = true;
                return;
            }
            pause(100);
        }
        s.startupSeconds = (System.nanoTime() - s.process.startedNanos) / 1e9;
        log(String.format(Locale.ROOT, "%s streaming after %.1f s (pid %d); warm-up: %,d rows", s.name, s.startupSeconds, s.pid(), WARMUP_ROWS));

        long base = s.nextId - 1;
        s.nextId += WARMUP_ROWS;
        try (KafkaConsumer<byte[], byte[]> consumer = consumer("bench-warmup-" + s.key)) {
            postgres.execute(s.db(), bulkInsertSql(base, WARMUP_ROWS));
            s.topic = awaitTopic(consumer, s);
            if (s.topic == null) {
                return;
            }
            s.partitions = consumer.partitionsFor(s.topic).stream().map(p -> new TopicPartition(s.topic, p.partition())).toList();
            consumer.assign(s.partitions);
            consumer.seekToBeginning(s.partitions);
            Count count = countIds(consumer, base, WARMUP_ROWS, s.process::isAlive);
            account(s, count, WARMUP_ROWS, "warm-up");
        }
        pause(SETTLE_MILLIS);
        s.startupCpuNanos = ProcStat.cpuNanos(s.pid());
        s.measuredWallNanos = System.nanoTime() - s.process.startedNanos;
        suspend(s);
        log(String.format(Locale.ROOT, "%s warmed up: topic %s; CPU so far %.1f s", s.name, s.topic, s.startupCpuNanos / 1e9));
    }

    private ChildProcess launch(SystemRun s) throws IOException {
        Path dir = workDir.resolve(s.key);
        Files.createDirectories(dir);
        Path log = OUT.resolve("source-benchmark-" + s.name + ".log");
        List<String> jvm = new ArrayList<>(List.of(ChildProcess.javaBin(), "-Xmx" + HEAP, "-Djava.io.tmpdir=" + dir));
        switch (s.kind) {
            case CDC_HUB -> {
                Path classes = Path.of(System.getProperty("bench.classes", "target/classes"));
                Path yaml = dir.resolve("application.yaml");
                Files.writeString(yaml, yaml(cdcHubSettings(s, dir)));
                if (HUB_JAR != null) { // as the container image runs it: the extracted jar and its CDS archive
                    jvm.addAll(List.of("-XX:SharedArchiveFile=" + HUB_CDS_ARCHIVE, "-jar", HUB_JAR));
                } else {
                    jvm.addAll(List.of("-cp", ChildProcess.classpath(List.of(classes), runtimeClasspathFile()), "io.cdchub.CdcHubApplication"));
                }
                // the jar's defaults plus the benchmark's file only: no ./config/application.yaml of a developer
                jvm.add("--spring.config.location=classpath:/application.yaml,file:" + yaml);
                // command-line arguments outrank environment variables; CDC_* variables are dropped anyway
                extraSettings.forEach((k, v) -> jvm.add("--" + k + "=" + v));
                return ChildProcess.start(s.name, jvm, dir, log, List.of("CDC_", "SPRING_"));
            }
            case CONNECT_STOCK, CONNECT_TUNED -> {
                Path worker = dir.resolve("worker.properties");
                Path connector = dir.resolve("connector.properties");
                writeProperties(worker, connectWorker(s, dir));
                writeProperties(connector, connector(s));
                Path log4j = dir.resolve("connect-log4j.properties");
                // as Kafka's config/connect-log4j.properties, to stdout only
                Files.writeString(log4j, String.join(System.lineSeparator(),
                        "log4j.rootLogger=INFO, stdout",
                        "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
                        "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
                        "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %X{connector.context}%m (%c:%L)%n",
                        "log4j.logger.org.reflections=ERROR", ""));
                jvm.addAll(List.of("-Dlog4j.configuration=file:" + log4j, "-cp", ChildProcess.classpath(List.of(), connectClasspathFile()),
                        "org.apache.kafka.connect.cli.ConnectStandalone", worker.toString(), connector.toString()));
                return ChildProcess.start(s.name, jvm, dir, log, List.of());
            }
            case ENGINE -> {
                Path props = dir.resolve("engine.properties");
                writeProperties(props, engineSettings(s, dir));
                Path logback = writeLogback(dir, "INFO");
                Path testClasses = Path.of(System.getProperty("bench.test-classes", "target/test-classes"));
                jvm.addAll(List.of("-Dlogback.configurationFile=" + logback, "-cp", ChildProcess.classpath(List.of(testClasses), runtimeClasspathFile()),
                        DebeziumEngineProducer.class.getName(), props.toString()));
                return ChildProcess.start(s.name, jvm, dir, log, List.of());
            }
            default -> throw new IllegalStateException(s.name + " has no process");
        }
    }

    /** cdc-hub's settings: the harness's servers, one table, source only (sinks, gateway, aggregation, Connect API off). */
    private Map<String, String> cdcHubSettings(SystemRun s, Path dir) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cdc.kafka.bootstrap-servers", bootstrap);
        m.put("cdc.source.database.hostname", "127.0.0.1");
        m.put("cdc.source.database.port", String.valueOf(postgres.port()));
        m.put("cdc.source.database.dbname", s.db());
        m.put("cdc.source.database.user", PostgresServer.USER);
        m.put("cdc.source.database.sslmode", "disable");
        m.put("cdc.source.tables", "bench\\.item");
        m.put("cdc.source.slot", s.slot());
        m.put("cdc.source.name", "bench-" + s.key);
        m.put("cdc.topic-prefix", s.key);
        m.put("cdc.dlq.topic", s.key + ".dlq");
        m.put("cdc.data-dir", dir.resolve("data").toString());
        m.put("server.port", "0");
        m.put("cdc.admin.token", "bench-admin-token-0123456789");
        m.put("cdc.admin.connect-port", "-1");
        m.put("cdc.admin.run-connectors", "false");
        m.put("cdc.aggregation.enabled", "false");
        m.put("cdc.gateway.enabled", "false");
        m.put("cdc.sink.clickhouse.enabled", "false");
        m.put("cdc.sink.elasticsearch.enabled", "false");
        m.put("cdc.cluster.leader-election.enabled", "false");
        return m;
    }

    private Map<String, String> connectWorker(SystemRun s, Path dir) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("bootstrap.servers", bootstrap);
        m.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
        m.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        m.put("key.converter.schemas.enable", "false");
        m.put("value.converter.schemas.enable", "false");
        m.put("offset.storage.file.filename", dir.resolve("connect.offsets").toString());
        m.put("listeners", "http://127.0.0.1:" + freePort());
        m.put("producer.acks", "all"); // Connect's default for source tasks, stated
        if (s.kind == Kind.CONNECT_TUNED) {
            m.put("producer.linger.ms", "5");
            m.put("producer.batch.size", "262144");
        }
        return m;
    }

    private Map<String, String> connector(SystemRun s) {
        Map<String, String> m = debeziumConnection(s);
        m.put("name", "bench-" + s.key);
        m.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        m.put("tasks.max", "1");
        if (s.kind == Kind.CONNECT_TUNED) {
            m.put("poll.interval.ms", "10");
        }
        return m;
    }

    private Map<String, String> debeziumConnection(SystemRun s) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("database.hostname", "127.0.0.1");
        m.put("database.port", String.valueOf(postgres.port()));
        m.put("database.user", PostgresServer.USER);
        m.put("database.dbname", s.db());
        m.put("topic.prefix", s.key);
        m.put("plugin.name", "pgoutput");
        m.put("slot.name", s.slot());
        m.put("table.include.list", TABLE);
        return m;
    }

    private Map<String, String> engineSettings(SystemRun s, Path dir) {
        Map<String, String> m = new LinkedHashMap<>();
        debeziumConnection(s).forEach((k, v) -> m.put("engine." + k, v));
        m.put("engine.name", "bench-" + s.key);
        m.put("engine.connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        m.put("engine.offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
        m.put("engine.offset.storage.file.filename", dir.resolve("engine.offsets").toString());
        m.put("engine.poll.interval.ms", "10");
        m.put("producer.bootstrap.servers", bootstrap);
        m.put("producer.client.id", "bench-" + s.key);
        m.put("producer.acks", "all");
        m.put("producer.linger.ms", "5");
        m.put("producer.batch.size", "262144");
        return m;
    }

    private static String yaml(Map<String, String> settings) {
        StringBuilder y = new StringBuilder("# written by io.cdchub.bench.SourceBenchmark: source only, the harness's servers\n");
        settings.forEach((k, v) -> y.append(k).append(": '").append(v.replace("'", "''")).append("'\n"));
        return y.toString();
    }

    private static void writeProperties(Path file, Map<String, String> settings) throws IOException {
        StringBuilder p = new StringBuilder();
        settings.forEach((k, v) -> p.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        Files.writeString(file, p.toString());
    }

    private static Path writeLogback(Path dir, String rootLevel) throws IOException {
        Path file = dir.resolve("logback.xml");
        Files.writeString(file, """
                <configuration>
                    <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                        <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
                    </appender>
                    <root level="ROOT_LEVEL"><appender-ref ref="OUT"/></root>
                    <logger name="org.apache.kafka" level="WARN"/>
                    <logger name="kafka" level="WARN"/>
                    <logger name="state.change.logger" level="WARN"/>
                </configuration>
                """.replace("ROOT_LEVEL", rootLevel));
        return file;
    }

    private static Path runtimeClasspathFile() {
        return Path.of(System.getProperty("bench.runtime-classpath", "target/bench/runtime-classpath.txt"));
    }

    private static Path connectClasspathFile() {
        return Path.of(System.getProperty("bench.connect-classpath", "target/bench/connect-classpath.txt"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    // ---------------------------------------------------------------- bulk

    private static String bulkInsertSql(long base, int rows) {
        return "INSERT INTO " + TABLE + " (id, account, amount, label, created_at)"
                + " SELECT " + base + " + g, g % 1000, (g % 100000) / 100.0, 'row ' || g, now() FROM generate_series(1, " + rows + ") g";
    }

    /** Phase readings: the system's, the broker's and the system's walsender's CPU. */
    private record Cpu(long system, long broker, long walsenderPid, long walsender, long nanos) {
    }

    private Cpu readCpu(SystemRun s) {
        String pid = queryText("postgres", "SELECT active_pid::text FROM pg_replication_slots WHERE slot_name = '" + s.slot() + "'");
        long walsender = pid == null ? -1 : Long.parseLong(pid);
        return new Cpu(ProcStat.cpuNanos(s.pid()), ProcStat.cpuNanos(broker.pid()), walsender, ProcStat.cpuNanos(walsender), System.nanoTime());
    }

    private void bulk(SystemRun s, int rep) throws Exception {
        int i = rep - 1;
        long base = s.nextId - 1;
        s.nextId += ROWS;
        try (KafkaConsumer<byte[], byte[]> consumer = consumer("bench-bulk-" + s.key)) {
            consumer.assign(s.partitions);
            consumer.seekToEnd(s.partitions);
            s.partitions.forEach(consumer::position); // resolve now, not after the commit
            long commitNanos;
            Cpu before;
            double insertSeconds;
            try (Connection c = postgres.dataSource(s.db()).getConnection(); Statement st = c.createStatement()) {
                st.execute("SET synchronous_commit = " + SYNCHRONOUS_COMMIT);
                c.setAutoCommit(false);
                long t = System.nanoTime();
                st.executeUpdate(bulkInsertSql(base, ROWS));
                insertSeconds = (System.nanoTime() - t) / 1e9;
                before = readCpu(s);
                commitNanos = System.nanoTime();
                c.commit();
            }
            Count count = countIds(consumer, base, ROWS, s.process::isAlive);
            account(s, count, ROWS, "bulk rep " + rep);
            if (count.distinct < ROWS) {
                return;
            }
            double seconds = (count.lastNanos - commitNanos) / 1e9;
            pause(SETTLE_MILLIS);
            Cpu after = readCpu(s);
            s.measuredWallNanos += after.nanos - before.nanos;
            s.bulkRate[i] = ROWS / seconds;
            s.bulkCpu[i] = after.system - before.system;
            s.bulkCpuMicrosPerEvent[i] = s.bulkCpu[i] / 1e3 / ROWS;
            s.bulkBroker[i] = after.broker - before.broker;
            s.bulkWalsender[i] = before.walsenderPid == after.walsenderPid && before.walsender >= 0 ? after.walsender - before.walsender : -1;
            String lastCheck = checkLast(count.last, base + ROWS);
            String line = String.format(Locale.ROOT, "bulk rep %d %s: %,.0f events/s (%.3f s commit to last event read, first after %.0f ms;"
                            + " INSERT %.2f s before the commit), CPU %.2f s (%.1f µs/event), broker CPU %.2f s, walsender CPU %s; load %s%s",
                    rep, s.name, s.bulkRate[i], seconds, (count.firstNanos - commitNanos) / 1e6, insertSeconds, s.bulkCpu[i] / 1e9,
                    s.bulkCpuMicrosPerEvent[i], s.bulkBroker[i] / 1e9, s.bulkWalsender[i] < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f s", s.bulkWalsender[i] / 1e9),
                    loadAverage(), lastCheck.isEmpty() ? "" : "; last event " + lastCheck);
            s.details.add(line);
            log(line);
        }
    }

    /** Parses the last record read (the only one parsed): the transaction's last row. */
    private static String checkLast(ConsumerRecord<byte[], byte[]> last, long id) {
        if (last == null || last.value() == null) {
            return "MISMATCH: the last record has no value";
        }
        try {
            JsonNode v = JSON.readTree(last.value());
            List<String> problems = new ArrayList<>();
            if (!"c".equals(v.path("op").asText())) {
                problems.add("op=" + v.path("op"));
            }
            if (v.path("after").path("id").asLong() != id) {
                problems.add("after.id=" + v.path("after").path("id") + " (expected " + id + ")");
            }
            if (!"item".equals(v.path("source").path("table").asText())) {
                problems.add("source.table=" + v.path("source").path("table"));
            }
            if (v.path("after").path("amount").isMissingNode() || !v.path("after").path("created_at").isTextual()) {
                problems.add("after=" + v.path("after"));
            }
            return problems.isEmpty() ? "" : "MISMATCH " + String.join(", ", problems);
        } catch (IOException e) {
            return "MISMATCH: not JSON: " + e.getMessage();
        }
    }

    // ---------------------------------------------------------------- counting events

    /** What a counting read saw: ids base+1..base+n from the record keys, without parsing the values. */
    private static final class Count {
        final BitSet seen;
        int distinct;
        long records;
        long duplicates;
        long others;
        long firstNanos;
        long lastNanos;
        ConsumerRecord<byte[], byte[]> last;

        Count(int n) {
            seen = new BitSet(n + 1);
        }
    }

    /** Reads until every id base+1..base+n has been seen, or nothing new arrived for {@link #STALL}, or the system died. */
    private static Count countIds(KafkaConsumer<byte[], byte[]> consumer, long base, int n, BooleanSupplier alive) {
        Count count = new Count(n);
        long lastProgress = System.nanoTime();
        while (count.distinct < n) {
            ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
            long now = System.nanoTime();
            if (records.isEmpty()) {
                if (now - lastProgress > STALL.toNanos() || !alive.getAsBoolean()) {
                    break;
                }
                continue;
            }
            lastProgress = now;
            if (count.records == 0) {
                count.firstNanos = now;
            }
            for (ConsumerRecord<byte[], byte[]> r : records) {
                count.records++;
                long id = keyId(r.key()) - base;
                if (id < 1 || id > n || r.value() == null) {
                    count.others++;
                    continue;
                }
                if (count.seen.get((int) id)) {
                    count.duplicates++;
                } else {
                    count.seen.set((int) id);
                    count.distinct++;
                }
                count.last = r;
            }
            count.lastNanos = now;
        }
        return count;
    }

    /** The id of a key {@code {"id":123}} without a JSON parser; -1 when it is not such a key. */
    static long keyId(byte[] key) {
        if (key == null) {
            return -1;
        }
        long id = 0;
        int digits = 0;
        for (byte b : key) {
            if (b >= '0' && b <= '9') {
                id = id * 10 + (b - '0');
                digits++;
            } else if (digits > 0) {
                break;
            }
        }
        return digits == 0 || digits > 18 ? -1 : id;
    }

    private void account(SystemRun s, Count count, int expected, String phase) {
        eventsExpected += expected;
        eventsReceived += count.distinct;
        duplicates += count.duplicates;
        if (count.duplicates > 0 || count.others > 0) {
            s.details.add(String.format(Locale.ROOT, "%s %s: %,d duplicate record(s), %,d unexpected record(s) besides the %,d events", phase,
                    s.name, count.duplicates, count.others, count.distinct));
        }
        if (count.distinct < expected) {
            s.fail(String.format(Locale.ROOT, "%s: %,d of %,d events missing after waiting %d s without progress%s; missing ids (minus %,d) %s",
                    phase, expected - count.distinct, expected, STALL.toSeconds(), s.process.isAlive() ? "" : " (the process ended)",
                    s.nextId - 1 - expected, missingRanges(count.seen, expected)));
        }
    }

    private static String missingRanges(BitSet seen, int n) {
        List<String> ranges = new ArrayList<>();
        int i = seen.nextClearBit(1);
        while (i <= n && ranges.size() < 10) {
            int end = Math.min(seen.nextSetBit(i) < 0 ? n + 1 : seen.nextSetBit(i), n + 1) - 1;
            ranges.add(i == end ? String.valueOf(i) : i + "-" + end);
            i = seen.nextClearBit(end + 1);
        }
        return String.join(", ", ranges) + (i <= n ? ", ..." : "");
    }

    // ---------------------------------------------------------------- raw baseline

    private record RawRun(double seconds, int exit, long bytes, Map<Character, Integer> messages, String error) {
        boolean ok() {
            return exit == 0 && error == null && messages.getOrDefault('I', 0) == ROWS;
        }

        String describe() {
            if (exit != 0 || error != null) {
                return "FAILED: exit " + exit + (error == null ? "" : ", " + error);
            }
            int inserts = messages.getOrDefault('I', 0);
            return String.format(Locale.ROOT, "%,d inserts decoded%s", inserts, inserts == ROWS ? "" : " - EXPECTED " + ROWS);
        }
    }

    /**
     * pg_recvlogical decodes a bulk transaction of its own database on a fresh slot, from process start to exit
     * (connection set-up included), stopping by itself at the LSN after the commit.
     */
    private void rawBulk(SystemRun s, int rep) throws IOException, InterruptedException {
        int i = rep - 1;
        long base = s.nextId - 1;
        s.nextId += ROWS;
        runRecvlogical(s, "--create-slot", "-P", "pgoutput");
        String endLsn;
        try (Connection c = postgres.dataSource(s.db()).getConnection(); Statement st = c.createStatement()) {
            st.execute("SET synchronous_commit = " + SYNCHRONOUS_COMMIT);
            c.setAutoCommit(false);
            st.executeUpdate(bulkInsertSql(base, ROWS));
            c.commit();
            c.setAutoCommit(true);
            // the insert position, at or past the end of the commit record
            try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
                rs.next();
                endLsn = rs.getString(1);
            }
            // a WAL record after that position (an unpublished table): the walsender then always moves past --endpos
            // and pg_recvlogical stops by itself
            st.execute("INSERT INTO public.bench_tick VALUES (1)");
        } catch (SQLException e) {
            s.fail("bulk rep " + rep + ": " + e.getMessage());
            return;
        }
        RawRun run = rawDecode(s, endLsn);
        postgres.execute("postgres", "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + s.slot() + "'");
        eventsExpected += ROWS;
        eventsReceived += run.messages.getOrDefault('I', 0);
        if (!run.ok()) {
            s.fail("bulk rep " + rep + ": " + run.describe());
            return;
        }
        s.bulkRate[i] = ROWS / run.seconds;
        String line = String.format(Locale.ROOT, "bulk rep %d raw pg_recvlogical: %,.0f events/s (%.3f s process start to exit, %s, %,d bytes); load %s",
                rep, s.bulkRate[i], run.seconds, run.describe(), run.bytes, loadAverage());
        s.details.add(line);
        log(line);
    }

    private RawRun rawDecode(SystemRun s, String endLsn) throws IOException, InterruptedException {
        Path out = workDir.resolve("recvlogical.out");
        Files.deleteIfExists(out);
        List<String> command = recvlogicalCommand(s, "--start", "--no-loop", "-f", out.toString(), "-F", "0",
                "-o", "proto_version=1", "-o", "publication_names=bench_raw_pub", "--endpos=" + endLsn);
        Path err = workDir.resolve("recvlogical.err");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(err.toFile()).start();
        boolean exited = p.waitFor(120, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (!exited) {
            p.destroyForcibly().waitFor();
            return new RawRun(seconds, -1, 0, Map.of(), "did not stop within 120 s");
        }
        long bytes = Files.exists(out) ? Files.size(out) : 0;
        String error = p.exitValue() == 0 ? null : Files.readString(err).strip();
        Map<Character, Integer> messages = new HashMap<>();
        if (error == null) {
            try {
                messages = countPgoutputMessages(out);
            } catch (IOException e) {
                error = "output not readable as pgoutput: " + e.getMessage();
            }
        }
        Files.deleteIfExists(out);
        return new RawRun(seconds, p.exitValue(), bytes, messages, error);
    }

    /**
     * Counts pgoutput (protocol 1) messages by type in pg_recvlogical's output, where each message is
     * followed by a newline. Only read after the timing, to prove the baseline decoded every row.
     */
    static Map<Character, Integer> countPgoutputMessages(Path file) throws IOException {
        Map<Character, Integer> counts = new HashMap<>();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            while (true) {
                int type = in.read();
                if (type < 0) {
                    return counts;
                }
                switch (type) {
                    case 'B' -> in.skipNBytes(8 + 8 + 4);
                    case 'C' -> in.skipNBytes(1 + 8 + 8 + 8);
                    case 'O' -> {
                        in.skipNBytes(8);
                        cstring(in);
                    }
                    case 'Y' -> {
                        in.skipNBytes(4);
                        cstring(in);
                        cstring(in);
                    }
                    case 'R' -> {
                        in.skipNBytes(4);
                        cstring(in);
                        cstring(in);
                        in.skipNBytes(1);
                        int columns = in.readUnsignedShort();
                        for (int i = 0; i < columns; i++) {
                            in.skipNBytes(1);
                            cstring(in);
                            in.skipNBytes(8);
                        }
                    }
                    case 'I' -> {
                        in.skipNBytes(4);
                        expect(in, 'N');
                        tuple(in);
                    }
                    case 'U', 'D' -> {
                        in.skipNBytes(4);
                        int kind = in.read();
                        tuple(in);
                        if (type == 'U' && (kind == 'K' || kind == 'O')) {
                            expect(in, 'N');
                            tuple(in);
                        }
                    }
                    case 'T' -> {
                        int relations = in.readInt();
                        in.skipNBytes(1 + 4L * relations);
                    }
                    default -> throw new IOException("unknown message type 0x" + Integer.toHexString(type));
                }
                expect(in, '\n');
                counts.merge((char) type, 1, Integer::sum);
            }
        }
    }

    private static void tuple(DataInputStream in) throws IOException {
        int columns = in.readUnsignedShort();
        for (int i = 0; i < columns; i++) {
            int kind = in.read();
            if (kind == 't' || kind == 'b') {
                in.skipNBytes(in.readInt());
            } else if (kind != 'n' && kind != 'u') {
                throw new IOException("unknown column kind 0x" + Integer.toHexString(kind));
            }
        }
    }

    private static void cstring(InputStream in) throws IOException {
        int b;
        while ((b = in.read()) != 0) {
            if (b < 0) {
                throw new EOFException("inside a string");
            }
        }
    }

    private static void expect(InputStream in, char expected) throws IOException {
        int b = in.read();
        if (b != expected) {
            throw new IOException("expected '" + (expected == '\n' ? "\\n" : expected) + "' but read 0x" + Integer.toHexString(b));
        }
    }

    private void runRecvlogical(SystemRun s, String... args) throws IOException, InterruptedException {
        Path err = workDir.resolve("recvlogical-admin.err");
        Process p = new ProcessBuilder(recvlogicalCommand(s, args)).redirectErrorStream(true).redirectOutput(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("pg_recvlogical " + String.join(" ", args) + " failed: " + Files.readString(err).strip());
        }
    }

    private List<String> recvlogicalCommand(SystemRun s, String... args) {
        List<String> command = new ArrayList<>(List.of(recvlogical.toString(), "-h", "127.0.0.1", "-p", String.valueOf(postgres.port()),
                "-U", PostgresServer.USER, "-d", s.db(), "--slot=" + s.slot()));
        command.addAll(List.of(args));
        return command;
    }

    private static Path findRecvlogical() throws IOException {
        String configured = System.getenv("CDC_HUB_TEST_PG_BIN"); // as PostgresServer
        if (configured != null) {
            return Path.of(configured, "pg_recvlogical");
        }
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_recvlogical")))
                    .max(Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString().replaceAll("\\D", "0"))))
                    .map(b -> b.resolve("pg_recvlogical"))
                    .orElseThrow(() -> new IOException("no pg_recvlogical next to initdb under /usr/lib/postgresql/*/bin"));
        }
    }

    // ---------------------------------------------------------------- steady

    private void steady(SystemRun s, int rep) throws Exception {
        int i = rep - 1;
        int total = RATE * STEADY_SECONDS;
        long base = s.nextId - 1;
        s.nextId += total;
        long periodNanos = 1_000_000_000L / RATE;
        long[] sentAt = new long[total + 1];
        long[] byCommit = new long[total + 1]; // µs: receive - source.ts_ms
        long[] byCreated = new long[total + 1]; // µs: receive - after.created_at
        BitSet received = new BitSet(total + 1);
        AtomicInteger receivedCount = new AtomicInteger();
        AtomicInteger dupes = new AtomicInteger();
        AtomicInteger unexpected = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> readerError = new AtomicReference<>();
        CountDownLatch readerReady = new CountDownLatch(1);

        Thread reader = new Thread(() -> {
            try (KafkaConsumer<byte[], byte[]> consumer = consumer("bench-steady-" + s.key)) {
                consumer.assign(s.partitions);
                consumer.seekToEnd(s.partitions);
                s.partitions.forEach(consumer::position);
                readerReady.countDown();
                while (!stop.get() && receivedCount.get() < total) {
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(50));
                    if (records.isEmpty()) {
                        continue;
                    }
                    long now = nowMicros();
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        if (r.value() == null) {
                            unexpected.incrementAndGet();
                            continue;
                        }
                        JsonNode v = JSON.readTree(r.value());
                        long id = v.path("after").path("id").asLong(-1) - base;
                        if (id < 1 || id > total) {
                            unexpected.incrementAndGet();
                            continue;
                        }
                        if (received.get((int) id)) {
                            dupes.incrementAndGet();
                            continue;
                        }
                        received.set((int) id);
                        byCommit[(int) id] = now - v.path("source").path("ts_ms").asLong() * 1000;
                        byCreated[(int) id] = now - micros(v.path("after").path("created_at").asText());
                        receivedCount.incrementAndGet();
                    }
                }
            } catch (Throwable e) {
                readerError.set(e);
                readerReady.countDown();
            }
        }, "bench-steady-reader");
        reader.start();
        if (!readerReady.await(60, TimeUnit.SECONDS) || readerError.get() != null) {
            s.fail("steady rep " + rep + ": the reader could not start: " + readerError.get());
            stop.set(true);
            return;
        }

        log(String.format(Locale.ROOT, "steady rep %d %s: %,d inserts/s for %d s", rep, s.name, RATE, STEADY_SECONDS));
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-steady-inserter");
            t.setDaemon(true);
            return t;
        });
        AtomicInteger next = new AtomicInteger(1);
        AtomicReference<SQLException> insertError = new AtomicReference<>();
        CountDownLatch sent = new CountDownLatch(1);
        long start;
        Cpu before;
        try (Connection c = postgres.dataSource(s.db()).getConnection();
             PreparedStatement insert = c.prepareStatement("INSERT INTO " + TABLE + " (id, account, amount, label) VALUES (?, ?, ?, ?)")) {
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                st.execute("SET synchronous_commit = " + SYNCHRONOUS_COMMIT);
            }
            before = readCpu(s);
            start = System.nanoTime();
            // fixed rate: a late insert is followed at once by the next, so the rate holds on average without drift
            ScheduledFuture<?> task = scheduler.scheduleAtFixedRate(() -> {
                int n = next.getAndIncrement();
                if (n > total) {
                    sent.countDown();
                    throw new IllegalStateException("done"); // ends the schedule
                }
                try {
                    sentAt[n] = System.nanoTime();
                    insert.setLong(1, base + n);
                    insert.setInt(2, n % 1000);
                    insert.setBigDecimal(3, java.math.BigDecimal.valueOf(n % 100_000, 2));
                    insert.setString(4, "row " + n);
                    insert.executeUpdate();
                } catch (SQLException e) {
                    insertError.set(e);
                    sent.countDown();
                    throw new IllegalStateException(e);
                }
            }, 0, periodNanos, TimeUnit.NANOSECONDS);
            if (!sent.await(STEADY_SECONDS * 3L + 30, TimeUnit.SECONDS)) {
                s.fail("steady rep " + rep + ": the inserter did not finish " + total + " inserts in time");
            }
            task.cancel(false);
        } finally {
            scheduler.shutdownNow();
        }
        int inserted = Math.min(next.get() - 1, total);
        if (insertError.get() != null) {
            inserted = next.get() - 2;
            s.fail("steady rep " + rep + ": insert failed: " + insertError.get().getMessage());
        }
        long lastSent = sentAt[Math.max(inserted, 1)];

        long lastProgress = System.nanoTime();
        int seen = -1;
        while (receivedCount.get() < inserted && readerError.get() == null) {
            if (receivedCount.get() != seen) {
                seen = receivedCount.get();
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > STALL.toNanos() || !s.process.isAlive()) {
                break;
            }
            pause(20);
        }
        stop.set(true);
        reader.join(10_000);
        if (readerError.get() != null) {
            s.fail("steady rep " + rep + ": the reader failed: " + readerError.get());
        }
        pause(SETTLE_MILLIS);
        Cpu after = readCpu(s);
        s.measuredWallNanos += after.nanos - before.nanos;

        eventsExpected += inserted;
        eventsReceived += receivedCount.get();
        duplicates += dupes.get();
        if (receivedCount.get() < inserted) {
            s.fail(String.format(Locale.ROOT, "steady rep %d: %,d of %,d events missing after waiting %d s without progress; missing ids (minus %,d) %s",
                    rep, inserted - receivedCount.get(), inserted, STALL.toSeconds(), base, missingRanges(received, inserted)));
            return;
        }

        long warmupEnd = start + TimeUnit.SECONDS.toNanos(STEADY_WARMUP_SECONDS);
        long[] commit = new long[inserted];
        long[] created = new long[inserted];
        long[] lag = new long[inserted];
        int n = 0;
        for (int id = 1; id <= inserted; id++) {
            lag[id - 1] = sentAt[id] - (start + (id - 1) * periodNanos);
            if (sentAt[id] >= warmupEnd) {
                commit[n] = byCommit[id];
                created[n] = byCreated[id];
                n++;
            }
        }
        commit = Arrays.copyOf(commit, n);
        created = Arrays.copyOf(created, n);
        Arrays.sort(commit);
        Arrays.sort(created);
        Arrays.sort(lag);
        double achieved = inserted > 1 ? (inserted - 1) / ((lastSent - sentAt[1]) / 1e9) : 0;
        if (n > 0) {
            s.p50[i] = pct(created, 50) / 1e3;
            s.p99[i] = pct(created, 99) / 1e3;
            s.p50Commit[i] = pct(commit, 50) / 1e3;
            s.p99Commit[i] = pct(commit, 99) / 1e3;
        }
        s.steadyCpu[i] = after.system - before.system;
        s.steadyEvents[i] = inserted;
        long walsender = before.walsenderPid == after.walsenderPid && before.walsender >= 0 ? after.walsender - before.walsender : -1;
        s.phaseCpuSeconds[i] = (s.bulkCpu[i] + s.steadyCpu[i]) / 1e9;
        s.cpuMicrosPerEvent[i] = (s.bulkCpu[i] + s.steadyCpu[i]) / 1e3 / (ROWS + inserted);
        s.brokerCpuSeconds[i] = (s.bulkBroker[i] + after.broker - before.broker) / 1e9;
        s.walsenderCpuSeconds[i] = s.bulkWalsender[i] < 0 || walsender < 0 ? Double.NaN : (s.bulkWalsender[i] + walsender) / 1e9;
        String line = String.format(Locale.ROOT, "steady rep %d %s: %,d inserts, achieved %,.1f/s, send lag p99 %.1f ms; receive - created_at p50 %.1f ms,"
                        + " p99 %.1f ms, max %.1f ms; receive - source.ts_ms p50 %.1f ms, p99 %.1f ms (n=%,d, first %d s discarded); CPU %.2f s"
                        + " (%.1f µs/event), broker CPU %.2f s; load %s%s",
                rep, s.name, inserted, achieved, lag.length == 0 ? 0 : pct(lag, 99) / 1e6, s.p50[i], s.p99[i],
                n == 0 ? Double.NaN : created[n - 1] / 1e3, s.p50Commit[i], s.p99Commit[i], n, STEADY_WARMUP_SECONDS, s.steadyCpu[i] / 1e9,
                s.steadyCpu[i] / 1e3 / inserted, (after.broker - before.broker) / 1e9, loadAverage(),
                dupes.get() > 0 || unexpected.get() > 0 ? String.format(Locale.ROOT, "; %,d duplicate(s), %,d unexpected record(s)", dupes.get(), unexpected.get()) : "");
        s.details.add(line);
        log(line);
    }

    /** Nearest-rank percentile of a sorted array. */
    static long pct(long[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static long micros(String isoTimestamp) {
        Instant t = OffsetDateTime.parse(isoTimestamp, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        return t.getEpochSecond() * 1_000_000 + t.getNano() / 1_000;
    }

    private static long nowMicros() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000 + t.getNano() / 1_000;
    }

    // ---------------------------------------------------------------- helpers

    private KafkaConsumer<byte[], byte[]> consumer(String clientId) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", bootstrap);
        settings.put("client.id", clientId);
        settings.put("enable.auto.commit", "false");
        settings.put("max.poll.records", "20000");
        settings.put("fetch.min.bytes", "1");
        settings.put("fetch.max.wait.ms", "100");
        settings.put("fetch.max.bytes", String.valueOf(64 * 1024 * 1024));
        settings.put("max.partition.fetch.bytes", String.valueOf(16 * 1024 * 1024));
        settings.put("receive.buffer.bytes", String.valueOf(1024 * 1024));
        return new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * The system's topic for {@code bench.item} once it has published to it: {@code <key>.bench.item}, or (should a
     * system name its topics otherwise) the only topic starting with {@code <key>.} and ending with {@code item}.
     */
    private String awaitTopic(KafkaConsumer<byte[], byte[]> consumer, SystemRun s) {
        String expected = s.key + ".bench.item";
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            Map<String, List<PartitionInfo>> topics = consumer.listTopics(Duration.ofSeconds(10));
            if (topics.containsKey(expected) && !topics.get(expected).isEmpty()) {
                return expected;
            }
            List<String> candidates = topics.keySet().stream().filter(t -> t.startsWith(s.key + ".") && t.endsWith("item")).toList();
            if (candidates.size() == 1) {
                return candidates.get(0);
            }
            if (System.nanoTime() > deadline || !s.process.isAlive()) {
                s.fail("topic " + expected + " did not appear within 60 s of the warm-up's commit (topics: " + topics.keySet() + "); log "
                        + s.process.log + ":" + System.lineSeparator() + s.process.logTail(25));
                return null;
            }
            pause(200);
        }
    }

    private String queryText(String db, String sql) {
        try (Connection c = postgres.dataSource(db).getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed: " + e.getMessage(), e);
        }
    }

    private void stopAll() {
        for (SystemRun s : systems) {
            if (s.process != null && s.process.isAlive()) {
                log("stopping " + s.name);
                s.process.stop(20);
            }
        }
        if (broker != null && broker.isAlive()) {
            log("stopping the Kafka broker");
            broker.stop(20);
        }
    }

    // ---------------------------------------------------------------- summary

    private void report(long started) {
        String v = postgres == null ? "?" : queryText("postgres", "SHOW server_version");
        summary.add("setup: PostgreSQL " + v + " (fsync=off; the benchmark's writers use synchronous_commit=" + SYNCHRONOUS_COMMIT
                + "), one Kafka " + org.apache.kafka.common.utils.AppInfoParser.getVersion() + " KRaft broker (kafka.Kafka in its own JVM), each system"
                + " in its own JVM (java -Xmx" + HEAP + ", Java " + System.getProperty("java.version") + "); " + Runtime.getRuntime().availableProcessors()
                + " cores; load average (1 min) at start " + loadAtStart + ", at end " + loadAverage());
        summary.add("systems: " + systems.stream().map(this::describe).collect(Collectors.joining("; ")) + "; all acks=all, JSON without schemas");
        summary.add(String.format(Locale.ROOT, "workload per system: start-up, warm-up %,d rows, %d x bulk %,d rows (one INSERT ... SELECT transaction;"
                        + " events/s from commit to last event read), %d x %d s at %,d single-row inserts/s (latency receive - created_at, first %d s"
                        + " discarded); %s; order rotates per repetition: %s",
                WARMUP_ROWS, REPETITIONS, ROWS, REPETITIONS, STEADY_SECONDS, RATE, STEADY_WARMUP_SECONDS,
                SUSPEND_IDLE ? "one system at a time: the others suspended (SIGSTOP)" : "idle systems keep running (bench.suspend-idle=false)",
                java.util.stream.IntStream.rangeClosed(1, REPETITIONS).mapToObj(r -> r + ": " + order(r).stream().map(s -> s.name)
                        .collect(Collectors.joining(" "))).collect(Collectors.joining("; "))));
        summary.add("");
        summary.add(String.format(Locale.ROOT, "%-14s %4s %11s %10s %8s %8s %8s %9s %9s %9s", "system", "rep", "bulk ev/s", "bulk µs/ev", "p50 ms",
                "p99 ms", "CPU s", "µs/event", "broker s", "walsnd s"));
        for (SystemRun s : systems) {
            for (int i = 0; i < REPETITIONS; i++) {
                summary.add(row(s.name, String.valueOf(i + 1), s.bulkRate[i], s.bulkCpuMicrosPerEvent[i], s.p50[i], s.p99[i], s.phaseCpuSeconds[i],
                        s.cpuMicrosPerEvent[i], s.brokerCpuSeconds[i], s.walsenderCpuSeconds[i]));
            }
            summary.add(row(s.name, "med", med(s.bulkRate), med(s.bulkCpuMicrosPerEvent), med(s.p50), med(s.p99), med(s.phaseCpuSeconds),
                    med(s.cpuMicrosPerEvent), med(s.brokerCpuSeconds), med(s.walsenderCpuSeconds)));
        }
        summary.add("(CPU s: the system's process over its measured phases of the repetition, bulk + steady, each until its last event plus 1 s;"
                + " µs/event: that CPU / the events of those phases; broker s / walsnd s: the Kafka broker's and the system's walsender's CPU over"
                + " the same phases)");
        summary.add("");
        summary.add(String.format(Locale.ROOT, "%-14s %9s %10s %10s %12s %11s %8s", "system", "start s", "start CPU", "phases CPU", "workload CPU",
                "other CPU", "RSS MB"));
        for (SystemRun s : systems) {
            if (s.kind == Kind.RAW) {
                continue;
            }
            double phases = phasesCpuSeconds(s);
            double workload = workloadCpuSeconds(s);
            double other = s.cpuAtEnd > 0 ? s.cpuAtEnd / 1e9 - workload : Double.NaN;
            summary.add(String.format(Locale.ROOT, "%-14s %9s %10s %10s %12s %11s %8s", s.name, fmt(s.startupSeconds, 1),
                    fmt(s.startupCpuNanos < 0 ? Double.NaN : s.startupCpuNanos / 1e9, 1), fmt(phases, 1), fmt(workload, 1), fmt(other, 1),
                    fmt(s.rssAtEnd < 0 ? Double.NaN : s.rssAtEnd / 1048576.0, 0)));
        }
        summary.add("(start s: launch to slot streaming; start CPU: launch, start-up and warm-up; workload CPU: start CPU + every measured phase ="
                + " the whole identical workload; other CPU: the rest of the process's CPU, not counted above: "
                + (SUSPEND_IDLE ? "catching up for " + RESUME_MILLIS / 1000 + " s after each resume (suspended while the others ran)"
                        : String.format(Locale.ROOT, "idle while the others ran (%s CPU s per minute idle)", idleRates()))
                + "; RSS: VmRSS at the end)");
        if (brokerCpuAtEnd > 0) {
            summary.add(String.format(Locale.ROOT, "Kafka broker (pid %d): CPU %.1f s over the whole run, RSS %.0f MB at the end", broker.pid(),
                    brokerCpuAtEnd / 1e9, brokerRssAtEnd / 1048576.0));
        }
        SystemRun hub = find(Kind.CDC_HUB);
        if (hub != null) {
            summary.add("");
            summary.add("ratios cdc-hub/peer (events/s > 1: cdc-hub faster; p99, CPU s, µs/event < 1: cdc-hub better; medians, CPU s = whole workload):");
            for (SystemRun peer : systems) {
                if (peer == hub) {
                    continue;
                }
                if (peer.kind == Kind.RAW) {
                    summary.add(String.format(Locale.ROOT, "  vs raw pg_recvlogical (%s events/s median): events/s %s", fmt(med(peer.bulkRate), 0),
                            fmt(med(hub.bulkRate) / med(peer.bulkRate), 2)));
                } else {
                    summary.add(String.format(Locale.ROOT, "  vs %-13s events/s %s, p99 %s, CPU s %s, CPU µs/event %s", peer.name + ":",
                            fmt(med(hub.bulkRate) / med(peer.bulkRate), 2), fmt(med(hub.p99) / med(peer.p99), 2),
                            fmt(workloadCpuSeconds(hub) / workloadCpuSeconds(peer), 2), fmt(med(hub.cpuMicrosPerEvent) / med(peer.cpuMicrosPerEvent), 2)));
                }
            }
        }
        summary.add("");
        for (SystemRun s : systems) {
            summary.addAll(s.details);
        }
        summary.add(String.format(Locale.ROOT, "events: %,d expected, %,d received, duplicates %,d%s", eventsExpected, eventsReceived, duplicates,
                eventsReceived >= eventsExpected && failures.isEmpty() ? " (every inserted row arrived)" : ""));
        summary.add(String.format(Locale.ROOT, "run time: %.0f s; logs of each process: %s/source-benchmark-<system>.log", (System.nanoTime() - started) / 1e9, OUT));
    }

    /** The median of the values measured (NaN: not measured, e.g. after a failure); NaN when there are none. */
    private static double med(double[] values) {
        double[] measured = Arrays.stream(values).filter(v -> !Double.isNaN(v)).toArray();
        return measured.length == 0 ? Double.NaN : BenchSupport.median(measured);
    }

    private String describe(SystemRun s) {
        return s.name + " = " + switch (s.kind) {
            case CDC_HUB -> (HUB_JAR != null ? "java -XX:SharedArchiveFile=... -jar cdc-hub.jar, extracted, as the image runs it" : "io.cdchub.CdcHubApplication on its runtime classpath")
                    + " (its application.yaml + the benchmark's source-only settings"
                    + (extraSettings.isEmpty() ? "" : " + " + extraSettings) + ")";
            case CONNECT_STOCK -> "Debezium 3.4.0.Final PostgresConnector on Kafka Connect 3.9.1 standalone, defaults";
            case CONNECT_TUNED -> "the same, tuned: poll.interval.ms=10, producer linger.ms=5, batch.size=262144";
            case ENGINE -> "Debezium embedded engine + JsonConverter + KafkaProducer (linger.ms=5, batch.size=262144), flush per batch,"
                    + " poll.interval.ms=10";
            case RAW -> "pg_recvlogical (pgoutput), bulk only";
        };
    }

    private String idleRates() {
        return systems.stream().filter(s -> s.kind != Kind.RAW && s.cpuAtEnd > 0 && s.lifeAtEndNanos - s.measuredWallNanos > 1e9)
                .map(s -> String.format(Locale.ROOT, "%s %.2f", s.name, (s.cpuAtEnd / 1e9 - workloadCpuSeconds(s)) / ((s.lifeAtEndNanos - s.measuredWallNanos) / 1e9) * 60))
                .collect(Collectors.joining(", "));
    }

    private static double phasesCpuSeconds(SystemRun s) {
        double sum = 0;
        for (int i = 0; i < REPETITIONS; i++) {
            if (Double.isNaN(s.phaseCpuSeconds[i])) {
                return Double.NaN;
            }
            sum += s.phaseCpuSeconds[i];
        }
        return sum;
    }

    private static double workloadCpuSeconds(SystemRun s) {
        return s.startupCpuNanos < 0 ? Double.NaN : s.startupCpuNanos / 1e9 + phasesCpuSeconds(s);
    }

    private SystemRun find(Kind kind) {
        return systems.stream().filter(s -> s.kind == kind).findFirst().orElse(null);
    }

    private static String row(String name, String rep, double rate, double bulkUs, double p50, double p99, double cpu, double us, double broker,
            double walsender) {
        return String.format(Locale.ROOT, "%-14s %4s %11s %10s %8s %8s %8s %9s %9s %9s", name, rep, fmt(rate, 0), fmt(bulkUs, 1), fmt(p50, 1), fmt(p99, 1),
                fmt(cpu, 2), fmt(us, 1), fmt(broker, 2), fmt(walsender, 2));
    }

    private static String fmt(double value, int decimals) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "-" : String.format(Locale.ROOT, "%,." + decimals + "f", value);
    }

    private void printSummary(int status) {
        BenchSupport.printSummary("cdc-hub source benchmark: summary", summary, failures, status, OUT.resolve("source-benchmark-summary.txt"));
    }
}
