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

    /** cdc.admin.token of every app a test starts: send it as {@code Authorization: Bearer ADMIN_TOKEN}. */
    public static final String ADMIN_TOKEN = "it-admin-token-0123456789";

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        TestPropertyValues.of(properties()).applyTo(context.getEnvironment());
        ExitHooks.applicationStarted(); // the context is registered with Spring Boot's shutdown hook right after its initializers
    }

    /** Connection settings for an application started by a test, as key=value strings. */
    public static String[] properties() {
        return settings().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
    }

    /**
     * Settings for a source test of its own: schema {@code name} (created, with the given tables)
     * captured into topics {@code <name>.<name>.<table>}, slot {@code it_<name>}, engine {@code it-<name>},
     * dead letters in {@code <name>.dlq}.
     */
    public static java.util.Map<String, String> sourceSettings(String name, String... createTables) {
        PostgresServer pg = PostgresServer.shared();
        java.util.Map<String, String> settings = settings();
        String[] ddl = new String[createTables.length + 1];
        ddl[0] = "CREATE SCHEMA " + name;
        System.arraycopy(createTables, 0, ddl, 1, createTables.length);
        pg.execute(DATABASE, ddl);
        settings.put("cdc.topic-prefix", name);
        settings.put("cdc.source.name", "it-" + name);
        settings.put("cdc.source.slot", "it_" + name);
        settings.put("cdc.source.tables", name + "\\..*");
        settings.put("cdc.dlq.topic", name + ".dlq");
        return settings;
    }

    /** Connection settings for an application started by a test; a fresh data dir each call. Mutable, in order. */
    public static java.util.Map<String, String> settings() {
        PostgresServer postgres = PostgresServer.shared();
        postgres.createDatabase(DATABASE);
        String kafka = KafkaServer.shared().bootstrapServers();
        try {
            Path dataDir = TempDirs.create("cdc-hub-data-");
            java.util.Map<String, String> settings = new java.util.LinkedHashMap<>();
            settings.put("cdc.kafka.bootstrap-servers", kafka);
            settings.put("cdc.source.database.hostname", postgres.host());
            settings.put("cdc.source.database.port", String.valueOf(postgres.port()));
            settings.put("cdc.source.database.dbname", DATABASE);
            settings.put("cdc.source.database.user", PostgresServer.USER);
            settings.put("cdc.source.database.sslmode", "disable");
            settings.put("cdc.data-dir", dataDir.toString());
            settings.put("server.port", "0");
            settings.put("cdc.admin.token", ADMIN_TOKEN);
            settings.put("cdc.admin.connect-port", "0");
            return settings;
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
