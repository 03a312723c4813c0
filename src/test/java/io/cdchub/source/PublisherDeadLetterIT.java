package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import io.cdchub.deadletter.DeadLetterEnricher;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/** A record Kafka refuses for its size is dead-lettered by the publisher, and publishing goes on. */
class PublisherDeadLetterIT {

    @Test
    void recordRefusedByKafkaIsDeadLetteredAndTheStreamGoesOn() {
        PostgresServer pg = PostgresServer.shared();
        Map<String, String> settings = RealServers.sourceSettings("refused", "CREATE TABLE refused.notes (id int PRIMARY KEY, body text)");
        settings.put("cdc.dlq.max-payload-bytes", "500");
        // the mapper accepts the event, the producer's limit refuses it
        settings.put("camel.component.kafka.max-request-size", "3000");

        try (ConfigurableApplicationContext app = InProcessApp.start(settings)) {
            pg.execute(RealServers.DATABASE, "INSERT INTO refused.notes VALUES (1, repeat('n', 5000))", "INSERT INTO refused.notes VALUES (2, 'short')");

            List<Event> delivered = TopicReader.awaitCount("refused.refused.notes", 1);
            List<Event> dead = TopicReader.awaitCount("refused.dlq", 1);

            assertThat(delivered).singleElement().satisfies(e -> assertThat(e.after().get("id").asInt()).isEqualTo(2));
            Event letter = dead.get(0);
            assertThat(letter.headers())
                    .containsEntry(DeadLetterEnricher.EXCEPTION_CLASS, RecordTooLargeException.class.getName())
                    .containsEntry(DeadLetterEnricher.ROUTE_ID, "postgres-to-kafka");
            assertThat(letter.value().path("truncated").asBoolean()).isTrue();
            assertThat(letter.key().get("id").asInt()).isEqualTo(1);
            assertThat(SourceStatus.forEngine("it-refused").failed()).isFalse();
        }
    }
}
