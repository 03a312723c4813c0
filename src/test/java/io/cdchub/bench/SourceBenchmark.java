package io.cdchub.bench;

import static io.cdchub.bench.BenchSupport.loadAverage;
import static io.cdchub.bench.BenchSupport.log;
import static io.cdchub.bench.BenchSupport.median;
import static io.cdchub.bench.BenchSupport.pause;
import static io.cdchub.bench.BenchSupport.processCpuNanos;

import io.cdchub.bench.BenchSupport.StartFailure;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.BufferedInputStream;
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
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.CdcHubApplication;
import io.cdchub.source.SourceProperties;
import io.cdchub.testinfra.KafkaServer;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The source benchmark: cdc-hub started in this JVM against the test harness's real PostgreSQL 15 and
 * in-process Kafka, measuring
 * <ol>
 * <li>throughput: one 100,000-row INSERT ... SELECT transaction, from the commit until the last of its
 *     events has been read back from Kafka, against raw logical decoding of the same transaction with
 *     {@code pg_recvlogical} (pgoutput) on a slot of its own, timed from process start to exit;</li>
 * <li>latency: a steady 1,000 single-row autocommit inserts/s for 20 s, each event's receive time
 *     minus its commit time ({@code source.ts_ms}) and minus the row's {@code created_at}
 *     ({@code clock_timestamp()}, microseconds).</li>
 * </ol>
 * A plain {@code main}, not a test: bench/source-benchmark.sh runs it. Figures are printed, never
 * asserted; the exit status is non-zero only when cdc-hub did not start or an inserted row's event
 * never arrived. See bench/README.md.
 *
 * <p>Knobs (system properties, for trying things out; the defaults are the benchmark): {@code bench.rows}
 * (100000), {@code bench.repetitions} (3), {@code bench.rate} (1000 inserts/s), {@code bench.latency.seconds} (20),
 * {@code bench.warmup.seconds} (2), {@code bench.synchronous-commit} (on). Arguments {@code key=value} are extra
 * cdc-hub settings, e.g. {@code cdc.source.poll-interval=50ms}.
 */
public final class SourceBenchmark {

    private static final String DB = RealServers.DATABASE;
    private static final String SLOT = "bench_slot";
    private static final String RAW_SLOT = "bench_raw";
    private static final String RAW_PUBLICATION = "bench_raw_pub";
    private static final String BULK_TOPIC = "bench.bench.bulk";
    private static final String LATENCY_TOPIC = "bench.bench.latency";

    private static final int ROWS = Integer.getInteger("bench.rows", 100_000);
    private static final int REPETITIONS = Integer.getInteger("bench.repetitions", 3);
    /** Enough for the JIT to settle: with 10,000 the first repetition still ran ~40% slower than the third. */
    private static final int WARMUP_ROWS = Math.min(50_000, ROWS);
    private static final int RATE = Integer.getInteger("bench.rate", 1_000);
    private static final int LATENCY_SECONDS = Integer.getInteger("bench.latency.seconds", 20);
    private static final int LATENCY_WARMUP_SECONDS = Integer.getInteger("bench.warmup.seconds", 2);
    /**
     * synchronous_commit of the benchmark's writing sessions. The harness's server runs with
     * synchronous_commit=off, where a commit reaches the WAL senders only when the WAL writer flushes it
     * (up to wal_writer_delay, 200 ms, later): that wait would be measured as capture latency. The
     * writers use 'on' (PostgreSQL's default; with fsync=off a flush is only a write).
     */
    private static final String SYNCHRONOUS_COMMIT = System.getProperty("bench.synchronous-commit", "on");
    private static final Path OUT = Path.of(System.getProperty("bench.out", "target/bench"));

    /** A run is bounded: whatever happens, the JVM exits (and its shutdown hooks stop the servers) after this. */
    private static final Duration WATCHDOG = Duration.ofMinutes(10);
    /** Give up waiting for events when none arrived for this long. */
    private static final Duration STALL = Duration.ofSeconds(30);

    private static final ObjectMapper JSON = new ObjectMapper();

    // reference figures from ../shared/notes/build-environment.md (same machine type; not measured here)
    private static final String REF_THROUGHPUT = "raw pg_recvlogical ~113k events/s; Debezium 3.4 on Kafka Connect stock ~15k events/s,"
            + " tuned (poll.interval.ms=10, linger.ms=5, batch.size=262144) ~22k events/s";
    private static final String REF_LATENCY = "Debezium 3.4 on Kafka Connect tuned p50 11 ms, p99 17 ms; stock p99 ~830 ms (commit-to-Kafka)";

    private final List<String> summary = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final Map<String, String> extraSettings;
    private PostgresServer postgres;
    private String[] harnessProperties;
    private String loadAtStart;
    private String bootstrap;
    private Path workDir;
    private Path recvlogical;
    private ConfigurableApplicationContext app;
    private long eventsExpected;
    private long eventsReceived;
    private long duplicates;

    private SourceBenchmark(Map<String, String> extraSettings) {
        this.extraSettings = extraSettings;
    }

    /** Exit status: 0 done, 1 events missing or a phase failed, 2 cdc-hub or the servers did not start, 3 watchdog. */
    public static void main(String[] args) {
        Map<String, String> extra = BenchSupport.startWatchdogAndReadSettings(args, WATCHDOG);
        int status = new SourceBenchmark(extra).run();
        System.exit(status);
    }

    private int run() {
        int status;
        try {
            status = runPhases();
        } catch (StartFailure e) {
            failures.add(e.getMessage());
            status = 2;
        } catch (Exception e) {
            e.printStackTrace();
            failures.add("unexpected " + e);
            status = 1;
        } finally {
            stopApp();
        }
        printSummary(status);
        return status;
    }

    private int runPhases() throws Exception {
        long started = System.nanoTime();
        loadAtStart = loadAverage();
        startServers();
        createSchema();
        startApp();

        warmUp();
        if (!failures.isEmpty()) {
            return 1;
        }
        throughput();
        if (!failures.isEmpty()) {
            return 1;
        }
        latency();
        summary.add(String.format(Locale.ROOT, "events: %,d expected, %,d received, duplicates %,d%s", eventsExpected, eventsReceived,
                duplicates, eventsReceived >= eventsExpected && failures.isEmpty() ? " (every inserted row arrived)" : ""));
        summary.add(String.format(Locale.ROOT, "run time: %.0f s; machine load average (1 min) at start %s, at end %s", (System.nanoTime() - started) / 1e9,
                loadAtStart, loadAverage()));
        return failures.isEmpty() ? 0 : 1;
    }

    // ---------------------------------------------------------------- set-up

    private void startServers() throws StartFailure {
        log("starting PostgreSQL and Kafka (test harness)");
        String[] harness;
        try {
            harness = RealServers.properties(); // starts both servers and creates the database
            postgres = PostgresServer.shared();
            bootstrap = KafkaServer.shared().bootstrapServers();
            workDir = Files.createTempDirectory("cdc-hub-bench-");
            recvlogical = findRecvlogical();
        } catch (Exception e) {
            throw new StartFailure("the test servers did not start: " + e.getMessage());
        }
        harnessProperties = harness;
    }

    private void createSchema() throws SQLException {
        postgres.execute(DB,
                "DROP SCHEMA IF EXISTS bench CASCADE",
                "DROP PUBLICATION IF EXISTS " + RAW_PUBLICATION,
                "CREATE SCHEMA bench",
                "CREATE TABLE bench.bulk (id bigint PRIMARY KEY, account int NOT NULL, amount numeric(12,2) NOT NULL,"
                        + " label text NOT NULL, created_at timestamptz NOT NULL)",
                "CREATE TABLE bench.latency (id bigint PRIMARY KEY, account int NOT NULL, amount numeric(12,2) NOT NULL,"
                        + " created_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                // the raw baseline's publication: the bulk table only, like cdc-hub's filtered one
                "CREATE PUBLICATION " + RAW_PUBLICATION + " FOR TABLE bench.bulk",
                "DROP TABLE IF EXISTS public.bench_tick",
                "CREATE TABLE public.bench_tick (n int)");
    }

    private void startApp() throws StartFailure {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String p : harnessProperties) {
            int eq = p.indexOf('=');
            settings.put(p.substring(0, eq), p.substring(eq + 1));
        }
        // only the jar's application.yaml: a developer's ./config/application.yaml must not change the figures
        settings.put("spring.config.location", "classpath:/application.yaml");
        settings.put("cdc.source.tables", "bench\\..*");
        settings.put("cdc.source.slot", SLOT);
        settings.put("cdc.source.name", "bench");
        settings.put("cdc.topic-prefix", "bench");
        settings.put("cdc.dlq.topic", "bench.dlq");
        settings.put("server.port", "0");
        settings.putAll(extraSettings);
        // command-line arguments outrank environment variables, so CDC_* variables in the shell cannot
        // point the benchmark anywhere but the harness's servers on 127.0.0.1
        String[] args = settings.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new);
        log("starting cdc-hub in-process");
        long t0 = System.nanoTime();
        try {
            app = new SpringApplicationBuilder(CdcHubApplication.class).run(args);
        } catch (Throwable e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            throw new StartFailure("cdc-hub failed to start: " + e.getMessage() + (root != e ? " (root cause: " + root + ")" : ""));
        }
        // the context is up; Debezium starts asynchronously: wait for its slot to be streaming
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!"1".equals(queryText("SELECT count(*)::text FROM pg_replication_slots WHERE slot_name = '" + SLOT + "' AND active"))) {
            if (System.nanoTime() > deadline) {
                throw new StartFailure("cdc-hub started but its replication slot " + SLOT + " was not streaming within 90 s (see the log above)");
            }
            pause(100);
        }
        log(String.format(Locale.ROOT, "cdc-hub streaming after %.1f s", (System.nanoTime() - t0) / 1e9));

        SourceProperties source = app.getBean(SourceProperties.class);
        var env = app.getEnvironment();
        summary.add("setup: PostgreSQL " + queryText("SHOW server_version") + " (fsync=" + queryText("SHOW fsync") + ", synchronous_commit="
                + queryText("SHOW synchronous_commit") + "; the benchmark's writers use synchronous_commit=" + SYNCHRONOUS_COMMIT + "), Kafka " + org.apache.kafka.common.utils.AppInfoParser.getVersion()
                + " KRaft in-process, " + Runtime.getRuntime().availableProcessors() + " CPUs, Java " + System.getProperty("java.version"));
        summary.add("config: cdc.source.poll-interval=" + source.pollInterval().toMillis() + "ms, max-batch-size=" + source.maxBatchSize()
                + ", max-queue-size=" + source.maxQueueSize() + ", value-format=" + source.valueFormat().label()
                + "; kafka linger-ms=" + env.getProperty("camel.component.kafka.linger-ms")
                + ", batch-size=" + env.getProperty("camel.component.kafka.producer-batch-size")
                + ", compression=" + env.getProperty("camel.component.kafka.compression-codec")
                + ", acks=" + env.getProperty("camel.component.kafka.request-required-acks")
                + (extraSettings.isEmpty() ? "" : "; overridden: " + extraSettings));
    }

    /** A small transaction through the whole path first: creates the topics, warms the JIT, proves streaming works. */
    private void warmUp() throws Exception {
        log("warm-up: " + WARMUP_ROWS + " rows into bench.bulk, 1 row into bench.latency");
        try (KafkaConsumer<byte[], byte[]> consumer = consumer("bench-warmup")) {
            bulkInsert(WARMUP_ROWS);
            postgres.execute(DB, "INSERT INTO bench.latency (id, account, amount) VALUES (0, 0, 0)");
            List<TopicPartition> partitions = awaitTopic(consumer, BULK_TOPIC);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Count count = countIds(consumer, WARMUP_ROWS);
            account(count, WARMUP_ROWS, "warm-up");
            List<TopicPartition> latencyPartitions = awaitTopic(consumer, LATENCY_TOPIC);
            long deadline = System.nanoTime() + STALL.toNanos();
            while (consumer.endOffsets(latencyPartitions).values().stream().mapToLong(Long::longValue).sum() < 1) {
                if (System.nanoTime() > deadline) {
                    failures.add("warm-up: the event of the row inserted into bench.latency did not arrive");
                    break;
                }
                pause(100);
            }
            eventsExpected++;
            eventsReceived += failures.isEmpty() ? 1 : 0;
        }
        postgres.execute(DB, "TRUNCATE bench.bulk");
        pause(1000);
    }

    // ---------------------------------------------------------------- throughput

    private void throughput() throws Exception {
        double[] hub = new double[REPETITIONS];
        double[] raw = new double[REPETITIONS];
        try (KafkaConsumer<byte[], byte[]> consumer = consumer("bench-throughput")) {
            List<TopicPartition> partitions = awaitTopic(consumer, BULK_TOPIC);
            consumer.assign(partitions);
            for (int rep = 1; rep <= REPETITIONS; rep++) {
                if (rep > 1) {
                    postgres.execute(DB, "TRUNCATE bench.bulk");
                    pause(1000);
                }
                consumer.seekToEnd(partitions);
                partitions.forEach(consumer::position); // resolve now, not after the commit
                runRecvlogical("--create-slot", "-P", "pgoutput");

                // the transaction: rows generated first, the clock starts at the commit
                long commitNanos;
                long cpuBefore;
                String endLsn;
                double insertSeconds;
                try (Connection c = postgres.dataSource(DB).getConnection(); Statement st = c.createStatement()) {
                    st.execute("SET synchronous_commit = " + SYNCHRONOUS_COMMIT);
                    c.setAutoCommit(false);
                    long t = System.nanoTime();
                    st.executeUpdate(bulkInsertSql(ROWS));
                    insertSeconds = (System.nanoTime() - t) / 1e9;
                    cpuBefore = processCpuNanos();
                    commitNanos = System.nanoTime();
                    c.commit();
                    c.setAutoCommit(true);
                    // the insert position, at or past the end of the commit record (pg_current_wal_lsn() is the
                    // write position, which with synchronous_commit=off can still be inside the transaction)
                    try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
                        rs.next();
                        endLsn = rs.getString(1);
                    }
                    // a WAL record after that position (an uncaptured table, so neither slot publishes it): the
                    // walsender then always moves past --endpos and pg_recvlogical stops by itself
                    st.execute("INSERT INTO public.bench_tick VALUES (1)");
                }
                log(String.format(Locale.ROOT, "rep %d: %,d rows committed (INSERT took %.2f s before the commit); end LSN %s", rep, ROWS,
                        insertSeconds, endLsn));

                Count count = countIds(consumer, ROWS);
                account(count, ROWS, "throughput rep " + rep);
                if (!failures.isEmpty()) {
                    summary.add(String.format(Locale.ROOT, "throughput rep %d: FAILED, %,d of %,d events arrived", rep, count.distinct, ROWS));
                    dropRawSlot();
                    return;
                }
                double hubSeconds = (count.lastNanos - commitNanos) / 1e9;
                double cpuMicrosPerEvent = (processCpuNanos() - cpuBefore) / 1e3 / ROWS;
                hub[rep - 1] = ROWS / hubSeconds;
                String lastCheck = checkLast(count.last, ROWS);

                pause(1000); // let cdc-hub settle: the raw baseline runs alone
                RawRun rawRun = rawDecode(endLsn);
                dropRawSlot();
                raw[rep - 1] = rawRun.ok() ? ROWS / rawRun.seconds : Double.NaN;
                summary.add(String.format(Locale.ROOT,
                        "throughput rep %d: cdc-hub %,.0f events/s (%.3f s commit to last event read, first after %.0f ms,"
                                + " JVM CPU %.0f µs/event), raw pg_recvlogical %,.0f events/s (%.3f s, %s), ratio cdc-hub/raw %.2f",
                        rep, hub[rep - 1], hubSeconds, (count.firstNanos - commitNanos) / 1e6, cpuMicrosPerEvent, raw[rep - 1],
                        rawRun.seconds, rawRun.describe(), hub[rep - 1] / raw[rep - 1]));
                if (!lastCheck.isEmpty()) {
                    summary.add("throughput rep " + rep + " last event: " + lastCheck);
                }
                log(summary.get(summary.size() - 1));
            }
        }
        double hubMedian = median(hub);
        double rawMedian = median(raw);
        summary.add(String.format(Locale.ROOT, "throughput median of %d: cdc-hub %,.0f events/s, raw pg_recvlogical %,.0f events/s,"
                + " ratio cdc-hub/raw %.2f", REPETITIONS, hubMedian, rawMedian, hubMedian / rawMedian));
        summary.add("throughput reference (build-environment.md, not measured here): " + REF_THROUGHPUT);
    }

    private static String bulkInsertSql(int rows) {
        return "INSERT INTO bench.bulk (id, account, amount, label, created_at)"
                + " SELECT g, g % 1000, (g % 100000) / 100.0, 'row ' || g, now() FROM generate_series(1, " + rows + ") g";
    }

    private void bulkInsert(int rows) {
        postgres.execute(DB, bulkInsertSql(rows));
    }

    /** Parses the last record read (the only one parsed): the transaction's last row, inserted as id = rows. */
    private static String checkLast(ConsumerRecord<byte[], byte[]> last, int rows) {
        if (last == null || last.value() == null) {
            return "MISMATCH: the last record has no value";
        }
        try {
            JsonNode v = JSON.readTree(last.value());
            List<String> problems = new ArrayList<>();
            if (!"c".equals(v.path("op").asText())) {
                problems.add("op=" + v.path("op"));
            }
            if (v.path("after").path("id").asLong() != rows) {
                problems.add("after.id=" + v.path("after").path("id") + " (expected " + rows + ")");
            }
            if (!"bulk".equals(v.path("source").path("table").asText())) {
                problems.add("source.table=" + v.path("source").path("table"));
            }
            if (!v.path("after").path("amount").isNumber() || !v.path("after").path("created_at").isTextual()) {
                problems.add("after=" + v.path("after"));
            }
            return problems.isEmpty() ? "" : "MISMATCH " + String.join(", ", problems);
        } catch (IOException e) {
            return "MISMATCH: not JSON: " + e.getMessage();
        }
    }

    // ---------------------------------------------------------------- counting events

    /** What a counting read saw: ids 1..n from the record keys, without parsing the values. */
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

    /** Reads until every id 1..n has been seen, or nothing new arrived for {@link #STALL}. */
    private static Count countIds(KafkaConsumer<byte[], byte[]> consumer, int n) {
        Count count = new Count(n);
        long lastProgress = System.nanoTime();
        while (count.distinct < n) {
            ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
            long now = System.nanoTime();
            if (records.isEmpty()) {
                if (now - lastProgress > STALL.toNanos()) {
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
                long id = keyId(r.key());
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

    private void account(Count count, int expected, String phase) {
        eventsExpected += expected;
        eventsReceived += count.distinct;
        duplicates += count.duplicates;
        if (count.duplicates > 0 || count.others > 0) {
            summary.add(String.format(Locale.ROOT, "%s: %,d duplicate record(s), %,d unexpected record(s) besides the %,d events", phase,
                    count.duplicates, count.others, count.distinct));
        }
        if (count.distinct < expected) {
            String missing = missingRanges(count.seen, expected);
            failures.add(String.format(Locale.ROOT, "%s: %,d of %,d events missing after waiting %d s without progress; missing ids %s",
                    phase, expected - count.distinct, expected, STALL.toSeconds(), missing));
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

    private RawRun rawDecode(String endLsn) throws IOException, InterruptedException {
        Path out = workDir.resolve("recvlogical.out");
        Files.deleteIfExists(out);
        List<String> command = recvlogicalCommand("--start", "--no-loop", "-f", out.toString(), "-F", "0",
                "-o", "proto_version=1", "-o", "publication_names=" + RAW_PUBLICATION, "--endpos=" + endLsn);
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

    private void runRecvlogical(String... args) throws IOException, InterruptedException {
        Path err = workDir.resolve("recvlogical-admin.err");
        Process p = new ProcessBuilder(recvlogicalCommand(args)).redirectErrorStream(true).redirectOutput(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("pg_recvlogical " + String.join(" ", args) + " failed: " + Files.readString(err).strip());
        }
    }

    private List<String> recvlogicalCommand(String... args) {
        List<String> command = new ArrayList<>(List.of(recvlogical.toString(), "-h", "127.0.0.1", "-p", String.valueOf(postgres.port()),
                "-U", PostgresServer.USER, "-d", DB, "--slot=" + RAW_SLOT));
        command.addAll(List.of(args));
        return command;
    }

    private void dropRawSlot() {
        postgres.execute(DB, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + RAW_SLOT + "'");
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

    // ---------------------------------------------------------------- latency

    private void latency() throws Exception {
        int total = RATE * LATENCY_SECONDS;
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
            try (KafkaConsumer<byte[], byte[]> consumer = consumer("bench-latency")) {
                List<TopicPartition> partitions = awaitTopic(consumer, LATENCY_TOPIC);
                consumer.assign(partitions);
                consumer.seekToEnd(partitions);
                partitions.forEach(consumer::position);
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
                        long id = v.path("after").path("id").asLong(-1);
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
        }, "bench-latency-reader");
        reader.start();
        if (!readerReady.await(60, TimeUnit.SECONDS) || readerError.get() != null) {
            failures.add("latency: the reader could not start: " + readerError.get());
            stop.set(true);
            return;
        }

        log(String.format(Locale.ROOT, "latency: %,d inserts/s for %d s into bench.latency", RATE, LATENCY_SECONDS));
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-latency-inserter");
            t.setDaemon(true);
            return t;
        });
        AtomicInteger next = new AtomicInteger(1);
        AtomicReference<SQLException> insertError = new AtomicReference<>();
        CountDownLatch sent = new CountDownLatch(1);
        long[] insertNanos = new long[total + 1];
        long start;
        try (Connection c = postgres.dataSource(DB).getConnection();
             PreparedStatement insert = c.prepareStatement("INSERT INTO bench.latency (id, account, amount) VALUES (?, ?, ?)")) {
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                st.execute("SET synchronous_commit = " + SYNCHRONOUS_COMMIT);
            }
            start = System.nanoTime();
            // fixed rate: a late insert is followed at once by the next, so the rate holds on average without drift
            ScheduledFuture<?> task = scheduler.scheduleAtFixedRate(() -> {
                int id = next.getAndIncrement();
                if (id > total) {
                    sent.countDown();
                    throw new IllegalStateException("done"); // ends the schedule
                }
                try {
                    sentAt[id] = System.nanoTime();
                    insert.setLong(1, id);
                    insert.setInt(2, id % 1000);
                    insert.setBigDecimal(3, java.math.BigDecimal.valueOf(id % 100_000, 2));
                    insert.executeUpdate();
                    insertNanos[id] = System.nanoTime() - sentAt[id];
                } catch (SQLException e) {
                    insertError.set(e);
                    sent.countDown();
                    throw new IllegalStateException(e);
                }
            }, 0, periodNanos, TimeUnit.NANOSECONDS);
            if (!sent.await(LATENCY_SECONDS * 3L + 30, TimeUnit.SECONDS)) {
                failures.add("latency: the inserter did not finish " + total + " inserts in time");
            }
            task.cancel(false);
        } finally {
            scheduler.shutdownNow();
        }
        int inserted = Math.min(next.get() - 1, total);
        if (insertError.get() != null) {
            inserted = next.get() - 2;
            failures.add("latency: insert failed: " + insertError.get().getMessage());
        }
        long lastSent = sentAt[Math.max(inserted, 1)];

        // wait for the last events
        long lastProgress = System.nanoTime();
        int seen = -1;
        while (receivedCount.get() < inserted && readerError.get() == null) {
            if (receivedCount.get() != seen) {
                seen = receivedCount.get();
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > STALL.toNanos()) {
                break;
            }
            pause(50);
        }
        stop.set(true);
        reader.join(10_000);
        if (readerError.get() != null) {
            failures.add("latency: the reader failed: " + readerError.get());
        }

        eventsExpected += inserted;
        eventsReceived += receivedCount.get();
        duplicates += dupes.get();
        if (receivedCount.get() < inserted) {
            failures.add(String.format(Locale.ROOT, "latency: %,d of %,d events missing after waiting %d s without progress; missing ids %s",
                    inserted - receivedCount.get(), inserted, STALL.toSeconds(), missingRanges(received, inserted)));
        }

        // figures: rows sent after the warm-up seconds only
        long warmupEnd = start + TimeUnit.SECONDS.toNanos(LATENCY_WARMUP_SECONDS);
        long[] commit = new long[inserted];
        long[] created = new long[inserted];
        long[] lag = new long[inserted];
        long[] insertTime = new long[inserted];
        int n = 0;
        for (int id = 1; id <= inserted; id++) {
            lag[id - 1] = sentAt[id] - (start + (id - 1) * periodNanos);
            insertTime[id - 1] = insertNanos[id];
            if (sentAt[id] >= warmupEnd && received.get(id)) {
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
        Arrays.sort(insertTime);
        double achieved = inserted > 1 ? (inserted - 1) / ((lastSent - sentAt[1]) / 1e9) : 0;
        summary.add(String.format(Locale.ROOT, "latency inserts: %,d single-row autocommit inserts, target %,d/s, achieved %,.1f/s;"
                + " send lag vs schedule p99 %.1f ms, max %.1f ms; INSERT round trip p50 %.2f ms, p99 %.2f ms",
                inserted, RATE, achieved, lag.length == 0 ? 0 : pct(lag, 99) / 1e6, lag.length == 0 ? 0 : lag[lag.length - 1] / 1e6,
                insertTime.length == 0 ? 0 : pct(insertTime, 50) / 1e6, insertTime.length == 0 ? 0 : pct(insertTime, 99) / 1e6));
        summary.add(latencyLine("latency receive - source.ts_ms (commit, ms resolution)", commit, LATENCY_WARMUP_SECONDS));
        summary.add(latencyLine("latency receive - after.created_at (row, µs)", created, LATENCY_WARMUP_SECONDS));
        summary.add("latency reference (build-environment.md, not measured here): " + REF_LATENCY
                + "; cdc-hub runs with cdc.source.poll-interval=" + app.getBean(SourceProperties.class).pollInterval().toMillis() + "ms");
        if (dupes.get() > 0 || unexpected.get() > 0) {
            summary.add(String.format(Locale.ROOT, "latency: %,d duplicate record(s), %,d unexpected record(s)", dupes.get(), unexpected.get()));
        }
    }

    private static String latencyLine(String label, long[] sortedMicros, int warmup) {
        if (sortedMicros.length == 0) {
            return label + ": no events";
        }
        return String.format(Locale.ROOT, "%s: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms (n=%,d, first %d s discarded)", label,
                pct(sortedMicros, 50) / 1e3, pct(sortedMicros, 95) / 1e3, pct(sortedMicros, 99) / 1e3,
                sortedMicros[sortedMicros.length - 1] / 1e3, sortedMicros.length, warmup);
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

    /** The topic's partitions once cdc-hub has created it (on its first event). */
    private static List<TopicPartition> awaitTopic(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            List<PartitionInfo> infos = consumer.listTopics(Duration.ofSeconds(10)).get(topic);
            if (infos != null && !infos.isEmpty()) {
                return infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topic " + topic + " did not appear within 60 s: cdc-hub published no event to it");
            }
            pause(200);
        }
    }

    private String queryText(String sql) {
        try (Connection c = postgres.dataSource(DB).getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed: " + e.getMessage(), e);
        }
    }

    private void stopApp() {
        if (app == null) {
            return;
        }
        log("stopping cdc-hub");
        Thread closer = new Thread(app::close, "bench-close-app");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            log("cdc-hub did not stop within 60 s; exiting anyway");
        }
        app = null;
    }

    private void printSummary(int status) {
        BenchSupport.printSummary("cdc-hub source benchmark: summary", summary, failures, status,
                OUT.resolve("source-benchmark-summary.txt"));
    }

}
