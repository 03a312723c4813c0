package io.cdchub.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;

import io.cdchub.testinfra.AppProcess;
import io.cdchub.testinfra.TempDirs;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import org.junit.jupiter.api.Test;

/**
 * The quick start with {@code cdc.embedded.polling=true}: the polling source loads the demo table legacy.stock_levels (which
 * the logical source does not capture) and then publishes the demo's stock changes, next to the logical source's tables.
 */
class EmbeddedPollingIT {

    @Test
    void theQuickStartPollsItsStockTable() throws Exception {
        int kafkaPort = freePort();
        Map<String, String> settings = Map.of(
                "cdc.data-dir", TempDirs.create("cdc-hub-embedded-polling-").toString(),
                "cdc.embedded.postgres.port", String.valueOf(freePort()),
                "cdc.embedded.kafka.port", String.valueOf(kafkaPort),
                "cdc.embedded.kafka.controller-port", String.valueOf(freePort()),
                "cdc.embedded.demo-interval", "50ms",
                "cdc.embedded.polling", "true",
                "server.port", String.valueOf(freePort()));
        String kafka = "127.0.0.1:" + kafkaPort;

        try (AppProcess app = AppProcess.start("embedded-polling", settings, "embedded")) {
            List<Event> stock = TopicReader.await(kafka, "cdc.legacy.stock_levels",
                    events -> events.stream().filter(e -> "r".equals(e.op())).count() >= 5 && events.stream().anyMatch(e -> "c".equals(e.op())));
            assertThat(stock.get(0).value().path("source").path("connector").asText()).isEqualTo("cdc-hub-polling");
            assertThat(stock.get(0).key().has("sku")).isTrue();
            TopicReader.await(kafka, "cdc.public.customers", events -> events.size() >= 10);
            assertThat(app.terminate(90)).as("exit after SIGTERM").isNotEqualTo(-1);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
