package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Stop cdc-hub, change the database while it is down, start it again: every change arrives, the
 * snapshot is not taken again. With each offset store (file, kafka).
 */
@ExtendWith(OutputCaptureExtension.class)
class SourceRestartIT {

    private static final String PASSWORD = "pa55-never-in-logs";

    @ParameterizedTest
    @ValueSource(strings = {"file", "kafka"})
    void changesMadeWhileStoppedArriveAfterRestartWithoutANewSnapshot(String offsetStore, CapturedOutput output) {
        String schema = "restart_" + offsetStore;
        PostgresServer pg = PostgresServer.shared();
        pg.createDatabase(RealServers.DATABASE);
        pg.execute(RealServers.DATABASE,
                "CREATE SCHEMA " + schema,
                "CREATE TABLE " + schema + ".items (id int PRIMARY KEY, label text)",
                "INSERT INTO " + schema + ".items SELECT g, 'snap' || g FROM generate_series(1, 3) g");
        Map<String, String> settings = RealServers.settings();
        settings.put("cdc.topic-prefix", "rs");
        settings.put("cdc.source.name", "it-" + schema);
        settings.put("cdc.source.slot", "it_" + schema);
        settings.put("cdc.source.tables", schema + "\\..*");
        settings.put("cdc.source.offset-store", offsetStore);
        settings.put("cdc.source.offset-topic", "it-offsets-" + schema);
        settings.put("cdc.source.database.password", PASSWORD);
        String topic = "rs." + schema + ".items";

        try (ConfigurableApplicationContext first = start(settings)) {
            TopicReader.awaitCount(topic, 3);
            pg.execute(RealServers.DATABASE, "INSERT INTO " + schema + ".items SELECT g, 'live' || g FROM generate_series(4, 6) g");
            TopicReader.awaitCount(topic, 6);
        }

        pg.execute(RealServers.DATABASE,
                "INSERT INTO " + schema + ".items SELECT g, 'offline' || g FROM generate_series(7, 10) g",
                "UPDATE " + schema + ".items SET label = 'changed offline' WHERE id = 1",
                "DELETE FROM " + schema + ".items WHERE id = 2");

        try (ConfigurableApplicationContext second = start(settings)) {
            List<Event> events = TopicReader.await(topic, all -> all.stream().anyMatch(e -> "d".equals(e.op())));

            assertThat(events.stream().filter(e -> "r".equals(e.op()))).as("snapshot taken once").hasSize(3);
            assertThat(events.stream().filter(e -> "c".equals(e.op()) || "r".equals(e.op())).map(e -> e.after().get("id").asInt()).distinct())
                    .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, 10).boxed().toList());
            assertThat(events.stream().filter(e -> "u".equals(e.op())))
                    .singleElement().satisfies(e -> assertThat(e.after().get("label").asText()).isEqualTo("changed offline"));
            assertThat(events.stream().filter(e -> "d".equals(e.op())))
                    .singleElement().satisfies(e -> assertThat(e.key().get("id").asInt()).isEqualTo(2));
        }
        assertThat(output.getAll()).doesNotContain(PASSWORD);
    }

    private static ConfigurableApplicationContext start(Map<String, String> settings) {
        return InProcessApp.start(settings);
    }
}
