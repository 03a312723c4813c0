package io.cdchub.bench;

import static io.cdchub.bench.BenchSupport.log;
import static io.cdchub.bench.BenchSupport.median;
import static io.cdchub.bench.BenchSupport.pause;
import static io.cdchub.bench.BenchSupport.processCpuNanos;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.cdchub.bench.BenchSupport.StartFailure;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.KafkaServer;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The lakehouse benchmark (issue 12 section 5): cdc-hub's Kafka -> Iceberg route against a raw Iceberg append of the
 * same rows with the same library, in the same run. bench/lakehouse-benchmark.sh runs it; figures are printed, never
 * asserted; the exit status is non-zero only when something did not start or a row is missing or different.
 *
 * <p>A change topic is pre-filled with N Debezium insert envelopes of an 8-column row (as SinkBenchmark's), the
 * PostgreSQL table exists (the sink reads its column types from the catalog). Each repetition:
 * <ol>
 * <li><b>route</b>: cdc-hub starts in this JVM (with the in-process Kafka broker) with only the Iceberg sink on, a fresh
 *     consumer group and namespace, a local warehouse and the Hadoop catalog, default batch size, commit interval and
 *     file size. Time and this JVM's CPU = from the sink's Kafka consumer receiving its first fetch response (its
 *     {@code fetch-total} JMX metric turning non-zero, as SinkBenchmark; app start-up and group join not timed) to the
 *     table's current snapshot holding N records (the rows visible, not merely staged).</li>
 * <li><b>raw</b>: a JVM of its own ({@link LakehouseBenchmarkRaw}) creates a table with the route table's schema,
 *     identifier fields, spec and properties, builds the same N rows as Iceberg records in memory, and writes them with
 *     one {@code UnpartitionedWriter} (Parquet, the same target file size) and one {@code AppendFiles} commit. Time and
 *     CPU = first record written to the commit returned (JVM start and record building not timed).</li>
 * </ol>
 * Both tables are then read back with {@code IcebergGenerics} and must hold the same N rows. The route does more than the
 * raw append (Kafka, JSON, per-key LSN guard, an equality delete per key for upsert semantics, commits each interval): the
 * ratio says what that costs.
 *
 * <p>Knobs (system properties): {@code bench.rows} (200000), {@code bench.repetitions} (3), {@code bench.out}. Arguments
 * {@code key=value} are extra cdc-hub settings, e.g. {@code cdc.sink.iceberg.commit-interval=30s}.
 */
public final class LakehouseBenchmark {

    private static final int ROWS = Integer.getInteger("bench.rows", 200_000);
    private static final int REPETITIONS = Integer.getInteger("bench.repetitions", 3);
    private static final Path OUT = Path.of(System.getProperty("bench.out",
            Path.of(System.getProperty("cdchub.build.dir", "target"), "bench").toString()));
    /** The aim of issue 12: the route at 80% or more of the raw append's rate. */
    private static final double AIM = 0.80;
    private static final Duration WATCHDOG = Duration.ofMinutes(20);
    private static final Duration STALL = Duration.ofSeconds(120);

    static final String DB = RealServers.DATABASE;
    static final String PREFIX = "lakebench";
    static final String SCHEMA = "lakebench";
    static final String TABLE = "lake_rows";
    static final String CATALOG = "cdc_hub";
    private static final JsonFactory JSON_FACTORY = new JsonFactory();

    private final List<String> summary = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final Map<String, String> extraSettings;
    private ConfigurableApplicationContext app;

    private LakehouseBenchmark(Map<String, String> extraSettings) {
        this.extraSettings = extraSettings;
    }

    public static void main(String[] args) {
        Map<String, String> extra = BenchSupport.startWatchdogAndReadSettings(args, WATCHDOG);
        System.exit(new LakehouseBenchmark(extra).run());
    }

    /** One source row: the same generator feeds the topic and the raw append. */
    record Row(long id, int account, BigDecimal amount, double price, String label, String note, boolean active, Instant createdAt,
            long lsn, long tsMs) {
    }

    static List<Row> rows(int n) {
        Instant created = Instant.parse("2025-03-01T08:00:00Z");
        long commitMs = Instant.parse("2025-06-01T12:00:00Z").toEpochMilli();
        String filler = "lorem ipsum dolor sit amet, consectetur adipiscing";
        List<Row> out = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            long tx = 1_000 + i / 1_000;
            out.add(new Row(i, i % 10_000, BigDecimal.valueOf(i * 7_919L % 1_000_000_000L, 2), (i % 1_000) * 0.25 + 0.125,
                    "label-" + (i % 500), "row " + i + ": " + filler, i % 3 != 0, created.plus(i * 1_000_037L, ChronoUnit.MICROS),
                    100_000_000L + i * 152L, commitMs + tx));
        }
        return out;
    }

    /** The row as the sink stores it: column -> Java value of its Iceberg type (IcebergTypes). */
    static Map<String, Object> values(Row r) {
        Map<String, Object> values = new HashMap<>();
        values.put("id", r.id());
        values.put("account", r.account());
        values.put("amount", r.amount());
        values.put("price", r.price());
        values.put("label", r.label());
        values.put("note", r.note());
        values.put("active", r.active());
        values.put("created_at", OffsetDateTime.ofInstant(r.createdAt(), ZoneOffset.UTC));
        values.put("_cdc_lsn", r.lsn());
        values.put("_cdc_op", "c");
        values.put("_cdc_source_ts_ms", r.tsMs());
        return values;
    }

    private int run() {
        return BenchSupport.runAndReport("lakehouse benchmark", OUT.resolve("lakehouse-benchmark-summary.txt"), summary, failures,
                this::runPhases, this::stopApp);
    }

    private int runPhases() throws Exception {
        log("starting PostgreSQL and Kafka");
        String bootstrap;
        try {
            RealServers.settings();
            bootstrap = KafkaServer.shared().bootstrapServers();
            PostgresServer.shared().execute(DB, "DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE", "CREATE SCHEMA " + SCHEMA,
                    "CREATE TABLE " + SCHEMA + "." + TABLE + " (id bigint PRIMARY KEY, account int NOT NULL, amount numeric(12,2) NOT NULL,"
                            + " price double precision, label text NOT NULL, note text, active boolean NOT NULL, created_at timestamptz NOT NULL)");
        } catch (RuntimeException e) {
            throw new StartFailure("the test servers did not start: " + e);
        }
        List<Row> data = rows(ROWS);
        String topic = PREFIX + "." + SCHEMA + "." + TABLE;
        long bytes = prefill(bootstrap, topic, data);
        Path warehouse = Files.createTempDirectory("lakebench-warehouse-");
        Catalog catalog = CatalogUtil.buildIcebergCatalog(CATALOG, Map.of(CatalogUtil.ICEBERG_CATALOG_TYPE, "hadoop", "warehouse", warehouse.toString(),
                "io-impl", "org.apache.iceberg.hadoop.HadoopFileIO"), new org.apache.hadoop.conf.Configuration());
        summary.add(String.format(Locale.ROOT, "data: %,d inserts (op=c) of an 8-column row (id bigint PK, account int, amount numeric(12,2), price float8,"
                + " label text, note text, active boolean, created_at timestamptz), %,d bytes/event (key+value), topic %s (1 partition, lz4)",
                ROWS, bytes / ROWS, topic));
        summary.add("setup: Kafka " + org.apache.kafka.common.utils.AppInfoParser.getVersion() + " KRaft in this JVM, cdc-hub in this JVM (its CPU"
                + " includes the broker's), raw append in a JVM of its own; Iceberg " + org.apache.iceberg.IcebergBuild.version()
                + ", local warehouse " + warehouse + ", Hadoop catalog, Parquet; Java " + System.getProperty("java.version"));
        summary.add("config: cdc-hub defaults (cdc.sink.iceberg.batch-size 10000, linger-ms 1000, commit-interval 10s, max-staged-rows 500000,"
                + " target-file-size-bytes 128 MiB)" + (extraSettings.isEmpty() ? "" : "; overridden: " + extraSettings)
                + "; raw: one writer, one commit, same target file size");

        double[] routeRates = new double[REPETITIONS];
        double[] rawRates = new double[REPETITIONS];
        double[] routeCpu = new double[REPETITIONS];
        double[] rawCpu = new double[REPETITIONS];
        for (int rep = 1; rep <= REPETITIONS; rep++) {
            String namespace = "bench_" + rep;
            double[] route = routeRun(catalog, warehouse, topic, namespace, rep);
            if (route == null) {
                return 1;
            }
            double[] raw = rawRun(warehouse, namespace, rep);
            if (raw == null) {
                return 1;
            }
            routeRates[rep - 1] = ROWS / route[0];
            routeCpu[rep - 1] = route[1];
            rawRates[rep - 1] = ROWS / raw[0];
            rawCpu[rep - 1] = raw[1];
            summary.add(String.format(Locale.ROOT, "repetition %d: route %.2f s (%,.0f rows/s, %.2f CPU s; first fetch %.1f s after the start call, not timed),"
                    + " raw %.2f s (%,.0f rows/s, %.2f CPU s), ratio %.2f", rep, route[0], routeRates[rep - 1], route[1], route[2],
                    raw[0], rawRates[rep - 1], raw[1], routeRates[rep - 1] / rawRates[rep - 1]));
            if (!check(catalog, namespace, data)) {
                return 1;
            }
        }
        double ratio = median(routeRates) / median(rawRates);
        summary.add(String.format(Locale.ROOT, "median of %d: route %,.0f rows/s (%.2f CPU s), raw append %,.0f rows/s (%.2f CPU s),"
                + " ratio route/raw %.2f (aim >= %.2f: %s); CPU per row route/raw %.1fx", REPETITIONS, median(routeRates), median(routeCpu),
                median(rawRates), median(rawCpu), ratio, AIM, ratio >= AIM ? "met" : "NOT met", median(routeCpu) / median(rawCpu)));
        summary.add("checks: route and raw tables read back with IcebergGenerics, the same " + ROWS + " rows, every column equal");
        return 0;
    }

    /** {seconds, CPU seconds, start-up seconds}: from the first fetch to the table's current snapshot holding N records. */
    private double[] routeRun(Catalog catalog, Path warehouse, String topic, String namespace, int rep) throws StartFailure {
        polled = null; // each repetition has a table of its own
        Map<String, String> settings = RealServers.settings();
        settings.put("spring.config.location", "classpath:/application.yaml");
        settings.put("cdc.source.enabled", "false");
        settings.put("cdc.topic-prefix", PREFIX);
        settings.put("cdc.dlq.topic", PREFIX + ".dlq");
        settings.put("cdc.sink.iceberg.enabled", "true");
        settings.put("cdc.sink.iceberg.catalog.type", "hadoop");
        settings.put("cdc.sink.iceberg.warehouse", warehouse.toString());
        settings.put("cdc.sink.iceberg.namespace", namespace);
        settings.put("cdc.sink.iceberg.topics", topic);
        settings.put("cdc.sink.iceberg.group-id", "lakebench-" + rep + "-" + System.nanoTime());
        settings.putAll(extraSettings);
        TableIdentifier id = TableIdentifier.of(namespace, TABLE);
        long startCall = System.nanoTime();
        java.util.concurrent.atomic.AtomicLong firstFetch = new java.util.concurrent.atomic.AtomicLong(-1);
        java.util.concurrent.atomic.AtomicLong cpuAtFirstFetch = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread watcher = new Thread(() -> {
            while (!stop.get()) {
                if (fetchTotal("cdc-hub-iceberg") > 0) {
                    firstFetch.set(System.nanoTime());
                    cpuAtFirstFetch.set(processCpuNanos());
                    return;
                }
                pause(1);
            }
        }, "bench-consumer-watch");
        watcher.setDaemon(true);
        watcher.start();
        try {
            app = InProcessApp.start(settings);
        } catch (Throwable e) {
            stop.set(true);
            throw new StartFailure("cdc-hub failed to start with the Iceberg sink: " + e);
        }
        long lastProgress = System.nanoTime();
        long seen = -1;
        while (true) {
            long records = records(catalog, id);
            if (records >= ROWS) {
                break;
            }
            if (records != seen) {
                seen = records;
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > STALL.toNanos()) {
                failures.add(String.format(Locale.ROOT, "route %d: %,d of %,d rows committed, then nothing for %d s", rep, Math.max(0, records), ROWS,
                        STALL.toSeconds()));
                stopApp();
                return null;
            }
            pause(20);
        }
        long end = System.nanoTime();
        long cpuEnd = processCpuNanos();
        stop.set(true);
        stopApp();
        if (firstFetch.get() < 0) {
            failures.add("route " + rep + ": the sink's Kafka consumer (client id cdc-hub-iceberg*) was not found in JMX: cannot time it");
            return null;
        }
        long started = firstFetch.get();
        log(String.format(Locale.ROOT, "route %d: %,d rows committed in %.2f s from the first fetch (%.1f s after the start call)", rep, ROWS,
                (end - started) / 1e9, (started - startCall) / 1e9));
        return new double[] {(end - started) / 1e9, (cpuEnd - cpuAtFirstFetch.get()) / 1e9, (started - startCall) / 1e9};
    }

    /** The {@code fetch-total} of the Kafka consumers whose client id starts with the prefix; -1 while there is none. */
    private static long fetchTotal(String clientIdPrefix) {
        try {
            javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
            long total = -1;
            for (javax.management.ObjectName name : server.queryNames(
                    new javax.management.ObjectName("kafka.consumer:type=consumer-fetch-manager-metrics,client-id=*"), null)) {
                String clientId = name.getKeyProperty("client-id");
                if (clientId != null && clientId.replace("\"", "").startsWith(clientIdPrefix)) {
                    Object value = server.getAttribute(name, "fetch-total");
                    total = Math.max(total, 0) + (value instanceof Number number ? (long) number.doubleValue() : 0);
                }
            }
            return total;
        } catch (Exception e) {
            return -1;
        }
    }

    /** The table polled for the route's commits: loaded once, then refreshed (a refresh re-reads metadata only when it moved). */
    private org.apache.iceberg.Table polled;

    private long records(Catalog catalog, TableIdentifier id) {
        try {
            if (polled == null) {
                polled = catalog.loadTable(id);
            } else {
                polled.refresh();
            }
            Snapshot current = polled.currentSnapshot();
            return current == null ? 0 : Long.parseLong(current.summary().getOrDefault("total-records", "0"));
        } catch (RuntimeException e) {
            polled = null;
            return -1; // not created yet
        }
    }

    /** {seconds, CPU seconds} of the raw append, from the child JVM's report line. */
    private double[] rawRun(Path warehouse, String namespace, int rep) throws IOException, InterruptedException {
        List<String> command = List.of(ChildProcess.javaBin(), "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                LakehouseBenchmarkRaw.class.getName(), warehouse.toString(), namespace, TABLE, "raw_" + TABLE, String.valueOf(ROWS));
        Path logFile = OUT.resolve("lakehouse-raw-" + rep + ".log");
        ChildProcess child = ChildProcess.start("lakehouse-raw-" + rep, command, Path.of(".").toAbsolutePath(), logFile, List.of());
        if (!child.process.waitFor(10, TimeUnit.MINUTES) || child.process.exitValue() != 0) {
            child.process.destroyForcibly();
            failures.add("raw append " + rep + " failed; see " + logFile);
            return null;
        }
        for (String line : Files.readAllLines(logFile)) {
            if (line.startsWith(LakehouseBenchmarkRaw.REPORT)) {
                String[] parts = line.substring(LakehouseBenchmarkRaw.REPORT.length()).trim().split(" ");
                double seconds = Double.parseDouble(parts[0]);
                double cpu = Double.parseDouble(parts[1]);
                log(String.format(Locale.ROOT, "raw %d: %,d rows appended in %.2f s", rep, ROWS, seconds));
                return new double[] {seconds, cpu};
            }
        }
        failures.add("raw append " + rep + " printed no report; see " + logFile);
        return null;
    }

    /** The route's and the raw table's rows, read with IcebergGenerics: the same N rows, equal in every column. */
    private boolean check(Catalog catalog, String namespace, List<Row> data) throws IOException {
        Map<Long, List<Object>> route = read(catalog.loadTable(TableIdentifier.of(namespace, TABLE)));
        Map<Long, List<Object>> raw = read(catalog.loadTable(TableIdentifier.of(namespace, "raw_" + TABLE)));
        if (route.size() != data.size() || !route.equals(raw)) {
            failures.add(String.format(Locale.ROOT, "%s: route table %,d rows, raw table %,d rows, of %,d; equal: %s", namespace, route.size(),
                    raw.size(), data.size(), route.equals(raw)));
            return false;
        }
        return true;
    }

    private static Map<Long, List<Object>> read(Table table) throws IOException {
        Map<Long, List<Object>> rows = new TreeMap<>();
        List<String> columns = table.schema().columns().stream().map(c -> c.name()).toList();
        try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
            for (Record record : records) {
                List<Object> values = new ArrayList<>(columns.size());
                columns.forEach(c -> values.add(record.getField(c)));
                if (rows.put((Long) record.getField("id"), values) != null) {
                    rows.put(-1L, List.of("duplicate id " + record.getField("id")));
                }
            }
        }
        return rows;
    }

    private static long prefill(String bootstrap, String topic, List<Row> data) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
        Map<String, Object> settings = Map.of("bootstrap.servers", bootstrap, "acks", "all", "compression.type", "lz4", "linger.ms", "2",
                "batch.size", "262144");
        long bytes = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (Row r : data) {
                byte[] key = ("{\"id\":" + r.id() + "}").getBytes(StandardCharsets.UTF_8);
                byte[] value = envelope(r);
                bytes += key.length + value.length;
                producer.send(new ProducerRecord<>(topic, 0, key, value));
            }
            producer.flush();
        }
        log(String.format(Locale.ROOT, "prefilled %s with %,d events", topic, data.size()));
        return bytes;
    }

    /** The Debezium envelope cdc-hub's source publishes for an insert (README "Event format"). */
    private static byte[] envelope(Row r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(768);
        try (JsonGenerator g = JSON_FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeNullField("before");
            g.writeObjectFieldStart("after");
            g.writeNumberField("id", r.id());
            g.writeNumberField("account", r.account());
            g.writeNumberField("amount", r.amount());
            g.writeNumberField("price", r.price());
            g.writeStringField("label", r.label());
            g.writeStringField("note", r.note());
            g.writeBooleanField("active", r.active());
            g.writeStringField("created_at", r.createdAt().toString());
            g.writeEndObject();
            g.writeObjectFieldStart("source");
            g.writeStringField("version", "3.4.0.Final");
            g.writeStringField("connector", "postgresql");
            g.writeStringField("name", PREFIX);
            g.writeNumberField("ts_ms", r.tsMs());
            g.writeStringField("snapshot", "false");
            g.writeStringField("db", DB);
            g.writeStringField("schema", SCHEMA);
            g.writeStringField("table", TABLE);
            g.writeNumberField("lsn", r.lsn());
            g.writeEndObject();
            g.writeNullField("transaction");
            g.writeStringField("op", "c");
            g.writeNumberField("ts_ms", r.tsMs() + 7);
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private void stopApp() {
        if (app != null) {
            try {
                app.close();
            } catch (RuntimeException e) {
                log("stopping cdc-hub: " + e);
            }
            app = null;
        }
    }
}
