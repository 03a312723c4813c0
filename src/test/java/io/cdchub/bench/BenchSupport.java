package io.cdchub.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** What the benchmarks share: a watchdog, settings from arguments, CPU and load readings, medians, logging. */
final class BenchSupport {

    private BenchSupport() {
    }

    /**
     * Starts a watchdog that ends the JVM with status 3 after {@code limit} (a benchmark must stop by
     * itself), and reads the arguments as cdc-hub settings ({@code key=value}; status 64 otherwise).
     */
    static Map<String, String> startWatchdogAndReadSettings(String[] args, Duration limit) {
        Thread watchdog = new Thread(() -> {
            try {
                if (!new CountDownLatch(1).await(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                    System.err.println("[bench] FAILED: the benchmark ran longer than " + limit.toMinutes() + " min; aborting");
                    System.exit(3);
                }
            } catch (InterruptedException e) {
                // finished in time
            }
        }, "bench-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        Map<String, String> settings = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                System.err.println("[bench] arguments are cdc-hub settings as key=value, not '" + arg + "'");
                System.exit(64);
            }
            settings.put(arg.substring(0, eq).replaceFirst("^--", ""), arg.substring(eq + 1));
        }
        return settings;
    }

    /** CPU time this JVM has used so far. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** The machine's 1-minute load average: other work on the cores skews every figure. */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }

    static void log(String message) {
        System.out.println("[bench] " + message);
        System.out.flush();
    }

    /** Pauses a polling loop of the benchmark (never used by tests, which wait on conditions). */
    static void pause(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** A benchmark's measuring part: returns its exit status, throws {@link StartFailure} when something did not start. */
    @FunctionalInterface
    interface Phases {
        int run() throws Exception;
    }

    /**
     * Runs the phases, then the cleanup whatever happened, and prints the summary with the run time and the machine's
     * load: status 2 when something did not start, 1 when a phase failed or a failure was recorded, else the phases'.
     */
    static int runAndReport(String title, Path summaryFile, List<String> summary, List<String> failures, Phases phases, Runnable cleanup) {
        long started = System.nanoTime();
        String loadAtStart = loadAverage();
        int status;
        try {
            status = phases.run();
        } catch (StartFailure e) {
            failures.add(e.getMessage());
            status = 2;
        } catch (Exception e) {
            e.printStackTrace();
            failures.add("unexpected " + e);
            status = 1;
        } finally {
            cleanup.run();
        }
        if (status == 0 && !failures.isEmpty()) {
            status = 1;
        }
        summary.add(String.format(Locale.ROOT, "run time: %.0f s; machine load average (1 min) at start %s, at end %s (%d CPUs)",
                (System.nanoTime() - started) / 1e9, loadAtStart, loadAverage(), Runtime.getRuntime().availableProcessors()));
        printSummary(title, summary, failures, status, summaryFile);
        return status;
    }

    /** Prints the summary block (title, lines, failures, result) and writes it to {@code file}. */
    static void printSummary(String title, List<String> summary, List<String> failures, int status, Path file) {
        String header = "==================== " + title + " ====================";
        List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add(header);
        lines.addAll(summary);
        failures.forEach(f -> lines.add("FAILURE: " + f));
        lines.add("result: " + (status == 0 ? "OK (exit 0)" : "FAILED (exit " + status + ")"));
        lines.add("=".repeat(header.length()));
        String text = String.join(System.lineSeparator(), lines) + System.lineSeparator();
        System.out.print(text);
        System.out.flush();
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.err.println("[bench] could not write the summary file " + file + ": " + e.getMessage());
        }
    }

    /** cdc-hub or the servers under it did not start. */
    static final class StartFailure extends Exception {
        StartFailure(String message) {
            super(message);
        }
    }
}
