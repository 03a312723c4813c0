package io.cdchub.fault;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;

import javax.sql.DataSource;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.cdchub.testinfra.ClickHouseServer;
import io.cdchub.testinfra.ElasticsearchServer;
import io.cdchub.testinfra.KafkaServer;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RedisServer;
import io.cdchub.testinfra.TopicReader;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The fault suite (issue 14, section 4): the whole stack on real servers under a steady load, with faults injected,
 * then PostgreSQL compared with Kafka and every target row by row.
 *
 * <ul>
 * <li>load: single-row inserts, updates and deletes over 3 tables at {@link FaultParams#rate()} changes/s;</li>
 * <li>cdc-hub: {@code java -jar} of the built jar, source + ClickHouse sink + Elasticsearch sink + gateway + one
 * aggregation consumer per table syncing into a PostgreSQL of its own (the sync target);</li>
 * <li>R1 kill -9 of cdc-hub at random moments; R2 each dependency stopped under load and started again; R3 poison
 * records in the change topics; R4 a fuzz of the admin API and the WebSocket protocol, with thread and heap counts
 * before and after;</li>
 * <li>after each fault a marker row per table is inserted; the time until every place has it is the time to recover.</li>
 * </ul>
 * {@code bench/fault-suite.sh} runs {@link #main} with the full parameters, {@code FaultSuiteIT} {@link #run} with the
 * short ones.
 */
public final class FaultSuite {

    static final String PREFIX = "fault";
    static final String DLQ = "fault.dlq";
    static final String SOURCE_DB = "fault_src";
    static final String TARGET_DB = "fault_target";
    static final String CLICKHOUSE_DB = "fault";
    static final String INDEX_PREFIX = "cdc-fault";
    static final String SLOT = "fault_suite";
    static final String ADMIN_TOKEN = "fault-suite-admin-token-0123456789";
    static final String JWT_SECRET = "fault-suite-jwt-secret-of-at-least-32-bytes!";
    static final List<String> PLACES = List.of("kafka", "clickhouse", "elasticsearch", "target");

    /** The outcome: passed, the failures, and the printed summary. */
    public record Result(boolean passed, List<String> failures, List<String> summary) {
    }

    /** One fault and how long the pipeline took to have everything written before the fault's end, everywhere. */
    record Recovery(String phase, String fault, Double seconds, Map<String, Double> perPlace, String note, LocalTime at) {
        Recovery(String phase, String fault, Double seconds, Map<String, Double> perPlace, String note) {
            this(phase, fault, seconds, perPlace, note, LocalTime.now().truncatedTo(ChronoUnit.SECONDS));
        }

        Recovery withNote(String newNote, LocalTime when) {
            return new Recovery(phase, fault, seconds, perPlace, newNote, when);
        }
    }

    private final FaultParams p;
    private final Random random;
    private final List<String> failures = new ArrayList<>();
    private final List<Recovery> recoveries = new ArrayList<>();
    private final List<String> outcomes = new ArrayList<>();
    private final List<String> topics = new ArrayList<>();
    private final String loadStart = loadAverage();
    private final long startedNanos = System.nanoTime();
    private PostgresServer source;
    private PostgresServer target;
    private DataSource sourceData;
    private DataSource targetData;
    private Targets targets;
    private KafkaTail tail;
    private LoadGenerator load;
    private HubProcess hub;
    private int connectPort;
    private long r3DlqStart = -1;
    private long r3DlqEnd = -1;
    private List<Poison.Sent> poison = List.of();

    private FaultSuite(FaultParams p) {
        this.p = p;
        this.random = new Random(p.seed());
        for (String table : Changes.TABLES) {
            topics.add(PREFIX + "." + PREFIX + "." + table);
        }
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(System.getProperty("fault.out", System.getProperty("bench.out", "target/fault-suite")));
        Files.createDirectories(out);
        FaultParams params = FaultParams.fromSystemProperties(args, out);
        long watchdogMinutes = Long.getLong("fault.watchdog-minutes", 150);
        Thread watchdog = new Thread(() -> {
            LockSupport.parkNanos(Duration.ofMinutes(watchdogMinutes).toNanos());
            System.err.println("[fault] watchdog: still running after " + watchdogMinutes + " minutes; halting");
            Runtime.getRuntime().halt(3);
        }, "fault-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        Result result = run(params);
        System.exit(result.passed() ? 0 : 1);
    }

    /** Runs the suite; never throws for a fault found (that is a failure in the result). */
    public static Result run(FaultParams params) {
        FaultSuite suite = new FaultSuite(params);
        try {
            suite.execute();
        } catch (Exception | AssertionError e) {
            suite.fail("the run stopped: " + e);
            e.printStackTrace();
        } finally {
            suite.shutdown();
        }
        List<String> summary = suite.summary();
        summary.forEach(System.out::println);
        try {
            Files.createDirectories(params.out());
            Files.write(params.out().resolve("fault-suite-summary.txt"), summary);
        } catch (IOException e) {
            System.err.println("[fault] could not write the summary: " + e);
        }
        return new Result(suite.failures.isEmpty(), List.copyOf(suite.failures), summary);
    }

    // ------------------------------------------------------------------------------------------------ the run

    private void execute() throws Exception {
        log("parameters: " + p.describe());
        // a fresh cdc-hub work folder (file offsets of an earlier run would point into another PostgreSQL) and log
        io.cdchub.testinfra.TempDirs.delete(p.out().resolve("cdc-hub-work"));
        Files.deleteIfExists(p.out().resolve("fault-suite-cdc-hub.log"));
        Files.createDirectories(p.out());
        setUpServers();
        tail = new KafkaTail(KafkaServer.shared().bootstrapServers(), topics);
        int httpPort = freePort();
        hub = new HubProcess(HubProcess.findJar(), p.out().resolve("cdc-hub-work"), p.out().resolve("fault-suite-cdc-hub.log"), p.heap(),
                appSettings(httpPort), httpPort, ADMIN_TOKEN);
        log("cdc-hub: java -jar " + HubProcess.findJar() + " on port " + hub.port() + ", log " + hub.log());
        long launched = System.nanoTime();
        hub.start();
        awaitLive(launched);
        awaitSlotActive();
        defineConsumers();
        load = new LoadGenerator(sourceData, p.rate(), p.seed(), tail::watch);
        load.start();
        log("load started: " + p.rate() + " changes/s");
        long t0 = System.nanoTime();
        recoveries.add(await("start", "first start, load on", load.marker(), t0, Long.MAX_VALUE));

        if (p.phases().contains("r1")) {
            killCycles();
        }
        if (p.phases().contains("r2")) {
            for (String dependency : p.dependencies()) {
                outage(dependency);
            }
        }
        if (p.phases().contains("r3")) {
            poison();
        }
        if (p.phases().contains("r4")) {
            fuzz();
        }
        finish();
    }

    private void setUpServers() throws Exception {
        log("starting the servers (PostgreSQL source and sync target, Kafka, ClickHouse, Elasticsearch, Redis)");
        source = PostgresServer.shared();
        source.createDatabase(SOURCE_DB);
        source.execute(SOURCE_DB, LoadGenerator.ddl());
        sourceData = source.dataSource(SOURCE_DB);
        target = PostgresServer.startNew();
        target.createDatabase(TARGET_DB);
        List<String> ddl = new ArrayList<>();
        for (String table : Changes.TABLES) {
            ddl.add("CREATE TABLE IF NOT EXISTS public." + table + " (id bigint PRIMARY KEY, rev int NOT NULL, label text NOT NULL, amount numeric(12,2))");
        }
        target.execute(TARGET_DB, ddl.toArray(String[]::new));
        targetData = target.dataSource(TARGET_DB);
        KafkaServer.shared();
        ClickHouseServer.shared().query("CREATE DATABASE IF NOT EXISTS " + CLICKHOUSE_DB);
        ElasticsearchServer.shared();
        RedisServer.shared();
        targets = new Targets(CLICKHOUSE_DB, INDEX_PREFIX);
        Properties props = new Properties();
        props.put("bootstrap.servers", KafkaServer.shared().bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            List<NewTopic> create = new ArrayList<>();
            topics.forEach(t -> create.add(new NewTopic(t, p.partitions(), (short) 1)));
            create.add(new NewTopic(DLQ, 1, (short) 1));
            for (NewTopic topic : create) {
                try {
                    admin.createTopics(List.of(topic)).all().get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
    }

    private Map<String, String> appSettings(int httpPort) throws IOException {
        connectPort = freePort();
        Map<String, String> s = new LinkedHashMap<>();
        s.put("cdc.kafka.bootstrap-servers", KafkaServer.shared().bootstrapServers());
        s.put("cdc.source.database.hostname", source.host());
        s.put("cdc.source.database.port", String.valueOf(source.port()));
        s.put("cdc.source.database.dbname", SOURCE_DB);
        s.put("cdc.source.database.user", PostgresServer.USER);
        s.put("cdc.source.database.sslmode", "disable");
        s.put("cdc.data-dir", p.out().resolve("cdc-hub-work/data").toAbsolutePath().toString());
        s.put("server.port", String.valueOf(httpPort)); // the same port at every launch
        s.put("cdc.admin.token", ADMIN_TOKEN);
        s.put("cdc.admin.connect-port", String.valueOf(connectPort));
        s.put("cdc.topic-prefix", PREFIX);
        s.put("cdc.source.name", "fault-suite");
        s.put("cdc.source.slot", SLOT);
        s.put("cdc.source.tables", PREFIX + "\\..*");
        s.put("cdc.dlq.topic", DLQ);
        s.put("cdc.sink.clickhouse.enabled", "true");
        s.put("cdc.sink.clickhouse.url", ClickHouseServer.shared().url());
        s.put("cdc.sink.clickhouse.database", CLICKHOUSE_DB);
        s.put("cdc.sink.clickhouse.topics", String.join(",", topics));
        s.put("cdc.sink.elasticsearch.enabled", "true");
        s.put("cdc.sink.elasticsearch.url", ElasticsearchServer.shared().url());
        s.put("cdc.sink.elasticsearch.index-prefix", INDEX_PREFIX);
        s.put("cdc.sink.elasticsearch.topics", String.join(",", topics));
        Path templates = Path.of("config", "elasticsearch").toAbsolutePath();
        if (Files.isDirectory(templates)) {
            s.put("cdc.sink.elasticsearch.templates", templates.toString());
        }
        s.put("cdc.gateway.enabled", "true");
        s.put("cdc.gateway.jwt.secret", JWT_SECRET);
        s.putAll(RedisServer.shared().settings());
        s.put("cdc.connections.target.url", target.jdbcUrl(TARGET_DB));
        s.put("cdc.connections.target.username", PostgresServer.USER);
        s.putAll(p.appSettings());
        return s;
    }

    private void awaitLive(long launchedNanos) throws Exception {
        waitFor("cdc-hub to start", Duration.ofSeconds(p.recoverTimeoutSeconds()), () -> {
            if (!hub.isAlive()) {
                throw new IllegalStateException("cdc-hub exited during start-up; see " + hub.log());
            }
            return hub.live();
        });
        log("cdc-hub live after " + seconds(System.nanoTime() - launchedNanos) + " s");
    }

    private void awaitSlotActive() {
        waitFor("replication slot " + SLOT + " active", Duration.ofSeconds(p.recoverTimeoutSeconds()), () -> {
            try (Connection c = sourceData.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT active FROM pg_replication_slots WHERE slot_name = '" + SLOT + "'")) {
                return rs.next() && rs.getBoolean(1);
            }
        });
    }

    private void defineConsumers() throws IOException {
        for (int t = 0; t < Changes.TABLES.length; t++) {
            String body = """
                    {"consumer_id": "fault-%s", "kafka_topic": "%s", "pipeline_name": "fault suite %s", "connection_id": "target",
                     "max_event": %d, "max_time": %d, "job_type": "sync", "auto_offset_reset": "earliest"}""".formatted(
                    Changes.TABLES[t], topics.get(t), Changes.TABLES[t], p.maxEvent(), p.maxTime());
            var response = hub.send("POST", "/consumer/start", body, true);
            if (response.statusCode() != 201 && response.statusCode() != 409) {
                throw new IllegalStateException("POST /consumer/start answered " + response.statusCode() + ": " + response.body());
            }
        }
        log("aggregation consumers fault-accounts, fault-orders, fault-payments defined (sync into " + target.jdbcUrl(TARGET_DB) + ")");
    }

    // ------------------------------------------------------------------------------------------------ R1

    private void killCycles() throws Exception {
        log("R1: " + p.killCycles() + " kill -9 cycles, each " + p.killWindowMin() + "-" + p.killWindowMax() + " s after a launch");
        long launched = System.nanoTime();
        long[] pending = null;
        String pendingName = null;
        for (int cycle = 1; cycle <= p.killCycles(); cycle++) {
            long killAt = launched + Duration.ofMillis(p.killWindowMin() * 1000L
                    + (long) (random.nextDouble() * (p.killWindowMax() - p.killWindowMin()) * 1000)).toNanos();
            if (pending != null) {
                Recovery r = await("R1", pendingName, pending, launched, killAt);
                if (r.seconds() != null) {
                    recoveries.add(r);
                } else {
                    recoveries.add(new Recovery("R1", pendingName, null, r.perPlace(), "killed again before it caught up (kill during start-up or catch-up)"));
                }
            }
            pauseUntil(killAt);
            if (!hub.isAlive()) {
                fail("R1 cycle " + cycle + ": cdc-hub had exited by itself before the kill; see " + hub.log());
            }
            boolean wasLive = hub.live();
            hub.kill();
            log("R1 cycle " + cycle + ": killed (-9) " + seconds(killAt - launched) + " s after launch" + (wasLive ? "" : ", during start-up"));
            launched = System.nanoTime();
            hub.start();
            pending = load.marker();
            pendingName = "kill " + cycle + " at " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + (wasLive ? "" : " (during start-up)");
        }
        if (pending != null) {
            recoveries.add(await("R1", pendingName, pending, launched, Long.MAX_VALUE));
        }
    }

    // ------------------------------------------------------------------------------------------------ R2

    private void outage(String dependency) throws Exception {
        Runnable stop;
        Runnable start;
        switch (dependency) {
            case "kafka" -> {
                stop = () -> KafkaServer.shared().stop();
                start = () -> KafkaServer.shared().start();
            }
            case "clickhouse" -> {
                stop = () -> ClickHouseServer.shared().stop();
                start = () -> ClickHouseServer.shared().start();
            }
            case "elasticsearch" -> {
                stop = () -> ElasticsearchServer.shared().stop();
                start = () -> ElasticsearchServer.shared().start();
            }
            case "redis" -> {
                stop = () -> RedisServer.shared().stop();
                start = () -> RedisServer.shared().start();
            }
            case "target" -> {
                stop = () -> target.stopServer();
                start = () -> target.startServer();
            }
            default -> throw new IllegalArgumentException("unknown dependency " + dependency + "; known: " + FaultParams.ALL_DEPENDENCIES);
        }
        log("R2: stopping " + dependency + " for " + p.outageSeconds() + " s");
        LocalTime stoppedAt = LocalTime.now().truncatedTo(ChronoUnit.SECONDS);
        stop.run();
        pauseUntil(System.nanoTime() + Duration.ofSeconds(p.outageSeconds()).toNanos());
        if (!hub.isAlive()) {
            fail("R2 " + dependency + ": cdc-hub exited during the outage; see " + hub.log());
            hub.start();
        }
        long t0 = System.nanoTime();
        start.run();
        long back = System.nanoTime();
        log("R2: " + dependency + " back (its start took " + seconds(back - t0) + " s)");
        Recovery r = await("R2", dependency + " " + p.outageSeconds() + " s", load.marker(), back, Long.MAX_VALUE);
        recoveries.add(r.withNote("its own start " + seconds(back - t0) + " s", stoppedAt));
    }

    // ------------------------------------------------------------------------------------------------ R3

    private void poison() {
        r3DlqStart = dlqEnd();
        poison = Poison.send(KafkaServer.shared().bootstrapServers(), topics, p.partitions(), p.poisonCopies(), 1_000_000);
        long sent = System.nanoTime();
        log("R3: " + poison.size() + " poison records written (" + String.join(", ", Poison.KINDS) + ") into " + topics);
        Map<String, String> missing = new TreeMap<>();
        try {
            waitFor("every poison record dead-lettered by each route that reads it", Duration.ofSeconds(p.recoverTimeoutSeconds()), () -> {
                missing.clear();
                missing.putAll(poisonNotDeadLettered());
                return missing.isEmpty();
            });
        } catch (RuntimeException e) {
            // reported below
        }
        log("R3: poison dead-lettered " + seconds(System.nanoTime() - sent) + " s after it was written" + (missing.isEmpty() ? "" : " (not all)"));
        // the marker only now: a marker row in a window that a refused poison value fails would be dead-lettered with it
        recoveries.add(await("R3", "poison records, then the flow", load.marker(), sent, Long.MAX_VALUE));
        r3DlqEnd = dlqEnd();
        if (missing.isEmpty()) {
            outcomes.add("R3: all " + poison.size() + " poison records (" + Poison.KINDS.size() + " kinds x " + topics.size() + " topics x "
                    + p.poisonCopies() + ") dead-lettered by kafka-to-clickhouse, kafka-to-elasticsearch and their aggregation consumer,"
                    + " each with cdc.dlq.exception-class/-message; the flow went on (marker through)");
        } else {
            outcomes.add("R3: " + missing.size() + " (poison record, route) pairs not dead-lettered with a reason: " + missing.entrySet().stream()
                    .limit(15).map(e -> e.getKey() + " " + e.getValue()).toList());
            fail("R3: poison records not dead-lettered: " + missing.size() + " (see R3 outcome)");
        }
    }

    /** (kind topic id route) -> what is wrong, for every poison record a route that reads its topic has not dead-lettered with a reason. */
    private Map<String, String> poisonNotDeadLettered() {
        Map<Long, Map<String, String>> byKey = new HashMap<>();
        for (TopicReader.Event e : TopicReader.readAll(KafkaServer.shared().bootstrapServers(), DLQ)) {
            long id = keyId(e);
            if (id < 0) {
                byKey.computeIfAbsent(id, k -> new HashMap<>()).put(e.headers().getOrDefault("cdc.dlq.route-id", "?"),
                        e.headers().getOrDefault("cdc.dlq.exception-message", ""));
            }
        }
        Map<String, String> missing = new TreeMap<>();
        for (Poison.Sent s : poison) {
            String table = s.topic().substring(s.topic().lastIndexOf('.') + 1);
            for (String route : List.of("kafka-to-clickhouse", "kafka-to-elasticsearch", "aggregation-consumer-fault-" + table)) {
                Map<String, String> routes = byKey.getOrDefault(s.id(), Map.of());
                if (!routes.containsKey(route)) {
                    missing.put(s.kind() + " " + s.topic() + " id=" + s.id() + " " + route, "no dead letter");
                } else if (routes.get(route).isBlank()) {
                    missing.put(s.kind() + " " + s.topic() + " id=" + s.id() + " " + route, "dead letter without a reason");
                }
            }
        }
        return missing;
    }

    private static long keyId(TopicReader.Event e) {
        return e.key() != null && e.key().has("id") && e.key().get("id").canConvertToLong() ? e.key().get("id").asLong() : Long.MIN_VALUE;
    }

    // ------------------------------------------------------------------------------------------------ R4

    private void fuzz() throws Exception {
        hub.gc();
        double threadsBefore = hub.metric("jvm.threads.live");
        double heapBefore = hub.metric("jvm.memory.used?tag=area:heap");
        Set<String> protectedNames = new HashSet<>(topics);
        protectedNames.addAll(List.of(DLQ, "cdc-hub-configs", "cdc-hub-connector-offsets", "cdc-hub-offsets", "fault-accounts", "fault-orders",
                "fault-payments"));
        Fuzz fuzz = new Fuzz(p.seed(), hub.port(), connectPort, ADMIN_TOKEN, protectedNames);
        String jwt = jwt();
        log("R4: fuzz of " + Fuzz.endpoints().size() + " admin endpoints x " + p.fuzzPerEndpoint() + " and " + p.wsFuzzMessages()
                + " WebSocket frames; before: " + (long) threadsBefore + " threads, heap " + mb(heapBefore) + " MB after GC");
        long t0 = System.nanoTime();
        fuzz.admin(p.fuzzPerEndpoint());
        fuzz.webSocket(jwt, p.wsFuzzMessages(), topics);
        long fuzzEnd = System.nanoTime();
        if (!hub.isAlive()) {
            fail("R4: cdc-hub exited during the fuzz; see " + hub.log());
            return;
        }
        cleanUpAfterFuzz();
        boolean wsWorks = fuzz.webSocketWorks(jwt, topics.get(0));
        double[] after = new double[2];
        try {
            waitFor("threads back to the count before the fuzz", Duration.ofSeconds(120), () -> {
                hub.gc();
                after[0] = hub.metric("jvm.threads.live");
                after[1] = hub.metric("jvm.memory.used?tag=area:heap");
                return after[0] <= threadsBefore + 10;
            });
        } catch (RuntimeException e) {
            // reported below
        }
        boolean threadsOk = after[0] <= threadsBefore + 10;
        boolean heapOk = after[1] <= heapBefore + Math.max(64 * 1024 * 1024, heapBefore * 0.5);
        outcomes.add("R4: " + fuzz.requests + " admin requests + " + fuzz.wsMessages + " WebSocket frames over " + fuzz.wsConnections
                + " connections in " + seconds(fuzzEnd - t0) + " s; statuses " + fuzz.statuses + "; WebSocket closes " + fuzz.wsCloseCodes
                + "; no answer " + fuzz.noAnswer + "; 5xx/unanswered findings " + fuzz.findings.size() + "; threads " + (long) threadsBefore
                + " -> " + (long) after[0] + ", heap after GC " + mb(heapBefore) + " -> " + mb(after[1]) + " MB; gateway works after: " + wsWorks);
        for (Fuzz.Finding f : fuzz.findings.stream().limit(30).toList()) {
            outcomes.add("R4 finding: " + f);
        }
        if (!fuzz.findings.isEmpty()) {
            fail("R4: " + fuzz.findings.size() + " requests answered 5xx, not at all, or closed 1011 (see R4 findings)");
        }
        if (!threadsOk) {
            fail("R4: threads " + (long) threadsBefore + " before the fuzz, " + (long) after[0] + " after (a thread leak?)");
        }
        if (!heapOk) {
            fail("R4: heap after GC " + mb(heapBefore) + " MB before the fuzz, " + mb(after[1]) + " MB after (a leak?)");
        }
        if (!wsWorks) {
            fail("R4: the gateway did not answer a subscribe and a ping after the fuzz: " + fuzz.lastCheck);
        }
        recoveries.add(await("R4", "after the fuzz", load.marker(), System.nanoTime(), Long.MAX_VALUE));
    }

    /** Removes what fuzzed requests that happened to be valid made: consumers, connectors, topics. */
    private void cleanUpAfterFuzz() throws IOException {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var consumers = mapper.readTree(hub.get("/consumer/list", true).body()).path("consumers");
        for (var c : consumers) {
            String id = c.path("consumer_id").asText();
            if (!id.startsWith("fault-")) {
                hub.send("POST", "/consumer/stop?consumer_id=" + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8), null, true);
            }
        }
        for (var c : mapper.readTree(hub.get("/debezium/list/", true).body())) {
            hub.send("DELETE", "/debezium/connector/" + java.net.URLEncoder.encode(c.path("name").asText(), java.nio.charset.StandardCharsets.UTF_8)
                    + "/delete/", null, true);
        }
        for (var t : mapper.readTree(hub.get("/topic/list", true).body())) {
            if (t.asText().startsWith("fuzz")) {
                hub.send("DELETE", "/topic/delete?force=true&topic_name=" + java.net.URLEncoder.encode(t.asText(), java.nio.charset.StandardCharsets.UTF_8),
                        null, true);
            }
        }
    }

    private static String jwt() throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject("fault-suite").expirationTime(new Date(System.currentTimeMillis() + 3_600_000))
                .claim("topics", List.of("*")).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(JWT_SECRET));
        return jwt.serialize();
    }

    // ------------------------------------------------------------------------------------------------ the end: compare

    private final Map<String, Targets.Diff> diffs = new LinkedHashMap<>();
    private Changes.Comparison kafka;
    private long deadLetters;
    private long poisonDeadLetters;
    private long windowCasualties;
    private final List<String> unexpectedDeadLetters = new ArrayList<>();
    private final Map<String, Set<Long>> casualtyIds = new HashMap<>();
    private long writtenTotal;
    private double achievedRate;

    private void finish() throws Exception {
        load.close();
        writtenTotal = load.written();
        achievedRate = load.achievedRate();
        log("load stopped: " + writtenTotal + " changes committed (" + Math.round(achievedRate) + "/s achieved, " + load.failures()
                + " load errors" + (load.lastFailure() == null ? "" : ", last " + load.lastFailure()) + ")");
        long t0 = System.nanoTime();
        recoveries.add(await("end", "final catch-up after the load stopped", load.marker(), t0, Long.MAX_VALUE, finalTimeoutSeconds()));
        classifyDeadLetters();
        Duration limit = Duration.ofSeconds(finalTimeoutSeconds());
        try {
            waitFor("Kafka and every target equal to PostgreSQL", limit, () -> {
                compare();
                log("compared: Kafka missing " + kafka.missing() + (tail.atEnd() ? "" : " (not read to the end yet)") + "; unequal: "
                        + diffs.entrySet().stream().filter(e -> !e.getValue().equalAll()).map(e -> e.getKey() + " " + e.getValue().missing() + "/"
                                + e.getValue().extra() + "/" + e.getValue().different()).toList() + " (missing/extra/different)");
                return kafka.missing() == 0 && diffs.values().stream().allMatch(Targets.Diff::equalAll);
            });
        } catch (RuntimeException e) {
            // the last comparison is reported
        }
        writtenTotal = load.written();
        if (kafka.missing() > 0) {
            fail("Kafka misses " + kafka.missing() + " committed changes, e.g. " + kafka.missingSamples());
        }
        diffs.forEach((place, d) -> {
            if (!d.equalAll()) {
                fail(place + ": " + d.missing() + " rows missing, " + d.extra() + " extra, " + d.different() + " different, e.g. " + d.samples());
                String table = place.substring(place.indexOf(' ') + 1);
                Set<Long> ids = new HashSet<>();
                for (String sample : d.samples()) {
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile(" id=(\\d+) ").matcher(sample);
                    if (m.find() && ids.size() < 5) {
                        ids.add(Long.parseLong(m.group(1)));
                    }
                }
                outcomes.add(place + ": the Kafka records of " + ids + ": " + recordsOf(PREFIX + "." + PREFIX + "." + table, ids));
            }
        });
        if (!unexpectedDeadLetters.isEmpty()) {
            fail(unexpectedDeadLetters.size() + " dead letters outside R3's poison (from kills or outages), e.g. "
                    + unexpectedDeadLetters.stream().limit(5).toList());
        }
        // a fault the pipeline had not caught up with within the recover timeout is reported in the table, not failed:
        // the final comparison, after a catch-up of its own, decides (timings depend on the machine's load)
        if (recoveries.stream().anyMatch(r -> r.phase().equals("end") && r.seconds() == null)) {
            fail("the pipeline had not caught up " + finalTimeoutSeconds() + " s after the load stopped");
        }
        if (load.failures() > 0) {
            outcomes.add("load: " + load.failures() + " write errors (not counted as changes), last: " + load.lastFailure());
        }
    }

    private void compare() {
        kafka = Changes.Comparison.of(load.committed().sortedCopy(), tail.seen().sortedCopy());
        if (!tail.atEnd()) {
            kafka = new Changes.Comparison(kafka.committed(), kafka.found(), Math.max(kafka.missing(), 1), kafka.duplicates(), kafka.unexpected(),
                    kafka.missingSamples());
        }
        Targets.Diff ch = null;
        Targets.Diff es = null;
        Targets.Diff tg = null;
        for (String table : Changes.TABLES) {
            Map<Long, Targets.Row> expected = Targets.postgres(sourceData, "fault." + table);
            Targets.Diff c = Targets.Diff.of(table, expected, targets.clickHouse(table), Set.of());
            Targets.Diff e = Targets.Diff.of(table, expected, targets.elasticsearch(table), Set.of());
            Targets.Diff t = Targets.Diff.of(table, expected, Targets.postgres(targetData, "public." + table),
                    casualtyIds.getOrDefault(table, Set.of()));
            ch = ch == null ? c : ch.plus(c);
            es = es == null ? e : es.plus(e);
            tg = tg == null ? t : tg.plus(t);
            diffs.put("clickhouse " + table, c);
            diffs.put("elasticsearch " + table, e);
            diffs.put("target " + table, t);
        }
    }

    /**
     * Every dead letter is a poison record of R3 (key id below 0), a change of the load dead-lettered by an aggregation
     * consumer in R3 with the window a refused poison value failed (documented: a refused window is dead-lettered whole),
     * or unexpected: a kill or an outage made a dead letter.
     */
    private void classifyDeadLetters() {
        List<TopicReader.Event> all = TopicReader.readAll(KafkaServer.shared().bootstrapServers(), DLQ);
        deadLetters = all.size();
        for (TopicReader.Event e : all) {
            long id = keyId(e);
            String route = e.headers().getOrDefault("cdc.dlq.route-id", "?");
            if (id < 0 && id != Long.MIN_VALUE) {
                poisonDeadLetters++;
            } else if (route.startsWith("aggregation-consumer-fault-") && e.offset() >= r3DlqStart && r3DlqStart >= 0
                    && (r3DlqEnd < 0 || e.offset() < r3DlqEnd)) {
                windowCasualties++;
                casualtyIds.computeIfAbsent(route.substring("aggregation-consumer-fault-".length()), k -> new HashSet<>()).add(id);
            } else {
                unexpectedDeadLetters.add("offset " + e.offset() + " route " + route + " key " + e.key() + ": "
                        + e.headers().get("cdc.dlq.exception-class") + " " + e.headers().get("cdc.dlq.exception-message"));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /**
     * Waits until the markers are in Kafka, ClickHouse, Elasticsearch and the sync target, or until {@code giveUpAt}
     * (a kill due) or the recover timeout; the time is counted from {@code fromNanos}.
     */
    private Recovery await(String phase, String fault, long[] markers, long fromNanos, long giveUpAt) {
        return await(phase, fault, markers, fromNanos, giveUpAt, p.recoverTimeoutSeconds());
    }

    /** The final catch-up and comparison may take longer than one fault's: at least 300 s. */
    private int finalTimeoutSeconds() {
        return Math.max(300, p.recoverTimeoutSeconds());
    }

    private Recovery await(String phase, String fault, long[] markers, long fromNanos, long giveUpAt, int timeoutSeconds) {
        Map<String, Double> at = new LinkedHashMap<>();
        long deadline = Math.min(giveUpAt, System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos());
        while (System.nanoTime() < deadline) {
            for (String place : PLACES) {
                if (!at.containsKey(place) && arrived(place, markers)) {
                    at.put(place, seconds(System.nanoTime() - fromNanos));
                }
            }
            if (at.size() == PLACES.size()) {
                double max = at.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
                log(phase + " " + fault + ": caught up in " + max + " s " + at);
                return new Recovery(phase, fault, max, at, "");
            }
            if (phase.equals("R1") && !hub.isAlive()) {
                break;
            }
            LockSupport.parkNanos(Math.min(300_000_000L, Math.max(0, deadline - System.nanoTime())));
        }
        log(phase + " " + fault + ": not caught up " + (giveUpAt == Long.MAX_VALUE ? "within " + timeoutSeconds + " s" : "before the next kill")
                + " " + at);
        return new Recovery(phase, fault, null, at, giveUpAt == Long.MAX_VALUE ? "not caught up" : "killed again before it caught up");
    }

    private boolean arrived(String place, long[] markers) {
        return switch (place) {
            case "kafka" -> java.util.Arrays.stream(markers).allMatch(tail::arrived);
            case "clickhouse" -> targets.inClickHouse(markers);
            case "elasticsearch" -> targets.inElasticsearch(markers);
            default -> Targets.inPostgres(targetData, "public", markers);
        };
    }

    /** Where the changes of some keys are in a change topic (partition@offset, time, op, rev): to find the fault that lost one. */
    private static List<String> recordsOf(String topic, Set<Long> ids) {
        List<String> found = new ArrayList<>();
        Map<String, Object> settings = Map.of("bootstrap.servers", KafkaServer.shared().bootstrapServers(), "enable.auto.commit", "false");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(pi -> new TopicPartition(topic, pi.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(500))) {
                    String key = r.key() == null ? "" : new String(r.key(), java.nio.charset.StandardCharsets.UTF_8).replaceAll("[^0-9-]", "");
                    if (!key.isEmpty() && !key.equals("-") && ids.contains(Long.parseLong(key))) {
                        String value = r.value() == null ? "tombstone" : new String(r.value(), java.nio.charset.StandardCharsets.UTF_8);
                        String op = value.replaceAll(".*\"op\":\"(.)\".*", "$1");
                        String rev = value.replaceAll(".*\"rev\":(\\d+).*", "$1");
                        found.add(key + " " + r.partition() + "@" + r.offset() + " "
                                + java.time.Instant.ofEpochMilli(r.timestamp()).atZone(java.time.ZoneId.systemDefault()).toLocalTime()
                                + (r.value() == null ? " tombstone" : " op=" + (op.length() == 1 ? op : "?") + " rev=" + (rev.length() < 9 ? rev : "?")));
                    }
                }
            }
        } catch (RuntimeException e) {
            found.add("(could not read " + topic + ": " + e + ")");
        }
        return found;
    }

    private long dlqEnd() {
        Map<String, Object> settings = Map.of("bootstrap.servers", KafkaServer.shared().bootstrapServers());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(DLQ, 0);
            return consumer.endOffsets(List.of(partition), Duration.ofSeconds(30)).get(partition);
        }
    }

    /** Waits (polling every 500 ms) until the condition holds; throws when it does not within the limit. */
    private static void waitFor(String what, Duration limit, java.util.concurrent.Callable<Boolean> condition) {
        org.awaitility.Awaitility.await(what).atMost(limit).pollInterval(Duration.ofMillis(500)).pollInSameThread()
                .ignoreExceptionsMatching(e -> !(e instanceof IllegalStateException && String.valueOf(e.getMessage()).startsWith("cdc-hub exited")))
                .until(condition);
    }

    /** The fault's own length (an outage, the time to a kill): parks until then, reporting a cdc-hub that exits meanwhile. */
    private void pauseUntil(long nanos) {
        while (System.nanoTime() < nanos) {
            LockSupport.parkNanos(Math.min(500_000_000L, nanos - System.nanoTime()));
        }
    }

    private void shutdown() {
        try {
            if (load != null) {
                load.close();
            }
            if (hub != null && hub.isAlive()) {
                int exit = hub.stop(60);
                log("cdc-hub stopped (SIGTERM), exit " + exit);
            }
            if (tail != null) {
                tail.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log("shutdown: " + e);
        }
    }

    private void fail(String message) {
        log("FAILURE: " + message);
        failures.add(message);
    }

    // ------------------------------------------------------------------------------------------------ report

    private List<String> summary() {
        List<String> s = new ArrayList<>();
        s.add("");
        s.add("=== cdc-hub fault suite ===");
        s.add("parameters: " + p.describe());
        s.add("load average at start " + loadStart + ", at end " + loadAverage() + " (" + Runtime.getRuntime().availableProcessors()
                + " CPUs); duration " + Math.round(seconds(System.nanoTime() - startedNanos)) + " s");
        s.add("");
        s.add("| figure | value |");
        s.add("|---|---|");
        s.add("| changes written (committed in PostgreSQL) | " + (load == null ? 0 : load.written()) + " (" + Math.round(achievedRate)
                + "/s achieved" + (load != null && load.timesBehind() > 0 ? ", fell >1 s behind " + load.timesBehind() + " times" : "") + ") |");
        if (kafka != null) {
            s.add("| changes in Kafka (distinct, of those written) | " + kafka.found() + " (missing " + kafka.missing() + ") |");
            s.add("| duplicates in Kafka (at-least-once) | " + kafka.duplicates() + " |");
            s.add("| other records in the change topics | " + tail.tombstones() + " tombstones, " + tail.others() + " poison/non-change, "
                    + tail.snapshotReads() + " snapshot reads, " + kafka.unexpected() + " change events not written by the load |");
        }
        for (String place : List.of("clickhouse", "elasticsearch", "target")) {
            long expected = 0;
            long equal = 0;
            long missing = 0;
            long extra = 0;
            long different = 0;
            for (var e : diffs.entrySet()) {
                if (e.getKey().startsWith(place + " ")) {
                    expected += e.getValue().expected();
                    equal += e.getValue().equal();
                    missing += e.getValue().missing();
                    extra += e.getValue().extra();
                    different += e.getValue().different();
                }
            }
            String name = place.equals("target") ? "sync target (aggregation)" : place.equals("clickhouse") ? "ClickHouse (FINAL, not deleted)"
                    : "Elasticsearch (documents by id)";
            String excused = place.equals("target") && windowCasualties > 0
                    ? ", " + casualtyIds.values().stream().mapToInt(Set::size).sum() + " keys of refused R3 windows not compared" : "";
            s.add("| rows equal: " + name + " | " + equal + " / " + expected + " (missing " + missing + ", extra " + extra + ", different "
                    + different + excused + ") |");
        }
        s.add("| dead letters | " + deadLetters + ": " + poisonDeadLetters + " poison (R3), " + windowCasualties
                + " changes of R3 windows failed by a refused poison value, " + unexpectedDeadLetters.size() + " from kills/outages |");
        s.add("");
        s.add("| phase | fault | at | time to recover (s) | Kafka / ClickHouse / Elasticsearch / target (s) | note |");
        s.add("|---|---|---|---|---|---|");
        for (Recovery r : recoveries) {
            s.add("| " + r.phase() + " | " + r.fault() + " | " + r.at() + " | " + (r.seconds() == null ? "-" : String.valueOf(r.seconds())) + " | "
                    + PLACES.stream().map(pl -> r.perPlace().containsKey(pl) ? String.valueOf(r.perPlace().get(pl)) : "-").toList() + " | "
                    + r.note() + " |");
        }
        List<Double> kills = recoveries.stream().filter(r -> r.phase().equals("R1") && r.seconds() != null).map(Recovery::seconds).sorted().toList();
        if (!kills.isEmpty()) {
            s.add("R1 time to recover (launch to caught up): median " + kills.get(kills.size() / 2) + " s, max " + kills.get(kills.size() - 1)
                    + " s over " + kills.size() + " cycles that caught up before the next kill");
        }
        s.add("");
        s.addAll(outcomes);
        s.add("");
        if (failures.isEmpty()) {
            s.add("RESULT: PASSED (no change lost, every target equal to PostgreSQL, no dead letter from a kill or an outage)");
        } else {
            s.add("RESULT: FAILED");
            failures.forEach(f -> s.add("  - " + f));
        }
        s.add("cdc-hub log: " + (hub == null ? "-" : hub.log()));
        return s;
    }

    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException e) {
            return "?";
        }
    }

    private static double seconds(long nanos) {
        return Math.round(nanos / 1e8) / 10.0;
    }

    private static long mb(double bytes) {
        return Math.round(bytes / 1024 / 1024);
    }

    private static void log(String message) {
        System.out.println("[fault " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + "] " + message);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }
}
