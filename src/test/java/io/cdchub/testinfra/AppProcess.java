package io.cdchub.testinfra;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * cdc-hub in a child JVM, for what cannot be done in-process: a real kill -9, a real SIGTERM.
 * Uses the test JVM's own classpath; logs go to target/it-logs/NAME.log.
 */
public final class AppProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final long logStart;

    private AppProcess(Process process, Path log, long logStart) {
        this.logStart = logStart;
        this.process = process;
        this.log = log;
    }

    public static AppProcess start(String name, Map<String, String> settings, String... profiles) throws IOException {
        Path logs = Path.of("target", "it-logs");
        Files.createDirectories(logs);
        Path log = logs.resolve(name + ".log");
        // the file keeps earlier runs (appended) for inspection; log() reads this process's part only
        long logStart = Files.exists(log) ? Files.size(log) : 0;
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx512m");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("io.cdchub.CdcHubApplication");
        if (profiles.length > 0) {
            command.add("--spring.profiles.active=" + String.join(",", profiles));
        }
        settings.forEach((k, v) -> command.add("--" + k + "=" + v));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .directory(new File(".").getAbsoluteFile())
                .start();
        return new AppProcess(process, log, logStart);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** kill -9: no shutdown hook, no offset flush. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, as Ctrl-C or Kubernetes would send; returns the exit code, or -1 if it did not exit in time. */
    public int terminate(long timeoutSeconds) throws InterruptedException {
        process.destroy();
        if (process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            return process.exitValue();
        }
        return -1;
    }

    /** Waits for the process to end by itself; returns its exit code, or -1 if it still runs after the timeout. */
    public int awaitExit(long timeoutSeconds) throws InterruptedException {
        return process.waitFor(timeoutSeconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    /** What this process wrote (its log file may hold earlier runs before it). */
    public String log() throws IOException {
        byte[] all = Files.readAllBytes(log);
        int from = (int) Math.min(logStart, all.length);
        return new String(all, from, all.length - from, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
