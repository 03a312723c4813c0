package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import io.cdchub.testinfra.AppProcess;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of cdc-hub while changes stream in: after a restart every committed change is in Kafka
 * (duplicates are allowed, gaps are not).
 */
class SourceCrashIT {

    private static final int ROWS = 3000;

    @Test
    void killedMidStreamLosesNothing() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        Map<String, String> settings = RealServers.sourceSettings("crash", "CREATE TABLE crash.events (id int PRIMARY KEY, payload text)");
        String topic = "crash.crash.events";

        AtomicInteger written = new AtomicInteger();
        Thread writer = new Thread(() -> pg.insertRowsOneByOne(RealServers.DATABASE, "crash.events", ROWS, written), "crash-writer");
        try (AppProcess first = AppProcess.start("source-crash-1", settings)) {
            pg.execute(RealServers.DATABASE, "INSERT INTO crash.events VALUES (0, 'first')");
            TopicReader.awaitCount(topic, 1);
            writer.start();
            // kill once a good part of the stream is through, with more still being written
            TopicReader.await(topic, events -> events.size() >= ROWS / 3);
            first.kill();
        }
        writer.join();
        assertThat(written.get()).isEqualTo(ROWS);

        try (AppProcess second = AppProcess.start("source-crash-2", settings)) {
            List<Event> events = TopicReader.await(topic, all -> TopicReader.rowIds(all).size() == ROWS + 1);
            assertThat(TopicReader.rowIds(events)).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(0, ROWS).boxed().toList());
            second.terminate(60);
        }
    }
}
