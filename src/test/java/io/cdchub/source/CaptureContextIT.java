package io.cdchub.source;

import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.ContextConfiguration;

/**
 * The application context most source tests share: it captures every table of schema {@code capture}
 * in the test database into topics {@code it.capture.<table>}. Tables a test needs before capture
 * starts (the snapshot's) are created here, before the context loads.
 */
@CamelSpringBootTest
@SpringBootTest(properties = {
    "cdc.topic-prefix=it",
    "cdc.source.name=it-capture",
    "cdc.source.slot=it_capture",
    "cdc.source.tables=capture\\..*",
    "cdc.source.max-event-bytes=65536",
    "cdc.source.heartbeat.interval=2s",
    "cdc.dlq.topic=it.capture.dlq",
    "cdc.topic-rename.renamed_prices=it.prices",
})
@ContextConfiguration(initializers = RealServers.class)
abstract class CaptureContextIT {

    static final String DB = RealServers.DATABASE;

    static {
        PostgresServer pg = PostgresServer.shared();
        pg.createDatabase(DB);
        pg.execute(DB,
                "CREATE SCHEMA IF NOT EXISTS capture",
                "CREATE TABLE IF NOT EXISTS capture.snapshot_rows (id int PRIMARY KEY, label text)",
                "INSERT INTO capture.snapshot_rows VALUES (1, 'one'), (2, 'two'), (3, 'three') ON CONFLICT DO NOTHING",
                // Debezium fills the filtered publication with the matching tables that exist when it
                // starts, so every table the tests write to is created before the context loads.
                "CREATE TABLE IF NOT EXISTS capture.accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2))",
                "ALTER TABLE capture.accounts REPLICA IDENTITY FULL",
                "CREATE TABLE IF NOT EXISTS capture.counters (name text PRIMARY KEY, n int NOT NULL)",
                "CREATE TABLE IF NOT EXISTS capture.renamed_prices (id int PRIMARY KEY, price numeric(12,4))",
                "CREATE TABLE IF NOT EXISTS capture.evolving (id int PRIMARY KEY, name text)",
                "CREATE TABLE IF NOT EXISTS capture.blobs (id int PRIMARY KEY, body text)",
                "CREATE TABLE IF NOT EXISTS capture.keyless (code text, amount int)",
                "ALTER TABLE capture.keyless REPLICA IDENTITY FULL",
                "CREATE TABLE IF NOT EXISTS capture.toasted (id int PRIMARY KEY, big text, small int)",
                "CREATE TABLE IF NOT EXISTS public.not_captured (id serial PRIMARY KEY, pad text)",
                "CREATE TABLE IF NOT EXISTS capture.special_numbers (id int PRIMARY KEY, n numeric, d numeric(10,2))",
                "INSERT INTO capture.special_numbers VALUES (1, 'Infinity', 'NaN') ON CONFLICT DO NOTHING",
                "CREATE TABLE IF NOT EXISTS capture.ledger (id int PRIMARY KEY, amount numeric(12,2) NOT NULL, note text NOT NULL)");
        TypeMappingIT.createTable(pg);
    }

    static void sql(String... statements) {
        PostgresServer.shared().execute(DB, statements);
    }

    static String topic(String table) {
        return "it.capture." + table;
    }
}
