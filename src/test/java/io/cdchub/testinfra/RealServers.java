package io.cdchub.testinfra;

import java.nio.file.Files;
import java.nio.file.Path;

import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Points a test's application context at the shared real servers: use with
 * {@code @ContextConfiguration(initializers = RealServers.class)}. Test classes add their own tables,
 * slot and topic prefix through {@code @SpringBootTest(properties = ...)}.
 */
public class RealServers implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    /** The database every source test captures from; each test class uses its own schema and slot. */
    public static final String DATABASE = "cdchub_it";

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        TestPropertyValues.of(properties()).applyTo(context.getEnvironment());
    }

    /** Connection settings for an application started by a test. */
    public static String[] properties() {
        PostgresServer postgres = PostgresServer.shared();
        postgres.createDatabase(DATABASE);
        String kafka = KafkaServer.shared().bootstrapServers();
        try {
            Path dataDir = Files.createTempDirectory("cdc-hub-data-");
            return new String[] {
                "cdc.kafka.bootstrap-servers=" + kafka,
                "cdc.source.database.hostname=" + postgres.host(),
                "cdc.source.database.port=" + postgres.port(),
                "cdc.source.database.dbname=" + DATABASE,
                "cdc.source.database.user=" + PostgresServer.USER,
                "cdc.source.database.sslmode=disable",
                "cdc.data-dir=" + dataDir,
                "server.port=0",
            };
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
