package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import org.junit.jupiter.api.Test;

class SchemaChangeIT extends CaptureContextIT {

    @Test
    void addedColumnFlowsThroughWithoutARestart() {
        sql("INSERT INTO capture.evolving VALUES (1, 'before the change')");
        TopicReader.awaitCount(topic("evolving"), 1);

        sql("ALTER TABLE capture.evolving ADD COLUMN note text DEFAULT 'n/a'",
                "INSERT INTO capture.evolving VALUES (2, 'after', 'hello')",
                "UPDATE capture.evolving SET name = 'touched' WHERE id = 1");

        List<Event> events = TopicReader.awaitCount(topic("evolving"), 3);

        assertThat(events.get(0).after().has("note")).isFalse();
        assertThat(events.get(1).after().get("note").asText()).isEqualTo("hello");
        assertThat(events.get(2).after().get("note").asText()).isEqualTo("n/a");
        assertThat(events.get(2).after().get("name").asText()).isEqualTo("touched");
    }
}
