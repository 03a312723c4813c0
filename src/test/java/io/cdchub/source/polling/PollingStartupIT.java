package io.cdchub.source.polling;

import java.util.ArrayList;
import java.util.List;

import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.StartupFailures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.WebApplicationType;

/** A table or column named in cdc.polling.* that cannot be polled stops start-up with a message naming the property. */
class PollingStartupIT {

    private static List<String> validPolling() {
        PostgresServer pg = PostgresServer.shared();
        pg.createDatabase(RealServers.DATABASE);
        pg.execute(RealServers.DATABASE,
                "CREATE SCHEMA IF NOT EXISTS polling_checks",
                "CREATE TABLE IF NOT EXISTS polling_checks.ok (id int PRIMARY KEY, label text, updated_at timestamptz)",
                "CREATE TABLE IF NOT EXISTS polling_checks.keyless (id int, updated_at timestamptz)");
        List<String> args = new ArrayList<>(List.of(
                "--cdc.kafka.bootstrap-servers=127.0.0.1:1",
                "--cdc.source.enabled=false",
                "--cdc.polling.enabled=true",
                "--cdc.polling.database.hostname=" + pg.host(),
                "--cdc.polling.database.port=" + pg.port(),
                "--cdc.polling.database.dbname=" + RealServers.DATABASE,
                "--cdc.polling.database.user=" + PostgresServer.USER,
                "--cdc.polling.database.sslmode=disable",
                "--cdc.polling.tables[0].table=polling_checks.ok",
                "--cdc.polling.tables[0].watermark-column=updated_at"));
        return args;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "cdc.polling.tables[0].table            | polling_checks.missing | which database cdchub_it does not have",
        "cdc.polling.tables[0].table            | polling_checks.keyless | has no primary key",
        "cdc.polling.tables[0].table            | x;drop table t         | is not an accepted SQL name",
        "cdc.polling.tables[0].watermark-column | nope                   | which polling_checks.ok does not have",
        "cdc.polling.tables[0].watermark-column | label                  | a watermark must be timestamptz",
        "cdc.polling.tables[0].soft-delete-column | gone                 | which polling_checks.ok does not have",
    })
    void aTableOrColumnThatCannotBePolledStopsStartUpNamingTheProperty(String property, String value, String problem) {
        StartupFailures.assertStartFailsNaming(validPolling(), WebApplicationType.NONE, property, value, problem);
    }
}
