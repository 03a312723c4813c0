package io.cdchub.embedded;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A single-node Kafka (KRaft, broker and controller in one) running in this JVM, with its log on
 * disk so that a restart keeps every topic. Used by the embedded quick start and by the tests, which
 * also stop and restart it to simulate an outage.
 */
public final class EmbeddedKafkaServer implements AutoCloseable {

    private final Path logDir;
    private final int port;
    private final int controllerPort;
    private KafkaRaftServer server;

    public EmbeddedKafkaServer(Path logDir, int port, int controllerPort) {
        this.logDir = logDir.toAbsolutePath();
        this.port = port;
        this.controllerPort = controllerPort;
    }

    public synchronized EmbeddedKafkaServer start() {
        if (server != null) {
            return this;
        }
        try {
            Files.createDirectories(logDir);
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                format();
            }
        } catch (Exception e) {
            throw new IllegalStateException("Cannot prepare Kafka's log directory " + logDir + ": " + e.getMessage(), e);
        }
        KafkaRaftServer starting = new KafkaRaftServer(KafkaConfig.fromProps(config(), false), Time.SYSTEM);
        try {
            starting.startup();
        } catch (RuntimeException e) {
            // a half-started broker keeps non-daemon threads alive; take it down before reporting
            starting.shutdown();
            starting.awaitShutdown();
            throw new IllegalStateException("Embedded Kafka failed to start on 127.0.0.1:" + port + " (controller " + controllerPort
                    + "): " + e.getMessage(), e);
        }
        server = starting;
        return this;
    }

    public synchronized void stop() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    @Override
    public void close() {
        stop();
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    private void format() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Formatter()
                .setPrintStream(new PrintStream(out, true))
                .setNodeId(1)
                .setClusterId(Uuid.randomUuid().toString())
                .setDirectories(java.util.List.of(logDir.toString()))
                .setMetadataLogDirectory(logDir.toString())
                .setControllerListenerName("CONTROLLER")
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .run();
    }

    private Properties config() {
        Properties p = singleNodeSettings(port, controllerPort, logDir);
        p.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
        p.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(2 * 1024 * 1024));
        return p;
    }

    /**
     * A single KRaft node (broker and controller) on 127.0.0.1: the quick start's broker, and the benchmarks' broker
     * run as its own JVM ({@code kafka.Kafka}), so both run the same configuration. Format {@code logDir} first.
     */
    public static Properties singleNodeSettings(int port, int controllerPort, Path logDir) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "true");
        return p;
    }

}
