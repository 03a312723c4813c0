package io.cdchub.bench;

import static io.cdchub.bench.BenchSupport.loadAverage;
import static io.cdchub.bench.BenchSupport.log;
import static io.cdchub.bench.BenchSupport.median;
import static io.cdchub.bench.BenchSupport.pause;
import static io.cdchub.bench.BenchSupport.processCpuNanos;

import io.cdchub.bench.BenchSupport.StartFailure;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPOutputStream;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.sink.SinkProperties;
import io.cdchub.testinfra.ClickHouseServer;
import io.cdchub.testinfra.ElasticsearchServer;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.KafkaServer;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.http.HttpHost;
import org.apache.http.entity.ByteArrayEntity;
import org.apache.http.entity.ContentType;
import org.apache.http.util.EntityUtils;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestClient;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The sink benchmark: cdc-hub's two sink routes (Kafka -> ClickHouse, Kafka -> Elasticsearch), started in this JVM
 * against the test harness's real servers, each next to a raw bulk write of the same rows with the same batch size,
 * in the same run.
 *
 * <p>A change topic per sink is pre-filled with N Debezium envelopes (inserts of an 8-column row) in the exact format
 * cdc-hub's source publishes (see {@code ChangeEventWriter} and README "Event format"), written by a plain
 * KafkaProducer; the matching PostgreSQL table exists, so the ClickHouse sink resolves the column types from the
 * catalog as it does in production. Each repetition, per sink:
 * <ol>
 * <li><b>route</b>: cdc-hub starts in-process with only that sink on ({@code cdc.source.enabled=false}), a fresh
 *     consumer group and a fresh target table/index, and reads the topic from the beginning. Time = from the sink's
 *     Kafka consumer receiving its first fetch response (its {@code fetch-total} JMX metric turning non-zero; app
 *     start-up and group join are not timed) to the sink's {@code cdc.sink.records.written} counter reaching N. Then
 *     the target is checked: exactly N rows/documents.</li>
 * <li><b>raw</b>: after cdc-hub has stopped, the same N rows, already in memory, written by one thread in batches of
 *     the sink's batch size: gzip {@code INSERT ... FORMAT JSONEachRow} POSTs ({@link HttpClient}) of the very lines the
 *     sink writes, into a fresh table made {@code AS} the sink's (same DDL); or {@code _bulk} requests of the same
 *     documents with the same ids and external versions through the low-level REST client (the HTTP stack under the
 *     sink's elasticsearch-java client). Time = encoding the first batch to the answer to the last. The raw target's
 *     content must equal the route's.</li>
 * </ol>
 * A plain {@code main}, not a test: bench/sink-benchmark.sh runs it. Figures are printed, never asserted; the exit
 * status is non-zero only when something did not start or a row/document is missing or different. See
 * bench/README.md, "Sink benchmark".
 *
 * <p>Knobs (system properties; the defaults are the benchmark): {@code bench.rows} (200000, ClickHouse),
 * {@code bench.es-rows} (100000, Elasticsearch: it takes ~10x longer per document), {@code bench.repetitions} (3),
 * {@code bench.warmup-rows} (30000, 0 = none), {@code bench.sinks} (clickhouse,elasticsearch), {@code bench.debug} (false),
 * {@code bench.out} (target/bench). Arguments {@code key=value} are extra cdc-hub settings, e.g.
 * {@code cdc.sink.clickhouse.batch-size=20000} (the raw baseline then uses that batch size too).
 */
public final class SinkBenchmark {

    private static final int ROWS = Integer.getInteger("bench.rows", 200_000);
    private static final int ES_ROWS = Integer.getInteger("bench.es-rows", 100_000);
    private static final int REPETITIONS = Integer.getInteger("bench.repetitions", 3);
    private static final int WARMUP_ROWS = Integer.getInteger("bench.warmup-rows", 30_000);
    /** Prints Elasticsearch's hot threads half-way through each Elasticsearch route run. */
    private static final boolean DEBUG = Boolean.getBoolean("bench.debug");
    private static final List<String> SINKS = List.of(System.getProperty("bench.sinks", "clickhouse,elasticsearch").split(","));
    private static final Path OUT = Path.of(System.getProperty("bench.out",
            Path.of(System.getProperty("cdchub.build.dir", "target"), "bench").toString()));
    /** The goal of issue 11: the routes at 90% or more of the raw rate. */
    private static final double AIM = 0.90;

    private static final String DB = RealServers.DATABASE;
    private static final String PREFIX = "bench";
    private static final String SCHEMA = "bench";
    /** Source tables (and so topics {@code bench.bench.<table>}): one per sink, and one for the warm-ups. */
    private static final String CLICKHOUSE_TABLE = "sink_rows";
    private static final String ES_TABLE = "sink_docs";
    private static final String WARMUP_TABLE = "sink_warmup";
    private static final String CLICKHOUSE_DB = "sinkbench";

    /** A run is bounded: whatever happens, the JVM exits (and its shutdown hooks stop the servers) after this. */
    private static final Duration WATCHDOG = Duration.ofMinutes(10);
    /** Give up on a route when its written counter did not move for this long. */
    private static final Duration STALL = Duration.ofSeconds(60);

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final JsonFactory JSON_FACTORY = new JsonFactory();
    /** Reads change events as a hand-written consumer would, decimals exact as written (3959500.00 stays that, not 3.9595E+6). */
    private static final com.fasterxml.jackson.databind.ObjectReader EVENTS = JSON.reader()
            .with(com.fasterxml.jackson.databind.node.JsonNodeFactory.withExactBigDecimals(true));
    /** Debezium's ZonedTimestamp text: UTC, fraction without trailing zeros. */
    private static final DateTimeFormatter ZONED = new DateTimeFormatterBuilder().appendPattern("yyyy-MM-dd'T'HH:mm:ss")
            .appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).appendLiteral('Z').toFormatter(Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter SYNCED_AT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private final List<String> summary = new ArrayList<>();
    private final List<String> checks = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final Map<String, String> extraSettings;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    private String bootstrap;
    private ClickHouseServer clickhouse;
    private CompletableFuture<ElasticsearchServer> elasticsearchStart;
    private ElasticsearchServer elasticsearch;
    private ConfigurableApplicationContext app;
    /** Events per source table, in topic order. */
    private final Map<String, List<Row>> data = new LinkedHashMap<>();

    private SinkBenchmark(Map<String, String> extraSettings) {
        this.extraSettings = extraSettings;
    }

    /** Exit status: 0 done, 1 a row/document missing or a phase failed, 2 cdc-hub or the servers did not start, 3 watchdog. */
    public static void main(String[] args) {
        Map<String, String> extra = BenchSupport.startWatchdogAndReadSettings(args, WATCHDOG);
        for (String sink : SINKS) {
            if (!sink.equals("clickhouse") && !sink.equals("elasticsearch")) {
                System.err.println("[bench] bench.sinks lists clickhouse and/or elasticsearch, not '" + sink + "'");
                System.exit(64);
            }
        }
        System.exit(new SinkBenchmark(extra).run());
    }

    private int run() {
        return BenchSupport.runAndReport("cdc-hub sink benchmark: summary", OUT.resolve("sink-benchmark-summary.txt"), summary, failures,
                this::runPhases, () -> {
                    stopApp();
                    // a check line carries "|<mapping hash>" for comparing route and raw; not for reading
                    checks.forEach(check -> summary.add(check.replaceFirst("\\|-?\\d+$", "")));
                });
    }

    private int runPhases() throws Exception {
        startServers();
        if (WARMUP_ROWS > 0) {
            data.put(WARMUP_TABLE, rows(WARMUP_ROWS, WARMUP_TABLE, 10_000_000L));
        }
        if (SINKS.contains("clickhouse")) {
            data.put(CLICKHOUSE_TABLE, rows(ROWS, CLICKHOUSE_TABLE, 100_000_000L));
        }
        if (SINKS.contains("elasticsearch")) {
            data.put(ES_TABLE, rows(ES_ROWS, ES_TABLE, 100_000_000L));
        }
        long eventBytes = prefill();
        if (SINKS.contains("elasticsearch")) {
            log("waiting for Elasticsearch (started in the background)");
            try {
                elasticsearch = elasticsearchStart.join();
            } catch (RuntimeException e) {
                throw new StartFailure("Elasticsearch did not start: " + rootMessage(e));
            }
        }
        summary.add(setupLine());
        List<String> sets = new ArrayList<>();
        data.forEach((table, list) -> sets.add(String.format(Locale.ROOT, "%s %,d", topic(table), list.size())));
        summary.add(String.format(Locale.ROOT, "data: inserts (op=c) of an 8-column row (id bigint PK, account int, amount numeric(12,2), price float8,"
                + " label text, note text, active boolean, created_at timestamptz), %,d bytes/event on average (key+value), one topic per sink"
                + " (1 partition, lz4): %s events (the warm-up one not measured)", eventBytes, String.join(", ", sets)));
        List<String> configs = new ArrayList<>();
        for (String sink : SINKS) {
            Target target = sink.equals("clickhouse") ? new ClickHouseTarget() : new ElasticsearchTarget();
            try {
                measure(target, configs);
            } finally {
                target.close();
            }
            if (!failures.isEmpty()) {
                break;
            }
        }
        summary.add(2, "config: " + String.join("; ", configs) + (extraSettings.isEmpty() ? "" : "; overridden: " + extraSettings)
                + "; raw baselines: same batch sizes, one thread, one connection (ClickHouse: java.net.http.HttpClient, HTTP/1.1;"
                + " Elasticsearch: the low-level REST client)");
        return failures.isEmpty() ? 0 : 1;
    }

    // ---------------------------------------------------------------- set-up

    private void startServers() throws StartFailure {
        log("starting PostgreSQL, Kafka, ClickHouse (and Elasticsearch in the background)");
        if (SINKS.contains("elasticsearch")) {
            elasticsearchStart = CompletableFuture.supplyAsync(ElasticsearchServer::shared);
        }
        try {
            RealServers.settings(); // starts PostgreSQL and Kafka, creates the database
            bootstrap = KafkaServer.shared().bootstrapServers();
            PostgresServer.shared().execute(DB,
                    "DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE",
                    "CREATE SCHEMA " + SCHEMA,
                    // the ClickHouse sink reads these columns' types from the catalog (PostgresColumns)
                    createTable(CLICKHOUSE_TABLE), createTable(ES_TABLE), createTable(WARMUP_TABLE));
            if (SINKS.contains("clickhouse")) {
                clickhouse = ClickHouseServer.shared();
                clickhouse.query("CREATE DATABASE IF NOT EXISTS " + CLICKHOUSE_DB);
            }
        } catch (RuntimeException e) {
            throw new StartFailure("the test servers did not start: " + rootMessage(e));
        }
    }

    private static String createTable(String table) {
        return "CREATE TABLE " + SCHEMA + "." + table + " (id bigint PRIMARY KEY, account int NOT NULL, amount numeric(12,2) NOT NULL,"
                + " price double precision, label text NOT NULL, note text, active boolean NOT NULL, created_at timestamptz NOT NULL)";
    }

    private String setupLine() {
        List<String> parts = new ArrayList<>();
        if (clickhouse != null) {
            parts.add("ClickHouse " + clickhouse.query("SELECT version()").trim());
        }
        if (elasticsearch != null) {
            parts.add("Elasticsearch " + ElasticsearchServer.VERSION + " (single node, 512 MB heap)");
        }
        parts.add("Kafka " + org.apache.kafka.common.utils.AppInfoParser.getVersion() + " KRaft in-process");
        parts.add("PostgreSQL " + queryText("SHOW server_version") + " (column types only)");
        return "setup: " + String.join(", ", parts) + "; " + Runtime.getRuntime().availableProcessors() + " CPUs, Java "
                + System.getProperty("java.version") + "; cdc-hub in this JVM with the broker, the servers as processes of their own";
    }

    /** One source row, and everything its change event carries. */
    record Row(long id, int account, BigDecimal amount, double price, String label, String note, boolean active, String createdAt,
            String table, long lsn, long previousLsn, long txId, long tsMs) {
    }

    private static List<Row> rows(int n, String table, long lsnBase) {
        Instant created = Instant.parse("2025-03-01T08:00:00Z");
        long commitMs = Instant.parse("2025-06-01T12:00:00Z").toEpochMilli();
        String filler = "lorem ipsum dolor sit amet, consectetur adipiscing";
        List<Row> out = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            long tx = 1_000 + i / 1_000; // transactions of 1,000 rows
            out.add(new Row(i, i % 10_000, BigDecimal.valueOf(i * 7_919L % 1_000_000_000L, 2), (i % 1_000) * 0.25 + 0.125,
                    "label-" + (i % 500), "row " + i + ": " + filler, i % 3 != 0,
                    ZONED.format(created.plus(i * 1_000_037L, ChronoUnit.MICROS)),
                    table, lsnBase + i * 152L, lsnBase + (i - 1) * 152L, tx, commitMs + tx));
        }
        return out;
    }

    /** The Debezium envelope cdc-hub's source publishes for an insert (ChangeEventWriter, README "Event format"). */
    private static byte[] envelope(Row r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(768);
        try (JsonGenerator g = JSON_FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeNullField("before");
            g.writeFieldName("after");
            writeAfter(g, r, false);
            g.writeEndObject();
            g.writeObjectFieldStart("source");
            g.writeStringField("version", "3.4.0.Final");
            g.writeStringField("connector", "postgresql");
            g.writeStringField("name", PREFIX);
            g.writeNumberField("ts_ms", r.tsMs());
            g.writeStringField("snapshot", "false");
            g.writeStringField("db", DB);
            g.writeStringField("sequence", "[\"" + r.previousLsn() + "\",\"" + r.lsn() + "\"]");
            g.writeNumberField("ts_us", r.tsMs() * 1_000);
            g.writeNumberField("ts_ns", r.tsMs() * 1_000_000);
            g.writeStringField("schema", SCHEMA);
            g.writeStringField("table", r.table());
            g.writeNumberField("txId", r.txId());
            g.writeNumberField("lsn", r.lsn());
            g.writeNullField("xmin");
            g.writeEndObject();
            g.writeNullField("transaction");
            g.writeStringField("op", "c");
            g.writeNumberField("ts_ms", r.tsMs() + 7);
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /**
     * Starts the row's object: the event's {@code after} (booleans as JSON booleans) or a JSONEachRow line (0/1, as
     * ClickHouseSink converts for the UInt8 column). The caller ends the object.
     */
    private static void writeAfter(JsonGenerator g, Row r, boolean booleanAsNumber) throws IOException {
        g.writeStartObject();
        g.writeNumberField("id", r.id());
        g.writeNumberField("account", r.account());
        g.writeNumberField("amount", r.amount());
        g.writeNumberField("price", r.price());
        g.writeStringField("label", r.label());
        g.writeStringField("note", r.note());
        if (booleanAsNumber) {
            g.writeNumberField("active", r.active() ? 1 : 0);
        } else {
            g.writeBooleanField("active", r.active());
        }
        g.writeStringField("created_at", r.createdAt());
    }

    private static String topic(String table) {
        return PREFIX + "." + SCHEMA + "." + table;
    }

    /** Writes the change topics the way cdc-hub's publisher does; returns bytes per event (key + value). */
    private long prefill() throws Exception {
        long started = System.nanoTime();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap, "client.id", "sinkbench-admin"))) {
            admin.createTopics(data.keySet().stream().map(t -> new NewTopic(topic(t), 1, (short) 1)).toList()).all().get(60, TimeUnit.SECONDS);
        }
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", bootstrap);
        settings.put("client.id", "sinkbench-prefill");
        // as cdc-hub's own producer (application.yaml camel.component.kafka.*)
        settings.put("acks", "all");
        settings.put("enable.idempotence", "true");
        settings.put("compression.type", "lz4");
        settings.put("linger.ms", "2");
        settings.put("batch.size", "262144");
        settings.put("buffer.memory", String.valueOf(64 * 1024 * 1024));
        AtomicReference<Exception> error = new AtomicReference<>();
        long bytes = 0;
        long events = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (List<Row> list : data.values()) {
                for (Row r : list) {
                    byte[] key = ("{\"id\":" + r.id() + "}").getBytes(StandardCharsets.UTF_8);
                    byte[] value = envelope(r);
                    bytes += key.length + value.length;
                    events++;
                    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic(r.table()), 0, key, value);
                    record.headers().add(new RecordHeader("cdc.op", "c".getBytes(StandardCharsets.UTF_8)));
                    record.headers().add(new RecordHeader("cdc.schema", SCHEMA.getBytes(StandardCharsets.UTF_8)));
                    record.headers().add(new RecordHeader("cdc.table", r.table().getBytes(StandardCharsets.UTF_8)));
                    record.headers().add(new RecordHeader("cdc.lsn", String.valueOf(r.lsn()).getBytes(StandardCharsets.UTF_8)));
                    producer.send(record, (metadata, e) -> {
                        if (e != null) {
                            error.compareAndSet(null, e);
                        }
                    });
                }
            }
            producer.flush();
        }
        if (error.get() != null) {
            throw new StartFailure("could not pre-fill the change topics: " + error.get());
        }
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "client.id", "sinkbench-check"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            for (Map.Entry<String, List<Row>> set : data.entrySet()) {
                long end = consumer.endOffsets(List.of(new TopicPartition(topic(set.getKey()), 0))).values().iterator().next();
                if (end != set.getValue().size()) {
                    throw new StartFailure("the change topic " + topic(set.getKey()) + " holds " + end + " records after the pre-fill, not "
                            + set.getValue().size());
                }
            }
        }
        log(String.format(Locale.ROOT, "pre-filled %,d events into %s in %.1f s", events, data.keySet().stream().map(SinkBenchmark::topic).toList(),
                (System.nanoTime() - started) / 1e9));
        return events == 0 ? 0 : bytes / events;
    }

    // ---------------------------------------------------------------- measuring

    /** One repetition's figures for one side. */
    record Figures(double seconds, long records, double jvmCpuMicros, double targetCpuMicros) {
        double rate() {
            return records / seconds;
        }
    }

    /** A route run: its figures plus what the app told about it. */
    record RouteRun(Figures figures, double startupSeconds, boolean precise, long batches, int batchSize, int lingerMs, double tailSeconds) {
    }

    private void measure(Target target, List<String> configs) throws Exception {
        String unit = target.unit();
        List<Row> warmupRows = data.getOrDefault(WARMUP_TABLE, List.of());
        List<Row> rows = data.get(target.table());
        if (!warmupRows.isEmpty()) {
            log(target.name() + ": warm-up (" + warmupRows.size() + " events through the route, then raw; not measured)");
            String routeName = target.routeTargetName("warmup");
            String rawName = target.rawTargetName("warmup");
            target.drop(routeName);
            target.drop(rawName);
            RouteRun warm = routeRun(target, topic(WARMUP_TABLE), WARMUP_TABLE, warmupRows.size(), "warmup", routeName);
            if (warm == null) {
                return;
            }
            target.prepareRaw(routeName, rawName);
            target.drop(routeName);
            rawRun(target, warmupRows, warm.batchSize(), rawName);
            target.drop(rawName);
            if (!failures.isEmpty()) {
                return;
            }
        }
        double[] routeRates = new double[REPETITIONS];
        double[] rawRates = new double[REPETITIONS];
        double[] consumerRates = new double[REPETITIONS];
        int batchSize = 0;
        int lingerMs = 0;
        for (int rep = 1; rep <= REPETITIONS; rep++) {
            String load = loadAverage();
            String label = "r" + rep;
            String routeName = target.routeTargetName(label);
            String rawName = target.rawTargetName(label);
            String consumerName = target.rawTargetName(label + "k");
            target.drop(routeName);
            target.drop(rawName);
            target.drop(consumerName);

            log(target.name() + " rep " + rep + ": route (cdc-hub, fresh consumer group, fresh " + target.targetKind() + " " + routeName + ")");
            RouteRun route = routeRun(target, topic(target.table()), target.table(), rows.size(), label, routeName);
            if (route == null) {
                return;
            }
            batchSize = route.batchSize();
            lingerMs = route.lingerMs();
            String routeCheck = target.verify(routeName, true, rows.size());
            if (routeCheck == null) {
                return;
            }
            target.prepareRaw(routeName, rawName);
            target.prepareRaw(routeName, consumerName);
            target.drop(routeName);

            log(target.name() + " rep " + rep + ": raw (" + target.rawDescription() + " into fresh " + target.targetKind() + " " + rawName + ")");
            Figures raw = rawRun(target, rows, batchSize, rawName);
            if (raw == null) {
                return;
            }
            String rawCheck = target.verify(rawName, false, rows.size());
            target.drop(rawName);
            if (rawCheck == null) {
                return;
            }
            if (!routeCheck.equals(rawCheck)) {
                failures.add(target.name() + " rep " + rep + ": the route's " + target.targetKind() + " differs from the raw one: route " + routeCheck
                        + ", raw " + rawCheck);
                return;
            }

            log(target.name() + " rep " + rep + ": raw consumer (a plain KafkaConsumer of the same topic, each value parsed into a tree, then "
                    + target.rawDescription() + " into fresh " + target.targetKind() + " " + consumerName + ")");
            Figures consumer = rawConsumerRun(target, topic(target.table()), rows.size(), batchSize, consumerName);
            if (consumer == null) {
                return;
            }
            String consumerCheck = target.verify(consumerName, false, rows.size());
            target.drop(consumerName);
            if (consumerCheck == null) {
                return;
            }
            if (!routeCheck.equals(consumerCheck)) {
                failures.add(target.name() + " rep " + rep + ": the route's " + target.targetKind() + " differs from the raw consumer's: route "
                        + routeCheck + ", raw consumer " + consumerCheck);
                return;
            }

            Figures r = route.figures();
            routeRates[rep - 1] = r.rate();
            rawRates[rep - 1] = raw.rate();
            consumerRates[rep - 1] = consumer.rate();
            summary.add(String.format(Locale.ROOT,
                    "%s rep %d: route %,.0f %s/s (%.2f s from first fetch, of which %.2f s after the last records were consumed; %,d batches;"
                            + " app start to first fetch %.1f s, not timed%s;"
                            + " JVM CPU %.1f µs/%s, %s CPU %.1f µs/%s), raw %,.0f %s/s (%.2f s; JVM CPU %.1f µs/%s, %s CPU %.1f µs/%s),"
                            + " ratio route/raw %.2f; raw consumer %,.0f %s/s (%.2f s; JVM CPU %.1f µs/%s, %s CPU %.1f µs/%s),"
                            + " ratio route/raw consumer %.2f; load %s",
                    target.name(), rep, r.rate(), unit, r.seconds(), route.tailSeconds(), route.batches(), route.startupSeconds(),
                    route.precise() ? "" : ", START IMPRECISE: JMX consumer metric not found, timed from app start",
                    r.jvmCpuMicros(), singular(unit), target.serverName(), r.targetCpuMicros(), singular(unit),
                    raw.rate(), unit, raw.seconds(), raw.jvmCpuMicros(), singular(unit), target.serverName(), raw.targetCpuMicros(), singular(unit),
                    r.rate() / raw.rate(), consumer.rate(), unit, consumer.seconds(), consumer.jvmCpuMicros(), singular(unit), target.serverName(),
                    consumer.targetCpuMicros(), singular(unit), r.rate() / consumer.rate(), load));
            if (rep == 1) {
                checks.add("checks " + target.name() + " (every repetition, route and raw " + target.targetKind() + " alike): " + routeCheck);
            }
        }
        double routeMedian = median(routeRates);
        double rawMedian = median(rawRates);
        double consumerMedian = median(consumerRates);
        double ratio = routeMedian / rawMedian;
        summary.add(String.format(Locale.ROOT, "%s median of %d: route %,.0f %s/s, raw %,.0f %s/s, ratio route/raw %.2f (aim >= %.2f: %s);"
                        + " raw consumer %,.0f %s/s, ratio route/raw consumer %.2f",
                target.name(), REPETITIONS, routeMedian, unit, rawMedian, unit, ratio, AIM, ratio >= AIM ? "met" : "NOT met",
                consumerMedian, unit, routeMedian / consumerMedian));
        configs.add(target.name() + " batch-size=" + batchSize + ", linger-ms=" + lingerMs);
    }

    /** Starts cdc-hub with only this sink, reading {@code topic} from the start; returns null (and a failure) when it did not finish. */
    private RouteRun routeRun(Target target, String topic, String table, int n, String label, String targetName) throws StartFailure {
        Map<String, String> settings = RealServers.settings();
        // only the jar's application.yaml: a developer's ./config/application.yaml must not change the figures
        settings.put("spring.config.location", "classpath:/application.yaml");
        settings.put("cdc.source.enabled", "false");
        settings.put("cdc.topic-prefix", PREFIX);
        settings.put("cdc.dlq.topic", PREFIX + ".dlq");
        settings.putAll(target.settings(topic, table, "sinkbench-" + target.name() + "-" + label + "-" + System.nanoTime(), targetName));
        settings.putAll(extraSettings);

        String clientId = "cdc-hub-" + target.name() + "-sink";
        if (consumerTotal(clientId, "fetch-total") >= 0) {
            log("warning: a Kafka consumer " + clientId + " of an earlier run is still registered");
        }
        AtomicLong firstConsumedAt = new AtomicLong(-1);
        AtomicLong cpuAtFirst = new AtomicLong();
        AtomicLong targetCpuAtFirst = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        long targetPid = target.serverPid();
        // The start of consumption: the sink's Kafka consumer received its first fetch response (with the first records).
        Thread watcher = new Thread(() -> {
            while (!stop.get()) {
                if (consumerTotal(clientId, "fetch-total") > 0) {
                    firstConsumedAt.set(System.nanoTime());
                    cpuAtFirst.set(processCpuNanos());
                    targetCpuAtFirst.set(cpuNanos(targetPid));
                    return;
                }
                pause(1);
            }
        }, "bench-consumer-watch");
        watcher.setDaemon(true);
        long startCall = System.nanoTime();
        long cpuAtStartCall = processCpuNanos();
        long targetCpuAtStartCall = cpuNanos(targetPid);
        watcher.start();
        try {
            app = InProcessApp.start(settings);
        } catch (Throwable e) {
            stop.set(true);
            throw new StartFailure("cdc-hub failed to start with the " + target.name() + " sink: " + rootMessage(e));
        }
        MeterRegistry registry = app.getBean(MeterRegistry.class);
        Counter written = registry.find("cdc.sink.records.written").tag("sink", target.name()).counter();
        if (written == null) {
            stop.set(true);
            throw new StartFailure("cdc-hub started, but has no cdc.sink.records.written counter for sink=" + target.name());
        }
        long lastProgress = System.nanoTime();
        double seen = -1;
        long end;
        long allConsumed = -1;
        boolean hotThreadsShown = false;
        int loops = 0;
        while (true) {
            double count = written.count();
            end = System.nanoTime();
            if (count >= n) {
                break;
            }
            if (allConsumed < 0 && ++loops % 10 == 0 && consumerTotal(clientId, "records-consumed-total") >= n) {
                allConsumed = end; // the last fetch was handed to Camel (the metric lags by one fetch)
            }
            if (count != seen) {
                seen = count;
                lastProgress = end;
            } else if (end - lastProgress > STALL.toNanos()) {
                stop.set(true);
                failures.add(String.format(Locale.ROOT, "%s route (%s): %,.0f of %,d records written, then nothing for %d s; dead letters %,.0f,"
                        + " failed attempts %,.0f (see the log above)", target.name(), label, count, n, STALL.toSeconds(),
                        counter(registry, "cdc.sink.dead.letters", target.name()), counter(registry, "cdc.sink.failures", target.name())));
                stopApp();
                return null;
            }
            if (DEBUG && !hotThreadsShown && count >= n / 2 && target instanceof ElasticsearchTarget) {
                hotThreadsShown = true;
                // in the background: it takes a second, which must not delay noticing the end
                Thread hot = new Thread(() -> log("debug: Elasticsearch hot threads at half-way:\n"
                        + elasticsearchText("/_nodes/hot_threads?threads=4&interval=1s")), "bench-hot-threads");
                hot.setDaemon(true);
                hot.start();
            }
            pause(5);
        }
        long cpuAtEnd = processCpuNanos();
        long targetCpuAtEnd = cpuNanos(targetPid);
        stop.set(true);
        try {
            watcher.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean precise = firstConsumedAt.get() > 0;
        long start = precise ? firstConsumedAt.get() : startCall;
        long cpuStart = precise ? cpuAtFirst.get() : cpuAtStartCall;
        long targetCpuStart = precise ? targetCpuAtFirst.get() : targetCpuAtStartCall;

        long batches = Math.round(counter(registry, "cdc.sink.batches", target.name()));
        double deadLetters = counter(registry, "cdc.sink.dead.letters", target.name());
        double retries = counter(registry, "cdc.sink.failures", target.name());
        double skipped = registry.find("cdc.sink.records.skipped").tag("sink", target.name()).counters().stream().mapToDouble(Counter::count).sum();
        double writtenCount = written.count();
        SinkProperties sinks = app.getBean(SinkProperties.class);
        int batchSize = target.name().equals("clickhouse") ? sinks.clickhouse().batchSize() : sinks.elasticsearch().batchSize();
        int lingerMs = target.name().equals("clickhouse") ? sinks.clickhouse().lingerMs() : sinks.elasticsearch().lingerMs();
        stopApp();
        if (deadLetters > 0 || retries > 0 || skipped > 0 || writtenCount != n) {
            failures.add(String.format(Locale.ROOT, "%s route (%s): written %,.0f of %,d, dead letters %,.0f, failed attempts %,.0f, skipped %,.0f:"
                    + " a clean run has exactly N written and nothing else", target.name(), label, writtenCount, n, deadLetters, retries, skipped));
            return null;
        }
        double seconds = (end - start) / 1e9;
        Figures figures = new Figures(seconds, n, (cpuAtEnd - cpuStart) / 1e3 / n, (targetCpuAtEnd - targetCpuStart) / 1e3 / n);
        log(String.format(Locale.ROOT, "%s route (%s): %,d written in %.2f s (%,.0f/s), %,d batches; first fetch %.1f s after start%s",
                target.name(), label, n, seconds, figures.rate(), batches, (start - startCall) / 1e9, precise ? "" : " (NOT FOUND: timed from start)"));
        return new RouteRun(figures, (start - startCall) / 1e9, precise, batches, batchSize, lingerMs, allConsumed < 0 ? 0 : (end - allConsumed) / 1e9);
    }

    private Figures rawRun(Target target, List<Row> data, int batchSize, String targetName) throws Exception {
        long targetPid = target.serverPid();
        long cpu0 = processCpuNanos();
        long targetCpu0 = cpuNanos(targetPid);
        long t0 = System.nanoTime();
        long written = 0;
        for (int from = 0; from < data.size(); from += batchSize) {
            List<Row> batch = data.subList(from, Math.min(data.size(), from + batchSize));
            long ok = target.writeRaw(batch, targetName);
            if (ok < 0) {
                return null; // failure recorded
            }
            written += ok;
        }
        long t1 = System.nanoTime();
        long cpu1 = processCpuNanos();
        long targetCpu1 = cpuNanos(targetPid);
        if (written != data.size()) {
            failures.add(String.format(Locale.ROOT, "%s raw (%s): %,d of %,d accepted", target.name(), targetName, written, data.size()));
            return null;
        }
        Figures figures = new Figures((t1 - t0) / 1e9, data.size(), (cpu1 - cpu0) / 1e3 / data.size(), (targetCpu1 - targetCpu0) / 1e3 / data.size());
        log(String.format(Locale.ROOT, "%s raw (%s): %,d written in %.2f s (%,.0f/s)", target.name(), targetName, data.size(), figures.seconds(),
                figures.rate()));
        return figures;
    }

    /**
     * The peer a user would write by hand instead of the route: one thread, a plain {@link KafkaConsumer} of the same topic
     * (assigned, from the beginning, the route's batch size as {@code max.poll.records}, byte arrays), each value parsed
     * once into a Jackson tree, and the raw baseline's very write per batch. It pays what the in-memory raw baseline does
     * not and the route must: fetching, decompressing and parsing the records (the in-process broker's serving of the
     * fetches is in this JVM's CPU, as for the route). The clock starts when the first records arrive, as the route's does
     * at its first fetch response.
     */
    private Figures rawConsumerRun(Target target, String topic, int n, int batchSize, String targetName) throws Exception {
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", bootstrap);
        settings.put("client.id", "sinkbench-raw-consumer");
        settings.put("max.poll.records", batchSize);
        settings.put("enable.auto.commit", "false");
        long targetPid = target.serverPid();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long t0 = -1;
            long cpu0 = 0;
            long targetCpu0 = 0;
            long read = 0;
            long written = 0;
            long lastProgress = System.nanoTime();
            List<Row> batch = new ArrayList<>(batchSize);
            while (read < n) {
                var records = consumer.poll(Duration.ofMillis(100));
                if (records.isEmpty()) {
                    if (System.nanoTime() - lastProgress > STALL.toNanos()) {
                        failures.add(String.format(Locale.ROOT, "%s raw consumer (%s): %,d of %,d records read, then nothing for %d s",
                                target.name(), targetName, read, n, STALL.toSeconds()));
                        return null;
                    }
                    continue;
                }
                lastProgress = System.nanoTime();
                if (t0 < 0) {
                    t0 = lastProgress;
                    cpu0 = processCpuNanos();
                    targetCpu0 = cpuNanos(targetPid);
                }
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    batch.add(rowOf(EVENTS.readTree(record.value())));
                    read++;
                    if (batch.size() == batchSize || read == n) {
                        long ok = target.writeRaw(batch, targetName);
                        if (ok < 0) {
                            return null; // failure recorded
                        }
                        written += ok;
                        batch.clear();
                    }
                }
            }
            long t1 = System.nanoTime();
            long cpu1 = processCpuNanos();
            long targetCpu1 = cpuNanos(targetPid);
            if (written != n) {
                failures.add(String.format(Locale.ROOT, "%s raw consumer (%s): %,d of %,d accepted", target.name(), targetName, written, n));
                return null;
            }
            Figures figures = new Figures((t1 - t0) / 1e9, n, (cpu1 - cpu0) / 1e3 / n, (targetCpu1 - targetCpu0) / 1e3 / n);
            log(String.format(Locale.ROOT, "%s raw consumer (%s): %,d written in %.2f s (%,.0f/s)", target.name(), targetName, n, figures.seconds(),
                    figures.rate()));
            return figures;
        }
    }

    /** The row a change event carries (the inverse of {@link #envelope}), as a hand-written consumer would read it. */
    private static Row rowOf(JsonNode event) {
        JsonNode after = event.get("after");
        JsonNode source = event.get("source");
        return new Row(after.get("id").longValue(), after.get("account").intValue(), after.get("amount").decimalValue(),
                after.get("price").doubleValue(), after.get("label").textValue(), after.get("note").textValue(), after.get("active").booleanValue(),
                after.get("created_at").textValue(), source.get("table").textValue(), source.get("lsn").longValue(), 0,
                source.get("txId").longValue(), source.get("ts_ms").longValue());
    }

    // ---------------------------------------------------------------- targets

    /** What differs between the two sinks. */
    private abstract class Target {
        abstract String name();

        abstract String unit();

        abstract String serverName();

        abstract String targetKind();

        abstract String rawDescription();

        /** The source table (and so the topic) this sink reads. */
        abstract String table();

        abstract String routeTargetName(String label);

        abstract String rawTargetName(String label);

        abstract Map<String, String> settings(String topic, String table, String groupId, String targetName);

        /** Removes a table/index if it is there. */
        abstract void drop(String name);

        /** Makes the raw baseline's target (from the route's, before that is dropped). */
        abstract void prepareRaw(String routeName, String rawName);

        /** Writes one batch; returns the rows accepted, or -1 after recording a failure. */
        abstract long writeRaw(List<Row> batch, String name) throws Exception;

        /** Checks the target holds exactly n rows; returns a description of its content to compare route and raw by, or null after a failure. */
        abstract String verify(String name, boolean route, int n);

        abstract long serverPid();

        void close() {
        }
    }

    private final class ClickHouseTarget extends Target {
        private final String authorization = "Basic " + Base64.getEncoder().encodeToString(
                (ClickHouseServer.USER + ":" + ClickHouseServer.PASSWORD).getBytes(StandardCharsets.UTF_8));
        private long pid = -2;

        @Override
        String name() {
            return "clickhouse";
        }

        @Override
        String unit() {
            return "rows";
        }

        @Override
        String serverName() {
            return "ClickHouse";
        }

        @Override
        String targetKind() {
            return "table";
        }

        @Override
        String rawDescription() {
            return "gzip INSERT ... FORMAT JSONEachRow POSTs";
        }

        @Override
        String table() {
            return CLICKHOUSE_TABLE;
        }

        @Override
        String routeTargetName(String label) {
            return "route_" + label;
        }

        @Override
        String rawTargetName(String label) {
            return "raw_" + label;
        }

        @Override
        Map<String, String> settings(String topic, String table, String groupId, String targetName) {
            Map<String, String> s = new LinkedHashMap<>();
            s.put("cdc.sink.clickhouse.enabled", "true");
            s.put("cdc.sink.clickhouse.url", clickhouse.url());
            s.put("cdc.sink.clickhouse.database", CLICKHOUSE_DB);
            s.put("cdc.sink.clickhouse.username", ClickHouseServer.USER);
            s.put("cdc.sink.clickhouse.password", ClickHouseServer.PASSWORD);
            s.put("cdc.sink.clickhouse.topics", topic);
            s.put("cdc.sink.clickhouse.group-id", groupId);
            s.put("cdc.sink.clickhouse.tables." + table, targetName);
            return s;
        }

        @Override
        void drop(String name) {
            clickhouse.query("DROP TABLE IF EXISTS " + CLICKHOUSE_DB + "." + name + "_current");
            clickhouse.query("DROP TABLE IF EXISTS " + CLICKHOUSE_DB + "." + name);
        }

        @Override
        void prepareRaw(String routeName, String rawName) {
            // the very DDL the sink made (columns, types, ReplacingMergeTree(_version) ORDER BY id)
            clickhouse.query("CREATE TABLE " + CLICKHOUSE_DB + "." + rawName + " AS " + CLICKHOUSE_DB + "." + routeName);
        }

        @Override
        long writeRaw(List<Row> batch, String name) throws Exception {
            // the lines ClickHouseSink writes: the row's columns converted to the table's types, then the sink's own columns
            String syncedAt = LocalDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).format(SYNCED_AT);
            ByteArrayOutputStream lines = new ByteArrayOutputStream(batch.size() * 320);
            try (JsonGenerator g = JSON_FACTORY.createGenerator(lines)) {
                for (Row r : batch) {
                    writeAfter(g, r, true);
                    g.writeNumberField("_version", r.lsn());
                    g.writeNumberField("_is_deleted", 0);
                    g.writeStringField("_op", "c");
                    g.writeNumberField("_source_ts_ms", r.tsMs());
                    g.writeStringField("_synced_at", syncedAt);
                    g.writeEndObject();
                    g.writeRaw('\n');
                }
            }
            ByteArrayOutputStream gzipped = new ByteArrayOutputStream(lines.size() / 4);
            try (GZIPOutputStream gzip = new GZIPOutputStream(gzipped, 64 * 1024)) {
                lines.writeTo(gzip);
            }
            String query = "database=" + CLICKHOUSE_DB + "&query=" + URLEncoder.encode("INSERT INTO `" + name + "` FORMAT JSONEachRow", StandardCharsets.UTF_8)
                    + "&input_format_skip_unknown_fields=1&date_time_input_format=best_effort";
            HttpRequest request = HttpRequest.newBuilder(URI.create(clickhouse.url() + "/?" + query)).timeout(Duration.ofSeconds(60))
                    .header("Authorization", authorization).header("Content-Type", "text/plain; charset=UTF-8").header("Content-Encoding", "gzip")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(gzipped.toByteArray())).build();
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                failures.add("clickhouse raw (" + name + "): ClickHouse answered " + response.statusCode() + ": " + response.body().trim());
                return -1;
            }
            return batch.size();
        }

        @Override
        String verify(String name, boolean route, int n) {
            String table = CLICKHOUSE_DB + "." + name;
            if (route) {
                long current = Long.parseLong(clickhouse.query("SELECT count() FROM " + table + "_current").trim());
                if (current != n) {
                    failures.add(String.format(Locale.ROOT, "clickhouse route (%s): %s_current holds %,d rows, not %,d", name, table, current, n));
                    return null;
                }
            }
            String[] f = clickhouse.query("SELECT count(), uniqExact(id), min(id), max(id), sum(account), sum(amount), sum(price),"
                    + " sum(length(label) + length(note)), sum(active), sum(toUInt32(created_at)), sum(_version), countIf(_op = 'c')"
                    + " FROM " + table + " FINAL WHERE _is_deleted = 0 FORMAT TabSeparated").trim().split("\t");
            long count = Long.parseLong(f[0]);
            if (count != n || Long.parseLong(f[1]) != n) {
                failures.add(String.format(Locale.ROOT, "clickhouse %s (%s): %,d rows (%s distinct ids), not %,d", route ? "route" : "raw", name, count, f[1], n));
                return null;
            }
            // the same text for route and raw: they are compared
            return String.format(Locale.ROOT, "%,d rows (FINAL, not deleted; the route's also via <table>_current), ids %s..%s, sum(amount) %s,"
                    + " sum(price) %s, sum(account) %s, sum(active) %s, text length %s, sum(created_at) %s, sum(_version) %s, all op c: %s",
                    count, f[2], f[3], f[5], f[6], f[4], f[8], f[7], f[9], f[10], f[11].equals(f[0]));
        }

        @Override
        long serverPid() {
            if (pid == -2) {
                pid = ProcessHandle.current().children()
                        .filter(p -> p.info().command().orElse("").contains("clickhouse"))
                        .mapToLong(ProcessHandle::pid).findFirst().orElse(-1);
            }
            return pid;
        }
    }

    private final class ElasticsearchTarget extends Target {
        private long pid = -2;
        private RestClient restClient;

        /** Built like the sink's (ElasticsearchSinkConfiguration): one host, 10 s connect, request timeout as the socket timeout. */
        private RestClient restClient() {
            if (restClient == null) {
                restClient = RestClient.builder(HttpHost.create(elasticsearch.url()))
                        .setRequestConfigCallback(c -> c.setConnectTimeout(10_000).setSocketTimeout(60_000)).build();
            }
            return restClient;
        }

        @Override
        String name() {
            return "elasticsearch";
        }

        @Override
        String unit() {
            return "docs";
        }

        @Override
        String serverName() {
            return "Elasticsearch";
        }

        @Override
        String targetKind() {
            return "index";
        }

        @Override
        String rawDescription() {
            return "_bulk requests with external versions, low-level REST client";
        }

        @Override
        String table() {
            return ES_TABLE;
        }

        @Override
        String routeTargetName(String label) {
            return "sinkbench-route-" + label;
        }

        @Override
        String rawTargetName(String label) {
            return "sinkbench-raw-" + label;
        }

        @Override
        Map<String, String> settings(String topic, String table, String groupId, String targetName) {
            Map<String, String> s = new LinkedHashMap<>();
            s.put("cdc.sink.elasticsearch.enabled", "true");
            s.put("cdc.sink.elasticsearch.url", elasticsearch.url());
            s.put("cdc.sink.elasticsearch.topics", topic);
            s.put("cdc.sink.elasticsearch.group-id", groupId);
            s.put("cdc.sink.elasticsearch.indices." + table, targetName);
            return s;
        }

        @Override
        void drop(String name) {
            elasticsearch.request("DELETE", "/" + name + "?ignore_unavailable=true", null);
        }

        @Override
        void prepareRaw(String routeName, String rawName) {
            // nothing: like the route's, the raw index is created by its first bulk request (dynamic mapping)
        }

        @Override
        long writeRaw(List<Row> batch, String name) throws Exception {
            // what ElasticsearchSink sends: index operations keyed by the primary key, version = LSN, version_type=external
            ByteArrayOutputStream body = new ByteArrayOutputStream(batch.size() * 400);
            try (JsonGenerator g = JSON_FACTORY.createGenerator(body)) {
                for (Row r : batch) {
                    g.writeStartObject();
                    g.writeObjectFieldStart("index");
                    g.writeStringField("_id", String.valueOf(r.id()));
                    g.writeStringField("_index", name);
                    g.writeNumberField("version", r.lsn());
                    g.writeStringField("version_type", "external");
                    g.writeEndObject();
                    g.writeEndObject();
                    g.writeRaw('\n');
                    writeAfter(g, r, false);
                    g.writeEndObject();
                    g.writeRaw('\n');
                }
            }
            // the low-level REST client: the HTTP stack under the sink's elasticsearch-java client
            Request request = new Request("POST", "/_bulk");
            request.addParameter("timeout", "60000ms");
            request.setEntity(new ByteArrayEntity(body.toByteArray(), ContentType.APPLICATION_JSON));
            byte[] answerBytes;
            try {
                Response response = restClient().performRequest(request);
                answerBytes = EntityUtils.toByteArray(response.getEntity());
            } catch (ResponseException e) {
                failures.add("elasticsearch raw (" + name + "): Elasticsearch answered " + e.getMessage());
                return -1;
            }
            // read the per-item results, as the sink does
            JsonNode answer = JSON.readTree(answerBytes);
            long ok = 0;
            for (JsonNode item : answer.path("items")) {
                int status = item.path("index").path("status").asInt();
                if (status == 200 || status == 201) {
                    ok++;
                } else if (answer.path("errors").asBoolean()) {
                    failures.add("elasticsearch raw (" + name + "): item refused: " + item);
                    return -1;
                }
            }
            return ok;
        }

        @Override
        String verify(String name, boolean route, int n) {
            elasticsearch.request("POST", "/" + name + "/_refresh", null);
            long count = elasticsearch.request("GET", "/" + name + "/_count", null).path("count").asLong(-1);
            if (count != n) {
                failures.add(String.format(Locale.ROOT, "elasticsearch %s (%s): %,d documents after a refresh, not %,d", route ? "route" : "raw", name,
                        count, n));
                return null;
            }
            StringBuilder sample = new StringBuilder();
            String example = "";
            for (long id : new long[] {1, n / 2, n}) {
                JsonNode doc = elasticsearch.request("GET", "/" + name + "/_doc/" + id, null);
                String one = id + "@v" + doc.path("_version").asText() + "=" + doc.path("_source");
                sample.append(one).append('\n');
                if (id == n / 2) {
                    example = one;
                }
            }
            String mapping = elasticsearch.request("GET", "/" + name + "/_mapping", null).path(name).path("mappings").toString();
            // the same text for route and raw: they are compared (after '|' a digest of the three documents and the mapping)
            return String.format(Locale.ROOT, "%,d documents (_count after a refresh), the same dynamic mapping, documents 1, %d and %d the same"
                    + " with _version = source LSN, e.g. %s", count, n / 2, n, example) + "|" + (sample + mapping).hashCode();
        }

        @Override
        void close() {
            if (restClient != null) {
                try {
                    restClient.close();
                } catch (IOException e) {
                    // only a client
                }
            }
        }

        @Override
        long serverPid() {
            if (pid == -2) {
                JsonNode nodes = elasticsearch.request("GET", "/_nodes/_local/process", null).path("nodes");
                pid = nodes.elements().hasNext() ? nodes.elements().next().path("process").path("id").asLong(-1) : -1;
            }
            return pid;
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * A total of the sink's Kafka consumer, from its client-level JMX metrics ({@code consumer-fetch-manager-metrics}); -1
     * while no such consumer is registered. {@code fetch-total} counts fetch responses as they arrive (the first one
     * carries the first records: consumption starts); {@code records-consumed-total} is only brought up to date when a
     * fetch response has been drained by the application, so it lags by up to one fetch (~1 MB of records).
     */
    private static long consumerTotal(String clientIdPrefix, String attribute) {
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            Set<ObjectName> names = server.queryNames(new ObjectName("kafka.consumer:type=consumer-fetch-manager-metrics,client-id=*"), null);
            long total = -1;
            for (ObjectName name : names) {
                String clientId = name.getKeyProperty("client-id");
                if (clientId != null && clientId.replace("\"", "").startsWith(clientIdPrefix)) {
                    Object value = server.getAttribute(name, attribute);
                    total = Math.max(total, 0) + (value instanceof Number number ? (long) number.doubleValue() : 0);
                }
            }
            return total;
        } catch (Exception e) {
            return -1;
        }
    }

    /** A plain-text answer from Elasticsearch (debugging aid). */
    private String elasticsearchText(String path) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(elasticsearch.url() + path)).timeout(Duration.ofSeconds(30)).GET().build();
            return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e.toString();
        }
    }

    private static double counter(MeterRegistry registry, String name, String sink) {
        Counter c = registry.find(name).tag("sink", sink).counter();
        return c == null ? 0 : c.count();
    }

    private String queryText(String sql) {
        try (Connection c = PostgresServer.shared().dataSource(DB).getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (Exception e) {
            return "?";
        }
    }

    /** CPU time of another process (the target server); 0 when unknown. */
    private static long cpuNanos(long pid) {
        if (pid <= 0) {
            return 0;
        }
        return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(Duration::toNanos).orElse(0L);
    }

    private static String singular(String unit) {
        return unit.substring(0, unit.length() - 1);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return e.getMessage() + (root != e ? " (root cause: " + root + ")" : "");
    }

    private void stopApp() {
        if (app == null) {
            return;
        }
        ConfigurableApplicationContext closing = app;
        app = null;
        Thread closer = new Thread(closing::close, "bench-close-app");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            log("cdc-hub did not stop within 60 s; going on anyway");
        }
    }
}
