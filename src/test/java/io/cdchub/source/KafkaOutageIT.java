package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import io.cdchub.embedded.EmbeddedKafkaServer;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.KafkaServer;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Kafka goes away while changes keep coming, then comes back: everything arrives, in order, and
 * nothing is dead-lettered, because an unreachable Kafka makes the source wait, never skip.
 */
class KafkaOutageIT {

    @Test
    void changesDuringAKafkaOutageArriveWhenItReturns() {
        PostgresServer pg = PostgresServer.shared();
        Map<String, String> settings = RealServers.sourceSettings("outage", "CREATE TABLE outage.ticks (id int PRIMARY KEY, n int)");
        String topic = "outage.outage.ticks";
        EmbeddedKafkaServer kafka = KafkaServer.shared();
        SourceStatus status = SourceStatus.forEngine("it-outage");

        try (ConfigurableApplicationContext app = InProcessApp.start(settings)) {
            pg.execute(RealServers.DATABASE, "INSERT INTO outage.ticks SELECT g, 0 FROM generate_series(1, 100) g");
            TopicReader.awaitCount(topic, 100);

            kafka.stop();
            try {
                pg.execute(RealServers.DATABASE,
                        "INSERT INTO outage.ticks SELECT g, 0 FROM generate_series(101, 300) g",
                        "UPDATE outage.ticks SET n = 1 WHERE id <= 50");
                // the source has taken a batch of them and holds it, unacknowledged, while Kafka is down
                Awaitility.await("changes held during the outage").atMost(Duration.ofSeconds(60))
                        .until(() -> status.inFlight() > 0);
            } finally {
                kafka.start();
            }

            List<Event> events = TopicReader.await(topic, all -> all.size() >= 350);
            // rows inserted right after start-up may be read by the initial snapshot ('r') rather than streamed ('c')
            assertThat(events.stream().filter(e -> "c".equals(e.op()) || "r".equals(e.op())).map(e -> e.after().get("id").asInt()).distinct())
                    .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, 300).boxed().toList());
            assertThat(events.stream().filter(e -> "u".equals(e.op()))).hasSize(50)
                    .allSatisfy(e -> assertThat(e.after().get("n").asInt()).isEqualTo(1));
            // per key, the update comes after its insert
            for (int id = 1; id <= 50; id++) {
                int key = id;
                List<String> ops = events.stream().filter(e -> e.key().get("id").asInt() == key).map(Event::op).distinct().toList();
                assertThat(ops).as("ops of id " + key).hasSize(2).last().isEqualTo("u");
            }
            Awaitility.await("acknowledged").atMost(Duration.ofSeconds(30)).until(() -> status.inFlight() == 0);
            assertThat(TopicReader.readAll("outage.dlq")).isEmpty();
        } finally {
            kafka.start();
        }
    }
}
