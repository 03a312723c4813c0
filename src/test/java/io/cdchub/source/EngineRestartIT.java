package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The source's Debezium engine dying in the background (here: PostgreSQL ends its replication connection) is not the
 * end of capture: the engine starts again from its committed offsets after cdc.source.restart-backoff, and every
 * change, before and after, reaches Kafka.
 */
class EngineRestartIT {

    @Test
    void theEngineStartsAgainAfterItsReplicationConnectionIsKilled() {
        PostgresServer pg = PostgresServer.shared();
        Map<String, String> settings = RealServers.sourceSettings("revive", "CREATE TABLE revive.items (id int PRIMARY KEY)");
        settings.put("cdc.source.restart-backoff", "1s");
        String topic = "revive.revive.items";

        try (ConfigurableApplicationContext app = InProcessApp.start(settings)) {
            pg.execute(RealServers.DATABASE, "INSERT INTO revive.items SELECT g FROM generate_series(1, 50) g");
            TopicReader.await(topic, events -> TopicReader.rowIds(events).size() == 50);

            pg.execute(RealServers.DATABASE, "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'it_revive' AND active");
            pg.execute(RealServers.DATABASE, "INSERT INTO revive.items SELECT g FROM generate_series(51, 100) g");

            List<Event> events = TopicReader.await(topic, all -> TopicReader.rowIds(all).size() == 100);
            assertThat(TopicReader.rowIds(events)).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, 100).boxed().toList());
            Awaitility.await("the slot is read again").atMost(Duration.ofSeconds(60))
                    .until(() -> !SourceStatus.forEngine("it-revive").failed());
            assertThat(TopicReader.readAll("revive.dlq")).isEmpty();
        }
    }
}
