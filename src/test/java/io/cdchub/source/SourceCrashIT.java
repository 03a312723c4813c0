package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
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
        Thread writer = new Thread(() -> writeRows(pg, written), "crash-writer");
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
            List<Event> events = TopicReader.await(topic, all -> ids(all).size() == ROWS + 1);
            assertThat(ids(events)).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(0, ROWS).boxed().toList());
            second.terminate(60);
        }
    }

    private static Set<Integer> ids(List<Event> events) {
        return events.stream().filter(e -> !e.isTombstone()).map(e -> e.after().get("id").asInt()).collect(Collectors.toSet());
    }

    /** Commits rows one small transaction at a time, so the kill lands between commits. */
    private static void writeRows(PostgresServer pg, AtomicInteger written) {
        try (Connection c = pg.dataSource(RealServers.DATABASE).getConnection();
             PreparedStatement insert = c.prepareStatement("INSERT INTO crash.events VALUES (?, ?)")) {
            for (int id = 1; id <= ROWS; id++) {
                insert.setInt(1, id);
                insert.setString(2, "row " + id);
                insert.executeUpdate();
                written.incrementAndGet();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
