package io.cdchub.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import io.cdchub.testinfra.AppProcess;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM of cdc-hub under a steady write load (as Kubernetes stops a pod): the app finishes its in-flight
 * exchanges, flushes the source's offsets and exits; after a restart every committed row is in Kafka with no
 * gap, and the restart resumes from the flushed offsets instead of reading everything again (the test counts
 * and prints the replayed duplicates).
 */
class GracefulShutdownIT {

    private static final int ROWS = 15000;
    /** SIGTERM once this many rows are committed: the writer is then still writing. */
    private static final int STOP_AFTER = 3000;

    @Test
    void sigtermFinishesInFlightChangesAndFlushesOffsets() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        Map<String, String> settings = RealServers.sourceSettings("graceful", "CREATE TABLE graceful.events (id int PRIMARY KEY, payload text)");
        String topic = "graceful.graceful.events";
        // what the shutdown does, in the log (target/it-logs/graceful-shutdown-1.log)
        settings.put("logging.level.org.apache.camel.impl.engine.DefaultShutdownStrategy", "DEBUG");

        AtomicInteger written = new AtomicInteger();
        Thread writer = new Thread(() -> pg.insertRowsOneByOne(RealServers.DATABASE, "graceful.events", ROWS, written), "graceful-writer");
        int publishedBeforeStop;
        int writtenAtStop;
        long stopMillis;
        String firstLog;
        try (AppProcess first = AppProcess.start("graceful-shutdown-1", settings)) {
            pg.execute(RealServers.DATABASE, "INSERT INTO graceful.events VALUES (0, 'first')");
            TopicReader.awaitCount(topic, 1);
            writer.start();
            Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20)).until(() -> written.get() >= STOP_AFTER);

            writtenAtStop = written.get();
            long start = System.nanoTime();
            int exit = first.terminate(90);
            stopMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertThat(exit).as("exit code after SIGTERM (-1: did not stop within 90 s)").isIn(0, 143);
            String log = first.log();
            firstLog = log;
            assertThat(log).contains("Graceful shutdown complete");
            // nothing was cut off: no exchange was left in flight, no send failed while stopping
            assertThat(log).doesNotContain("inflight and pending exchanges");
            assertThat(log).doesNotContain("Publishing a change to Kafka failed");
            // the batch being published when the stop came was finished, not interrupted (Debezium's close cancels
            // the polling thread, which is the publishing thread)
            assertThat(log).doesNotContain("Flush interrupted").doesNotContain("Exhausted after delivery attempt");
            publishedBeforeStop = TopicReader.readAll(topic).size();
        }
        writer.join();
        assertThat(written.get()).isEqualTo(ROWS);

        try (AppProcess second = AppProcess.start("graceful-shutdown-2", settings)) {
            List<Event> events = TopicReader.await(topic, all -> TopicReader.rowIds(all).size() == ROWS + 1);
            assertThat(TopicReader.rowIds(events)).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(0, ROWS).boxed().toList());
            long changes = events.stream().filter(e -> !e.isTombstone()).count();
            long duplicates = changes - (ROWS + 1);
            System.out.printf("GRACEFUL-SHUTDOWN stopMs=%d writtenAtStop=%d publishedBeforeStop=%d rows=%d events=%d duplicates=%d%n",
                    stopMillis, writtenAtStop, publishedBeforeStop, ROWS + 1, changes, duplicates);
            assertThat(writtenAtStop).as("the stop came under load").isLessThan(ROWS);
            // the restart resumed from the flushed offsets: it did not publish what the first run had published again
            String commitWarnings = firstLog.lines().filter(line -> line.contains("offsets not committed") || line.contains("Flush of the offsets"))
                    .collect(java.util.stream.Collectors.joining("\n"));
            assertThat(duplicates).as("changes published again after the restart; the first run's offset commit warnings:%n%s", commitWarnings)
                    .isLessThan(publishedBeforeStop / 10);
            assertThat(second.terminate(90)).isIn(0, 143);
        }
    }
}
