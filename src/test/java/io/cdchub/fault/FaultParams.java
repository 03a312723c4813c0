package io.cdchub.fault;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one run of the fault suite does. {@link #fromSystemProperties} reads {@code fault.*} system properties over the
 * full defaults (bench/fault-suite.sh); {@link #shortRun} is the version {@code FaultSuiteIT} runs in {@code ./mvnw verify}.
 *
 * @param rate           changes per second the load writes to PostgreSQL (inserts, updates, deletes over 3 tables)
 * @param partitions     partitions of each change topic (created before the first start)
 * @param killCycles     R1: kill -9 of the cdc-hub process, restarted each time
 * @param killWindowMin  R1: earliest kill after a launch, seconds
 * @param killWindowMax  R1: latest kill after a launch, seconds (a kill before the restarted process caught up is a
 *                       kill during start-up or catch-up)
 * @param outageSeconds  R2: how long each dependency is stopped
 * @param dependencies   R2: which dependencies are stopped, in order (kafka, clickhouse, elasticsearch, redis, target)
 * @param poisonCopies   R3: records of each poison kind per change topic
 * @param fuzzPerEndpoint R4: requests per admin endpoint
 * @param wsFuzzMessages R4: WebSocket frames
 * @param phases         which of r1, r2, r3, r4 run
 * @param recoverTimeoutSeconds longest wait for the pipeline to catch up after a fault before the next one (a fault not
 *                       caught up by then is reported, not failed); the final catch-up and comparison wait at least 300 s
 * @param maxEvent       aggregation consumers' max_event
 * @param maxTime        aggregation consumers' max_time (seconds)
 * @param heap           the cdc-hub process's -Xmx
 * @param seed           random seed (kill moments, load, fuzz); printed, so a run can be repeated
 * @param appSettings    extra cdc-hub settings (key=value), win over the suite's
 * @param out            where logs and the summary go
 */
public record FaultParams(int rate, int partitions, int killCycles, int killWindowMin, int killWindowMax, int outageSeconds,
                          List<String> dependencies, int poisonCopies, int fuzzPerEndpoint, int wsFuzzMessages, Set<String> phases,
                          int recoverTimeoutSeconds, int maxEvent, int maxTime, String heap, long seed, Map<String, String> appSettings,
                          Path out) {

    public static final List<String> ALL_DEPENDENCIES = List.of("kafka", "clickhouse", "elasticsearch", "redis", "target");

    /** The full run: bench/fault-suite.sh with no options. */
    public static FaultParams full(Path out) {
        return new FaultParams(1000, 3, 20, 5, 45, 60, ALL_DEPENDENCIES, 2, 100, 1000, Set.of("r1", "r2", "r3", "r4"), 300,
                1000, 2, "768m", System.nanoTime(), Map.of(), out);
    }

    /** The short run inside ./mvnw verify: 2 kills, 10 s outages, one poison record of each kind per topic, a small fuzz. */
    public static FaultParams shortRun(Path out) {
        return new FaultParams(Integer.getInteger("fault.rate", 300), 3, 2, 5, 15, 10, ALL_DEPENDENCIES, 1, 8, 150,
                Set.of("r1", "r2", "r3", "r4"), 90, 500, 2, "640m", Long.getLong("fault.seed", System.nanoTime()),
                Map.of("cdc.sink.retry.max-delay-ms", "2000", "cdc.aggregation.retry.max-delay-ms", "2000"), out);
    }

    /** The full defaults overridden by {@code fault.*} system properties; {@code key=value} arguments become app settings. */
    public static FaultParams fromSystemProperties(String[] args, Path out) {
        FaultParams d = full(out);
        Map<String, String> app = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("arguments are cdc-hub settings key=value, not " + arg);
            }
            app.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        return new FaultParams(
                Integer.getInteger("fault.rate", d.rate()),
                Integer.getInteger("fault.partitions", d.partitions()),
                Integer.getInteger("fault.kill-cycles", d.killCycles()),
                Integer.getInteger("fault.kill-window-min", d.killWindowMin()),
                Integer.getInteger("fault.kill-window-max", d.killWindowMax()),
                Integer.getInteger("fault.outage-seconds", d.outageSeconds()),
                List.of(System.getProperty("fault.dependencies", String.join(",", d.dependencies())).split(",")),
                Integer.getInteger("fault.poison-copies", d.poisonCopies()),
                Integer.getInteger("fault.fuzz-per-endpoint", d.fuzzPerEndpoint()),
                Integer.getInteger("fault.ws-fuzz-messages", d.wsFuzzMessages()),
                Set.of(System.getProperty("fault.phases", "r1,r2,r3,r4").split(",")),
                Integer.getInteger("fault.recover-timeout-seconds", d.recoverTimeoutSeconds()),
                Integer.getInteger("fault.max-event", d.maxEvent()),
                Integer.getInteger("fault.max-time", d.maxTime()),
                System.getProperty("fault.heap", d.heap()),
                Long.getLong("fault.seed", d.seed()),
                app, out);
    }

    String describe() {
        return "rate=" + rate + "/s partitions=" + partitions + " kill-cycles=" + killCycles + " kill-window=" + killWindowMin + "-"
                + killWindowMax + "s outage=" + outageSeconds + "s dependencies=" + String.join(",", dependencies) + " poison-copies="
                + poisonCopies + " fuzz-per-endpoint=" + fuzzPerEndpoint + " ws-fuzz=" + wsFuzzMessages + " phases="
                + String.join(",", new java.util.TreeSet<>(phases)) + " max_event=" + maxEvent + " max_time=" + maxTime + "s heap=" + heap
                + " seed=" + seed + (appSettings.isEmpty() ? "" : " settings=" + appSettings);
    }
}
