package io.cdchub.testinfra;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.cdchub.sink.lakehouse.S3Settings;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

/**
 * A real S3-compatible server for the lakehouse tests: s3proxy 4.1.0 (Maven Central, {@code jar-with-dependencies}, copied
 * to {@code target/s3proxy/s3proxy.jar} by the build before the integration tests) with its filesystem backend in a temp
 * dir (a bucket is a folder), on a free port, shared by every test in the JVM. It runs as a child JVM, never in this
 * one: it is 216 jars with Jackson 3 and a Jetty of its own. Tests may {@link #stop()} it (an outage: killed) and
 * {@link #start()} it again on the same port and data. Stopped at JVM exit once the Spring applications still open
 * then are closed ({@link ExitHooks}).
 */
public final class S3Server {

    public static final String ACCESS_KEY = "cdc-hub-test";
    public static final String SECRET_KEY = "cdc-hub-test-secret";
    public static final String REGION = "us-east-1";

    private static S3Server shared;

    private final Path jar;
    private final Path dir;
    private final Path data;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;

    private S3Server() throws IOException {
        jar = jar();
        dir = Files.createTempDirectory("cdc-hub-s3-");
        data = Files.createDirectories(dir.resolve("data"));
        port = PostgresServer.freePort();
        Files.writeString(dir.resolve("s3proxy.properties"), String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + data,
                ""));
    }

    public static synchronized S3Server shared() {
        if (shared == null) {
            try {
                shared = new S3Server();
                shared.start();
            } catch (IOException e) {
                throw new IllegalStateException("Cannot start the test S3 server: " + e.getMessage(), e);
            }
            // after the applications still open at exit are closed: stopped under them, their S3 clients retry their close
            ExitHooks.stopAfterApplications("stop-test-s3", () -> {
                shared.stop();
                TempDirs.delete(shared.dir);
            });
        }
        return shared;
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** The settings a lakehouse sink needs for this server. */
    public S3Settings settings() {
        return new S3Settings(endpoint(), REGION, ACCESS_KEY, SECRET_KEY, true);
    }

    /** {@code cdc.sink.<sink>.s3.*} for this server, as key=value strings. */
    public String[] properties(String sinkPrefix) {
        return new String[] {sinkPrefix + ".s3.endpoint=" + endpoint(), sinkPrefix + ".s3.region=" + REGION,
            sinkPrefix + ".s3.access-key=" + ACCESS_KEY, sinkPrefix + ".s3.secret-key=" + SECRET_KEY, sinkPrefix + ".s3.path-style-access=true"};
    }

    /** Creates a bucket (through the S3 API) unless it exists. */
    public void createBucket(String bucket) {
        try (S3Client s3 = client()) {
            s3.createBucket(b -> b.bucket(bucket));
        } catch (BucketAlreadyOwnedByYouException e) {
            // made by an earlier test of this JVM
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() != 409) {
                throw e;
            }
        }
    }

    /**
     * A fresh location for one test of a lakehouse sink, by the storage a parameterized test names: {@code s3} (a prefix
     * in {@code bucket} on the shared server) or {@code local} (a new temporary folder).
     */
    public static String location(String storage, String bucket, String name) throws java.io.IOException {
        if ("s3".equals(storage)) {
            shared().createBucket(bucket);
            return "s3://" + bucket + "/" + name + "-" + System.nanoTime();
        }
        return TempDirs.create("cdc-hub-" + bucket + "-").resolve(name).toString();
    }

    /** An S3 client on this server, for checks; close it. */
    public S3Client client() {
        return S3Client.builder().endpointOverride(URI.create(endpoint())).region(Region.of(REGION)).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .httpClientBuilder(Apache5HttpClient.builder()).build();
    }

    /** The folder of a bucket's objects on disk (the filesystem backend's), for checks. */
    public Path bucketDir(String bucket) {
        return data.resolve(bucket);
    }

    /** Starts the server (again) on its port and data; returns once it answers HTTP. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        try {
            process = new ProcessBuilder(List.of(java.toString(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-jar", jar.toString(), "--properties", dir.resolve("s3proxy.properties").toString()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("s3proxy.log").toFile())).start();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!answers()) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    throw new IllegalStateException("s3proxy did not start: " + Files.readString(dir.resolve("s3proxy.log")));
                }
                // the wait of a process start-up: bounded, with the process as the condition
                process.waitFor(50, TimeUnit.MILLISECONDS);
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run s3proxy: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Takes the server away (killed: an outage, not a shutdown); its data stays for {@link #start()}. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    private boolean answers() {
        try {
            http.send(HttpRequest.newBuilder(URI.create(endpoint() + "/")).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            return true; // any answer (403 without a signature) means it serves
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The s3proxy jar: {@code CDC_HUB_TEST_S3PROXY_JAR}, or where the build copies it ({@code cdchub.s3proxy.jar}, set by
     * failsafe; {@code target/s3proxy/s3proxy.jar} otherwise).
     */
    private static Path jar() throws IOException {
        String configured = System.getenv("CDC_HUB_TEST_S3PROXY_JAR");
        if (configured == null || configured.isBlank()) {
            configured = System.getProperty("cdchub.s3proxy.jar");
        }
        Path jar = configured != null && !configured.isBlank() ? Path.of(configured) : Path.of("target", "s3proxy", "s3proxy.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IOException("No s3proxy at " + jar + ": the build copies it before the integration tests (./mvnw verify),"
                    + " or set CDC_HUB_TEST_S3PROXY_JAR");
        }
        return jar;
    }
}
