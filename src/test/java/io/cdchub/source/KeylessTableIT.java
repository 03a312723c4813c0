package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

@ExtendWith(OutputCaptureExtension.class)
class KeylessTableIT extends CaptureContextIT {

    @Autowired
    SourceProperties source;

    @Test
    void tableWithoutPrimaryKeyIsCapturedWithNullKeysAndAWarning(CapturedOutput output) {
        sql("INSERT INTO capture.keyless VALUES ('a', 1)",
                "UPDATE capture.keyless SET amount = 2 WHERE code = 'a'",
                "DELETE FROM capture.keyless WHERE code = 'a'");

        List<Event> events = TopicReader.awaitCount(topic("keyless"), 3);

        assertThat(events).extracting(Event::op).containsExactly("c", "u", "d");
        assertThat(events).allSatisfy(e -> assertThat(e.key()).isNull());
        assertThat(events.get(1).before().get("amount").asInt()).isEqualTo(1);

        SourceDatabaseInspector.Findings findings = new SourceDatabaseInspector(source).inspect();
        assertThat(findings.tablesWithoutPrimaryKey()).contains("capture.keyless");
        assertThat(output.getOut()).contains("Captured table capture.keyless has no primary key");
    }
}
