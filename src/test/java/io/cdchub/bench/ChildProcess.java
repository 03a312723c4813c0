package io.cdchub.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A process a benchmark started (a JVM of one of the systems, or the Kafka broker): output appended to a log file,
 * pid written to {@code <java.io.tmpdir>/bench-pids/NAME.pid} so the script can stop it if this JVM is halted, and
 * killed when this JVM exits.
 */
final class ChildProcess {

    private static final List<ChildProcess> STARTED = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> STARTED.forEach(c -> c.process.destroyForcibly()), "bench-stop-children"));
    }

    final String name;
    final Process process;
    final Path log;
    final long startedNanos;

    private ChildProcess(String name, Process process, Path log, long startedNanos) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.startedNanos = startedNanos;
    }

    /** Starts {@code command} in {@code workDir} with the environment of this JVM minus variables starting with a prefix in {@code dropEnv}. */
    static ChildProcess start(String name, List<String> command, Path workDir, Path log, List<String> dropEnv) throws IOException {
        Files.createDirectories(workDir);
        Files.createDirectories(log.getParent());
        Files.writeString(log, "[bench] " + String.join(" ", command) + System.lineSeparator());
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> dropEnv.stream().anyMatch(k::startsWith));
        long t0 = System.nanoTime();
        Process process = builder.start();
        ChildProcess child = new ChildProcess(name, process, log, t0);
        STARTED.add(child);
        Path pids = Path.of(System.getProperty("java.io.tmpdir"), "bench-pids");
        Files.createDirectories(pids);
        Files.writeString(pids.resolve(name + ".pid"), process.pid() + System.lineSeparator());
        return child;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGSTOP: the process keeps its state (and connections) but gets no CPU until {@link #resume}. */
    void suspend() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT. */
    void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).redirectErrorStream(true).start();
        String out = new String(kill.getInputStream().readAllBytes()).strip();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + signal + " " + process.pid() + " failed: " + out);
        }
    }

    /** SIGTERM (after SIGCONT, should it be suspended), then SIGKILL after {@code graceSeconds}. */
    void stop(int graceSeconds) {
        try {
            resume();
        } catch (IOException e) {
            // gone already
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroy();
        try {
            if (!process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        STARTED.remove(this);
    }

    /** The last lines of the log, for a failure message. */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | RuntimeException e) {
            return "(log " + log + " not readable: " + e.getMessage() + ")";
        }
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static String classpath(List<Path> entries, Path classpathFile) throws IOException {
        StringBuilder cp = new StringBuilder();
        for (Path p : entries) {
            cp.append(p.toAbsolutePath()).append(File.pathSeparatorChar);
        }
        cp.append(Files.readString(classpathFile).strip());
        return cp.toString();
    }
}
