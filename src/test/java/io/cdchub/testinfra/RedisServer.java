package io.cdchub.testinfra;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Redis (Debian's /usr/bin/redis-server, no persistence) shared by every test in the JVM, on a free port.
 * Tests may {@link #stop()} and {@link #start()} it again on the same port to simulate an outage (its data is
 * lost then, as with a Redis without persistence). Killed when the JVM exits.
 */
public final class RedisServer {

    private static RedisServer shared;

    private final Path binary;
    private final Path dir;
    private final int port;
    private Process process;

    private RedisServer() throws IOException {
        String configured = System.getenv("CDC_HUB_TEST_REDIS_SERVER");
        binary = Path.of(configured != null ? configured : "/usr/bin/redis-server");
        if (!Files.isExecutable(binary)) {
            throw new IOException(binary + " not found: install Debian's redis-server (scripts/install-test-prerequisites.sh)"
                    + " or set CDC_HUB_TEST_REDIS_SERVER");
        }
        dir = Files.createTempDirectory("cdc-hub-redis-");
        port = PostgresServer.freePort();
    }

    public static synchronized RedisServer shared() {
        if (shared == null) {
            try {
                shared = new RedisServer();
                shared.start();
            } catch (IOException e) {
                throw new IllegalStateException("Cannot start the test Redis: " + e.getMessage(), e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                shared.stop();
                TempDirs.delete(shared.dir);
            }, "stop-test-redis"));
        }
        return shared;
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    /** spring.data.redis.* for an application that uses this server. */
    public java.util.Map<String, String> settings() {
        return java.util.Map.of("spring.data.redis.host", host(), "spring.data.redis.port", String.valueOf(port));
    }

    /** Starts the server (again) on its port; returns once it answers PING. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        try {
            process = new ProcessBuilder(List.of(binary.toString(), "--port", String.valueOf(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--protected-mode", "no"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!ping()) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("redis-server did not start: " + Files.readString(dir.resolve("redis.log")));
                }
                // the wait of a process start-up: bounded, with the process as the condition
                process.waitFor(20, TimeUnit.MILLISECONDS);
            }
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Takes the server away as a stop of a Redis with persistence does ({@code SHUTDOWN SAVE}: every write it acknowledged
     * is in the snapshot, none after it); {@link #start()} brings it back on the same port with that data. A server
     * that does not exit within 20 s is killed. (A SAVE followed by a kill, as before, lost the writes acknowledged
     * between the two: the fault suite saw an aggregation change lost that way.)
     */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        try {
            command("SHUTDOWN", "SAVE");
        } catch (IllegalStateException e) {
            // the server closes the connection as it exits; or it did not answer
        }
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(20, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Runs a command (inline protocol) and returns the raw reply; for test set-up and checks. */
    public String command(String... words) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host(), port), 1000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            StringBuilder request = new StringBuilder("*" + words.length + "\r\n");
            for (String word : words) {
                request.append('$').append(word.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(word).append("\r\n");
            }
            out.write(request.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[65536];
            int n = in.read(buffer);
            return n <= 0 ? "" : new String(buffer, 0, n, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("Redis command failed: " + e.getMessage(), e);
        }
    }

    private boolean ping() {
        try {
            return command("PING").startsWith("+PONG");
        } catch (IllegalStateException e) {
            return false;
        }
    }
}
