package io.cdchub.aggregation;

import static io.cdchub.aggregation.AggregationTestSupport.call;
import static io.cdchub.aggregation.AggregationTestSupport.consumerBody;
import static io.cdchub.aggregation.AggregationTestSupport.createTopic;
import static io.cdchub.aggregation.AggregationTestSupport.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.net.httpserver.HttpServer;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.RedisServer;
import io.cdchub.testinfra.TopicWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A measurement, not a test of speed (nothing here is timed against a limit): the CPU seconds and the time one consumer
 * route takes to aggregate N change records (already on the topic) into windows of max_event events and to hand every
 * window to a webhook. CPU is this JVM's (the app and the in-process Kafka broker; the records are written before the
 * clock starts) and the test Redis server's ({@code INFO cpu}). Runs only with {@code -Dcdchub.bench.aggregation=true}:
 * <pre>
 * nice -n 19 ./mvnw -q -o verify -DskipUTs -Dit.test=AggregationThroughputIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dcdchub.bench.aggregation=true [-Dcdchub.bench.events=100000] [-Dcdchub.bench.max-event=50]
 * </pre>
 */
@EnabledIfSystemProperty(named = "cdchub.bench.aggregation", matches = "true")
class AggregationThroughputIT {

    @Test
    void aggregatesNChangesIntoWindowsAndPrintsCpuAndTime() throws Exception {
        int events = Integer.getInteger("cdchub.bench.events", 100_000);
        int maxEvent = Integer.getInteger("cdchub.bench.max-event", 50);
        int keys = Integer.getInteger("cdchub.bench.keys", 5_000);
        int windows = events / maxEvent;
        AtomicLong received = new AtomicLong();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            exchange.getRequestBody().readAllBytes();
            received.incrementAndGet();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        Map<String, String> settings = AggregationTestSupport.appSettings("agg-bench.dlq");
        settings.put("cdc.connections.hook.url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook");
        ConfigurableApplicationContext app = InProcessApp.start(settings);
        try {
            String topic = "agg-bench." + System.currentTimeMillis();
            createTopic(topic, 3);
            List<TopicWriter.Out> records = new ArrayList<>(events);
            for (int i = 0; i < events; i++) {
                records.add(event("src", "bench_rows", i < keys ? "c" : "u", i % keys, "name-" + i, 1_000L + i));
            }
            TopicWriter.write(topic, records);
            records = null;

            double loadBefore = loadAverage();
            double redisBefore = redisCpuSeconds();
            long cpuBefore = processCpuNanos();
            long start = System.nanoTime();
            assertThat(call(app, "POST", "/consumer/start", consumerBody("bench", topic, "hook", maxEvent, 3600, "webhook")).status())
                    .isEqualTo(201);
            await().atMost(Duration.ofMinutes(15)).pollInterval(Duration.ofMillis(50)).until(() -> received.get() >= windows);
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpu = (processCpuNanos() - cpuBefore) / 1e9;
            double redisCpu = redisCpuSeconds() - redisBefore;
            System.out.printf(Locale.ROOT, "[bench] aggregation: %d events, max_event %d, %d windows, %d keys: %.1f s, %.0f events/s; "
                            + "CPU %.1f s (JVM) + %.1f s (Redis); load average %.2f before, %.2f after%n",
                    events, maxEvent, windows, keys, seconds, events / seconds, cpu, redisCpu, loadBefore, loadAverage());
            assertThat(received.get()).isEqualTo(windows);
        } finally {
            app.close();
            receiver.stop(0);
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double loadAverage() throws java.io.IOException {
        return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    }

    /** used_cpu_sys + used_cpu_user of the test Redis. */
    private static double redisCpuSeconds() {
        double total = 0;
        for (String line : RedisServer.shared().command("INFO", "cpu").split("\r?\n")) {
            if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
                total += Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return total;
    }
}
