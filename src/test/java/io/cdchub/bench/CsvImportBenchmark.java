package io.cdchub.bench;

import static io.cdchub.bench.BenchSupport.log;
import static io.cdchub.bench.BenchSupport.median;
import static io.cdchub.bench.BenchSupport.pause;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.cdchub.bench.BenchSupport.StartFailure;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;

/**
 * The CSV import benchmark (issue 15 section 1): cdc-hub's csv-to-postgres route against {@code psql \copy} of the same
 * file into the same PostgreSQL, in the same run. bench/csv-import-benchmark.sh runs it; figures are printed, never
 * asserted; the exit status is non-zero only when something did not start or a load did not hold every row.
 *
 * <p>One CSV file of N rows (8 columns: integer id, two texts, numeric, boolean, date, timestamp, a longer text) is
 * written once. After an untimed warm-up load of a smaller file through each side, each repetition, in alternating order:
 * <ol>
 * <li><b>route</b>: cdc-hub runs in a JVM of its own ({@code io.cdchub.CdcHubApplication}, source off, only the import
 *     doing work) watching a folder; the table is dropped, the file is renamed into the folder, and the time runs until
 *     it is in {@code .done/}: the import's wait for a stable size, its sample read, CREATE TABLE and the COPY, as a
 *     user sees it. The load alone (what the importer logs) is reported beside it.</li>
 * <li><b>psql</b>: the table is created empty with the route table's definition (not timed), then
 *     {@code psql -c "\copy ... FROM 'file' WITH (FORMAT csv, HEADER true)"} runs as a process of its own; its wall time
 *     (process start, connection and COPY) is the baseline.</li>
 * </ol>
 * CPU is given per side for the client process (cdc-hub's JVM during the load; psql's user+sys) and for the PostgreSQL
 * server (the postmaster and all its children, exited backends included, read once it has settled after the load), which
 * does the parsing and writing for both.
 *
 * <p>Knobs (system properties): {@code bench.rows} (1000000), {@code bench.repetitions} (5), {@code bench.warm-up-rows}
 * (100000), {@code bench.out}.
 * Arguments {@code key=value} are extra cdc-hub settings, e.g. {@code cdc.import.csv.mode=upsert}.
 */
public final class CsvImportBenchmark {

    private static final int ROWS = Integer.getInteger("bench.rows", 1_000_000);
    private static final int REPETITIONS = Integer.getInteger("bench.repetitions", 5);
    private static final int WARM_UP_ROWS = Integer.getInteger("bench.warm-up-rows", 100_000);
    private static final Path OUT = Path.of(System.getProperty("bench.out",
            Path.of(System.getProperty("cdchub.build.dir", "target"), "bench").toString()));
    /** The aim of issue 15: the import at 90% or more of psql's \copy rate. */
    private static final double AIM = 0.90;
    private static final Duration WATCHDOG = Duration.ofMinutes(40);
    private static final Duration LOAD_LIMIT = Duration.ofMinutes(10);
    private static final String PSQL = System.getenv().getOrDefault("CDC_HUB_TEST_PG_BIN", "/usr/lib/postgresql/15/bin") + "/psql";

    private static final String DB = RealServers.DATABASE;
    private static final String SCHEMA = "csvbench";
    private static final String TABLE = "bench_rows";
    private static final String FILE = TABLE + ".csv";
    private static final Pattern LOADED = Pattern.compile("Loaded " + FILE + " into \\S+ \\(created\\): (\\d+) rows in ([0-9.]+) s");

    private final List<String> summary = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final Map<String, String> extraSettings;
    private ChildProcess hub;

    private CsvImportBenchmark(Map<String, String> extraSettings) {
        this.extraSettings = extraSettings;
    }

    public static void main(String[] args) {
        Map<String, String> extra = BenchSupport.startWatchdogAndReadSettings(args, WATCHDOG);
        System.exit(new CsvImportBenchmark(extra).run());
    }

    private int run() {
        return BenchSupport.runAndReport("CSV import benchmark", OUT.resolve("csv-import-benchmark-summary.txt"), summary, failures,
                this::runPhases, () -> {
                    if (hub != null) {
                        hub.stop(30);
                    }
                });
    }

    private int runPhases() throws Exception {
        log("starting PostgreSQL and Kafka");
        Map<String, String> settings;
        try {
            settings = RealServers.settings();
            PostgresServer.shared().execute(DB, "DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE", "CREATE SCHEMA " + SCHEMA);
        } catch (RuntimeException e) {
            throw new StartFailure("the test servers did not start: " + e);
        }
        Path work = Files.createTempDirectory("csvbench-");
        Path master = work.resolve("master-" + FILE);
        long bytes = writeFile(master, ROWS);
        Path watched = Files.createDirectories(work.resolve("in"));
        Path staging = Files.createDirectories(work.resolve("staging"));
        summary.add(String.format(Locale.ROOT, "data: %,d rows, %,d bytes (%.0f bytes/row), 8 columns (integer id, text, text, numeric, boolean, date,"
                + " timestamp, text), UTF-8 with a header row", ROWS, bytes, (double) bytes / ROWS));

        settings.put("cdc.source.enabled", "false");
        settings.put("cdc.admin.connect-port", "-1");
        settings.put("cdc.import.csv.dir", watched.toString());
        settings.put("cdc.import.csv.schema", SCHEMA);
        settings.put("cdc.import.csv.stable-for", "100ms");
        settings.put("cdc.import.csv.poll-interval", "100ms");
        settings.putAll(extraSettings);
        hub = startHub(settings, work);
        long postmaster = postmasterPid();
        summary.add("setup: PostgreSQL " + serverVersion() + " (the test harness's, fsync off, wal_level logical), cdc-hub in a JVM of its own"
                + " (java " + System.getProperty("java.version") + ", -Xmx1g, source off), psql " + psqlVersion() + "; both on 127.0.0.1");
        summary.add("config: cdc-hub import defaults (insert mode, sample-rows 1000), stable-for 100ms, poll-interval 100ms"
                + (extraSettings.isEmpty() ? "" : "; overridden: " + extraSettings));

        warmUp(work, watched, staging);

        double[] routeRates = new double[REPETITIONS];
        double[] loadRates = new double[REPETITIONS];
        double[] psqlRates = new double[REPETITIONS];
        double[] routeCpu = new double[REPETITIONS];
        double[] psqlCpu = new double[REPETITIONS];
        double[] routeServerCpu = new double[REPETITIONS];
        double[] psqlServerCpu = new double[REPETITIONS];
        for (int rep = 1; rep <= REPETITIONS; rep++) {
            boolean routeFirst = rep % 2 == 1;
            for (int side = 0; side < 2; side++) {
                if ((side == 0) == routeFirst) {
                    double[] r = routeLoad(rep, master, watched, staging, postmaster);
                    routeRates[rep - 1] = r[0];
                    loadRates[rep - 1] = r[1];
                    routeCpu[rep - 1] = r[2];
                    routeServerCpu[rep - 1] = r[3];
                } else {
                    double[] p = psqlLoad(rep, master, postmaster);
                    psqlRates[rep - 1] = p[0];
                    psqlCpu[rep - 1] = p[1];
                    psqlServerCpu[rep - 1] = p[2];
                }
            }
        }
        double route = median(routeRates);
        double psql = median(psqlRates);
        summary.add(String.format(Locale.ROOT, "route (file renamed in -> in .done/): median %,.0f rows/s  %s", route, list(routeRates)));
        summary.add(String.format(Locale.ROOT, "route, the load alone (importer's log):  median %,.0f rows/s  %s", median(loadRates), list(loadRates)));
        summary.add(String.format(Locale.ROOT, "psql \\copy (process start to exit):       median %,.0f rows/s  %s", psql, list(psqlRates)));
        summary.add(String.format(Locale.ROOT, "RATIO route / psql \\copy: %.2fx (load alone %.2fx); aim %.2fx: %s", route / psql,
                median(loadRates) / psql, AIM, route / psql >= AIM ? "met" : "NOT met"));
        summary.add(String.format(Locale.ROOT, "CPU s per load, client: cdc-hub JVM median %.2f %s, psql median %.2f %s", median(routeCpu), list(routeCpu),
                median(psqlCpu), list(psqlCpu)));
        summary.add(String.format(Locale.ROOT, "CPU s per load, PostgreSQL server: with the route median %.2f %s, with psql median %.2f %s",
                median(routeServerCpu), list(routeServerCpu), median(psqlServerCpu), list(psqlServerCpu)));
        return 0;
    }

    /** One untimed load of a smaller file through each side first: the JVM's classes and JIT, the server's caches. */
    private void warmUp(Path work, Path watched, Path staging) throws Exception {
        Path file = writeFileAt(staging.resolve("warm_up.csv"), WARM_UP_ROWS);
        Path done = watched.resolve(".done").resolve("warm_up.csv");
        Path psqlCopy = Files.copy(file, work.resolve("warm_up_psql.csv"), StandardCopyOption.REPLACE_EXISTING);
        Files.move(file, watched.resolve("warm_up.csv"), StandardCopyOption.ATOMIC_MOVE);
        long deadline = System.nanoTime() + LOAD_LIMIT.toNanos();
        while (!Files.exists(done)) {
            if (System.nanoTime() > deadline || !hub.isAlive() || Files.exists(watched.resolve(".failed"))) {
                throw new IllegalStateException("the route did not load the warm-up file:\n" + hub.logTail(40));
            }
            pause(20);
        }
        PostgresServer pg = PostgresServer.shared();
        pg.execute(DB, "CREATE TABLE " + SCHEMA + ".warm_up_psql (LIKE " + SCHEMA + ".warm_up INCLUDING ALL)");
        runPsql("\\copy " + SCHEMA + ".warm_up_psql FROM '" + psqlCopy + "' WITH (FORMAT csv, HEADER true)");
        pg.execute(DB, "DROP TABLE " + SCHEMA + ".warm_up", "DROP TABLE " + SCHEMA + ".warm_up_psql");
        summary.add(String.format(Locale.ROOT, "warm-up (not timed): %,d rows through each side first; then %d repetitions, the order alternating",
                WARM_UP_ROWS, REPETITIONS));
        log("warm-up done");
    }

    /** One load through the route: {rows/s end to end, rows/s of the load alone, client CPU s, server CPU s}. */
    private double[] routeLoad(int rep, Path master, Path watched, Path staging, long postmaster) throws Exception {
        PostgresServer.shared().execute(DB, "DROP TABLE IF EXISTS " + SCHEMA + "." + TABLE);
        Path done = watched.resolve(".done").resolve(FILE);
        Files.deleteIfExists(done);
        Path copy = Files.copy(master, staging.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
        long logBefore = Files.size(hub.log);
        long cpu0 = ProcStat.cpuNanos(hub.pid());
        long server0 = serverCpuNanos(postmaster);
        long t0 = System.nanoTime();
        Files.move(copy, watched.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
        long deadline = t0 + LOAD_LIMIT.toNanos();
        while (!Files.exists(done)) {
            if (Files.exists(watched.resolve(".failed").resolve(FILE + ".error"))) {
                throw new IllegalStateException("the route failed the file: " + Files.readString(watched.resolve(".failed").resolve(FILE + ".error")));
            }
            if (System.nanoTime() > deadline || !hub.isAlive()) {
                throw new IllegalStateException("the route did not load the file within " + LOAD_LIMIT + ":\n" + hub.logTail(40));
            }
            pause(5);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpu = (ProcStat.cpuNanos(hub.pid()) - cpu0) / 1e9;
        double server = (settledServerCpuNanos(postmaster) - server0) / 1e9;
        requireRows(TABLE);
        double loadSeconds = loggedLoadSeconds(logBefore);
        if (rep == 1) {
            PostgresServer.shared().execute(DB, "DROP TABLE IF EXISTS " + SCHEMA + ".template",
                    "CREATE TABLE " + SCHEMA + ".template (LIKE " + SCHEMA + "." + TABLE + " INCLUDING ALL)");
            summary.add("table the route created: " + tableDefinition(TABLE));
        }
        log(String.format(Locale.ROOT, "rep %d route: %.2f s end to end (%,.0f rows/s), load alone %.2f s, cdc-hub CPU %.2f s, server CPU %.2f s",
                rep, seconds, ROWS / seconds, loadSeconds, cpu, server));
        return new double[] {ROWS / seconds, ROWS / loadSeconds, cpu, server};
    }

    /** One load through psql: {rows/s, psql CPU s, server CPU s}. */
    private double[] psqlLoad(int rep, Path master, long postmaster) throws Exception {
        String table = SCHEMA + ".psql_rows";
        PostgresServer pg = PostgresServer.shared();
        if (rep == 1 && !tableExists("template")) {
            throw new IllegalStateException("the psql side needs the route's table definition: the route runs first in repetition 1");
        }
        pg.execute(DB, "DROP TABLE IF EXISTS " + table, "CREATE TABLE " + table + " (LIKE " + SCHEMA + ".template INCLUDING ALL)");
        String copy = "\\copy " + table + " FROM '" + master + "' WITH (FORMAT csv, HEADER true)";
        long server0 = serverCpuNanos(postmaster);
        long t0 = System.nanoTime();
        String out = runPsql(copy);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double server = (settledServerCpuNanos(postmaster) - server0) / 1e9;
        String[] times = out.lines().reduce((a, b) -> b).orElse("0 0 0").trim().split("\\s+");
        double cpu = Double.parseDouble(times[1]) + Double.parseDouble(times[2]);
        requireRows("psql_rows");
        log(String.format(Locale.ROOT, "rep %d psql:  %.2f s (%,.0f rows/s), psql CPU %.2f s, server CPU %.2f s", rep, seconds, ROWS / seconds, cpu, server));
        return new double[] {ROWS / seconds, cpu, server};
    }

    /** Runs one psql command as a process of its own; returns bash's {@code time} line: real, user and sys seconds. */
    private static String runPsql(String command) throws IOException, InterruptedException {
        PostgresServer pg = PostgresServer.shared();
        // bash's time reports psql's own CPU (user, sys) after it exits
        List<String> bash = List.of("bash", "-c", "TIMEFORMAT='%R %U %S'; time \"$0\" -X -q -v ON_ERROR_STOP=1 -h \"$1\" -p \"$2\" -U \"$3\" -d \"$4\" -c \"$5\" > /dev/null",
                PSQL, pg.host(), String.valueOf(pg.port()), PostgresServer.USER, DB, command);
        Process process = new ProcessBuilder(bash).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!process.waitFor(LOAD_LIMIT.toMinutes(), TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IllegalStateException("psql failed: " + out);
        }
        return out;
    }

    private ChildProcess startHub(Map<String, String> settings, Path work) throws Exception {
        List<String> jvm = new ArrayList<>(List.of(ChildProcess.javaBin(), "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                "io.cdchub.CdcHubApplication"));
        settings.forEach((k, v) -> jvm.add("--" + k + "=" + v));
        ChildProcess child = ChildProcess.start("cdc-hub", jvm, work.resolve("hub"), OUT.resolve("csv-import-benchmark-cdc-hub.log"),
                List.of("CDC_", "SPRING_"));
        log("waiting for cdc-hub (log: " + child.log + ")");
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (!Files.readString(child.log).contains("Started csv-to-postgres")) {
            if (!child.isAlive() || System.nanoTime() > deadline) {
                throw new StartFailure("cdc-hub did not start its csv-to-postgres route:\n" + child.logTail(40));
            }
            pause(200);
        }
        return child;
    }

    /** What the importer logged for the load since {@code offset} of its log: the transaction alone. */
    private double loggedLoadSeconds(long offset) throws IOException {
        String log = Files.readString(hub.log).substring((int) Math.min(offset, Files.size(hub.log)));
        Matcher m = LOADED.matcher(log);
        if (!m.find()) {
            throw new IllegalStateException("the importer logged no 'Loaded " + FILE + "' line");
        }
        return Double.parseDouble(m.group(2));
    }

    private static Path writeFileAt(Path file, int rows) throws IOException {
        writeFile(file, rows);
        return file;
    }

    private static long writeFile(Path file, int rows) throws IOException {
        LocalDate day = LocalDate.of(2020, 1, 1);
        LocalDateTime time = LocalDateTime.of(2024, 1, 1, 0, 0);
        String[] cities = {"Kraków", "Warszawa", "Gdańsk", "Wrocław", "Poznań", "Łódź", "Lublin", "Szczecin"};
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            out.write("id,name,city,amount,active,created,updated,note\n");
            for (int i = 1; i <= rows; i++) {
                out.write(Integer.toString(i));
                out.write(",customer ");
                out.write(Integer.toString(i));
                out.write(',');
                out.write(cities[i % cities.length]);
                out.write(',');
                out.write(Long.toString(i * 7_919L % 10_000_000L / 100));
                out.write('.');
                out.write(String.format(Locale.ROOT, "%02d", i % 100));
                out.write(i % 3 == 0 ? ",false," : ",true,");
                out.write(day.plusDays(i % 1_500).toString());
                out.write(',');
                out.write(time.plusSeconds(i * 37L).toString().replace('T', ' '));
                out.write(i % 10 == 0 ? ",\"a note, with a comma\"\n" : ",plain note for row " + i + "\n");
            }
        }
        return Files.size(file);
    }

    private static void requireRows(String table) throws SQLException {
        try (Connection c = PostgresServer.shared().dataSource(DB).getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*), count(DISTINCT id) FROM " + SCHEMA + "." + table)) {
            rs.next();
            if (rs.getLong(1) != ROWS || rs.getLong(2) != ROWS) {
                throw new IllegalStateException(table + " holds " + rs.getLong(1) + " rows (" + rs.getLong(2) + " ids), not " + ROWS);
            }
        }
    }

    private static boolean tableExists(String table) throws SQLException {
        try (Connection c = PostgresServer.shared().dataSource(DB).getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = '" + SCHEMA + "' AND tablename = '" + table + "'")) {
            rs.next();
            return rs.getLong(1) > 0;
        }
    }

    private static String tableDefinition(String table) throws SQLException {
        try (Connection c = PostgresServer.shared().dataSource(DB).getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position)"
                        + " FROM information_schema.columns WHERE table_schema = '" + SCHEMA + "' AND table_name = '" + table + "'")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String serverVersion() throws SQLException {
        try (Connection c = PostgresServer.shared().dataSource(DB).getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SHOW server_version")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String psqlVersion() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(PSQL, "--version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor(30, TimeUnit.SECONDS);
        return out.replace("psql (PostgreSQL) ", "");
    }

    /** The postmaster: the parent of the checkpointer. */
    private static long postmasterPid() throws SQLException, IOException {
        try (Connection c = PostgresServer.shared().dataSource(DB).getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")) {
            rs.next();
            return parentPid(rs.getLong(1));
        }
    }

    private static long parentPid(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
    }

    /**
     * The server's CPU once it has settled: a backend that has just ended is counted only after the postmaster reaped
     * it (a zombie's CPU shows nowhere), so readings repeat until two, 250 ms apart, agree (at most 10 s).
     */
    private static long settledServerCpuNanos(long postmaster) throws IOException {
        long previous = serverCpuNanos(postmaster);
        for (int i = 0; i < 40; i++) {
            pause(250);
            long now = serverCpuNanos(postmaster);
            if (now == previous) {
                return now;
            }
            previous = now;
        }
        return previous;
    }

    /** CPU of the PostgreSQL server: the postmaster's own and its reaped children's, plus every live child's. */
    private static long serverCpuNanos(long postmaster) throws IOException {
        long ticks = 0;
        String stat = Files.readString(Path.of("/proc", String.valueOf(postmaster), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]); // utime stime cutime cstime
        try (var children = ProcessHandle.of(postmaster).map(ProcessHandle::children).orElseGet(java.util.stream.Stream::empty)) {
            for (ProcessHandle child : (Iterable<ProcessHandle>) children::iterator) {
                long nanos = ProcStat.cpuNanos(child.pid());
                if (nanos > 0) {
                    ticks += nanos * ProcStat.TICKS_PER_SECOND / 1_000_000_000L;
                }
            }
        }
        return ticks * 1_000_000_000L / ProcStat.TICKS_PER_SECOND;
    }

    private static String list(double[] values) {
        StringBuilder s = new StringBuilder("[");
        for (double v : values) {
            s.append(s.length() > 1 ? ", " : "").append(String.format(Locale.ROOT, v >= 100 ? "%,.0f" : "%.2f", v));
        }
        return s.append(']').toString();
    }
}
