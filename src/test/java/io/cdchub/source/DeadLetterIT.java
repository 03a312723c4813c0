package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.cdchub.deadletter.DeadLetterEnricher;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import org.junit.jupiter.api.Test;

class DeadLetterIT extends CaptureContextIT {

    @Test
    void changeThatCannotBecomeAnEventIsDeadLetteredAndTheStreamGoesOn() {
        // the capture context accepts events up to 64 KiB
        sql("INSERT INTO capture.blobs VALUES (1, repeat('x', 100000))",
                "INSERT INTO capture.blobs VALUES (2, 'fits')");

        List<Event> delivered = TopicReader.awaitCount(topic("blobs"), 1);
        List<Event> dead = TopicReader.await("it.capture.dlq",
                events -> events.stream().anyMatch(e -> "it.capture.blobs".equals(e.headers().get(DeadLetterEnricher.ORIGINAL_TOPIC))));

        assertThat(delivered).singleElement().satisfies(e -> assertThat(e.after().get("id").asInt()).isEqualTo(2));
        Event letter = dead.stream().filter(e -> "it.capture.blobs".equals(e.headers().get(DeadLetterEnricher.ORIGINAL_TOPIC))).findFirst().orElseThrow();
        assertThat(letter.headers())
                .containsEntry(DeadLetterEnricher.EXCEPTION_CLASS, UnconvertibleChangeException.class.getName())
                .containsEntry(DeadLetterEnricher.ROUTE_ID, "postgres-to-kafka")
                .containsKey(DeadLetterEnricher.FAILED_AT);
        assertThat(letter.headers().get(DeadLetterEnricher.EXCEPTION_MESSAGE)).contains("cdc.source.max-event-bytes");
        assertThat(letter.value().path("op").asText()).isEqualTo("c");
        assertThat(letter.value().path("source").path("table").asText()).isEqualTo("blobs");
        assertThat(letter.value().path("after").asText()).contains("id=1");
    }
}
