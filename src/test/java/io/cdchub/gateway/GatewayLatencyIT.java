package io.cdchub.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.KafkaServer;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A quick measurement, not a test (off unless {@code -Dcdc.bench.latency=true}; bench/ has the real benchmark): the
 * unloaded commit-to-client latency, as issue 13 measured it with the embedded quick start. One app captures a table
 * and serves it on the gateway; one WebSocket client subscribes; rows are inserted one per transaction at a trickle
 * ({@code cdc.bench.latency.rate}, 10/s, {@code cdc.bench.latency.rows}, 200). For each change, receive time minus
 * {@code source.ts_ms} (the commit) is recorded twice: at the gateway client and at a plain Kafka consumer of the same
 * topic in this JVM (commit to Kafka consumer), so the gateway's own share is the difference. Prints percentiles;
 * checks only that every change arrived.
 */
@EnabledIfSystemProperty(named = "cdc.bench.latency", matches = "true")
class GatewayLatencyIT {

    private static final String TOPIC = "gwlat.gwlat.ticks";

    @Test
    void commitToClientLatencyAtATrickle() throws Exception {
        int rows = Integer.getInteger("cdc.bench.latency.rows", 200);
        int rate = Integer.getInteger("cdc.bench.latency.rate", 10);
        Map<String, String> settings = RealServers.sourceSettings("gwlat", "CREATE TABLE gwlat.ticks (id int PRIMARY KEY, note text)");
        settings.put("cdc.gateway.enabled", "true");
        settings.put("cdc.gateway.jwt.secret", Tokens.SECRET);
        settings.put("cdc.gateway.topic-refresh-ms", "1000");
        String extra = System.getProperty("cdc.bench.latency.settings", "");
        for (String setting : extra.split(",")) {
            if (setting.contains("=")) {
                settings.put(setting.substring(0, setting.indexOf('=')), setting.substring(setting.indexOf('=') + 1));
            }
        }
        try (ConfigurableApplicationContext app = InProcessApp.start(settings)) {
            PostgresServer.shared().execute(RealServers.DATABASE, "INSERT INTO gwlat.ticks VALUES (0, 'seed')");
            // the change topic exists from its first change on: subscribing before would be refused as unknown
            io.cdchub.testinfra.TopicReader.awaitCount(TOPIC, 1);
            Awaitility.await("the gateway's consumer is live").atMost(Duration.ofSeconds(60)).until(() -> GatewayTestApps.hub(app).isLive());

            Received client = new Received();
            WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + GatewayTestApps.port(app) + "/ws/stream?token="
                            + Tokens.hs256(Tokens.claims(List.of(TOPIC)).build())), client).get(20, TimeUnit.SECONDS);
            socket.sendText("{\"action\":\"subscribe\",\"topics\":[\"" + TOPIC + "\"]}", true).get(10, TimeUnit.SECONDS);
            // a probe row until the client has one: the subscription is live end to end
            AtomicInteger probe = new AtomicInteger(-1);
            Awaitility.await("a probe change reaches the client").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
                PostgresServer.shared().execute(RealServers.DATABASE, "INSERT INTO gwlat.ticks VALUES (" + probe.getAndDecrement() + ", 'probe')");
                return client.changes.stream().anyMatch(change -> change.id < 0);
            });

            // the topic exists now (the probes went through it)
            Map<Integer, Long> atKafka = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            java.util.concurrent.CountDownLatch positioned = new java.util.concurrent.CountDownLatch(1);
            Thread kafka = new Thread(() -> consume(atKafka, stop, positioned), "latency-kafka-consumer");
            kafka.start();
            assertThat(positioned.await(60, TimeUnit.SECONDS)).isTrue();

            ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor();
            AtomicInteger next = new AtomicInteger(1);
            writer.scheduleAtFixedRate(() -> {
                int id = next.getAndIncrement();
                if (id <= rows) {
                    PostgresServer.shared().execute(RealServers.DATABASE, "INSERT INTO gwlat.ticks VALUES (" + id + ", 'tick')");
                }
            }, 0, 1000 / rate, TimeUnit.MILLISECONDS);
            try {
                Awaitility.await("every change reaches the client").atMost(Duration.ofSeconds(rows / rate + 60))
                        .until(() -> client.changes.stream().filter(change -> change.id > 0).count() >= rows && atKafka.size() >= rows);
            } finally {
                writer.shutdownNow();
                stop.set(true);
                socket.abort();
                kafka.join(10_000);
            }
            List<Long> toClient = new ArrayList<>();
            for (Change change : client.changes) {
                if (change.id > 0) {
                    toClient.add(change.latencyMs);
                }
            }
            List<Long> toKafka = new ArrayList<>(atKafka.values());
            assertThat(toClient).hasSize(rows);
            System.out.printf("GATEWAY LATENCY (%s, %d rows at %d/s): commit -> gateway client %s; commit -> Kafka consumer %s%n",
                    extra.isEmpty() ? "defaults" : extra, rows, rate, percentiles(toClient), percentiles(toKafka));
        }
    }

    private static String percentiles(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return String.format("p50 %d ms, p90 %d ms, p99 %d ms, max %d ms", at(sorted, 0.50), at(sorted, 0.90), at(sorted, 0.99), sorted.get(sorted.size() - 1));
    }

    /** Nearest rank. */
    private static long at(List<Long> sorted, double quantile) {
        return sorted.get(Math.max(0, (int) Math.ceil(quantile * sorted.size()) - 1));
    }

    /** A plain consumer of the topic from its end: receive time minus source.ts_ms per row id. */
    private static void consume(Map<Integer, Long> latencies, AtomicBoolean stop, java.util.concurrent.CountDownLatch positioned) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaServer.shared().bootstrapServers());
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<org.apache.kafka.common.TopicPartition> partitions = consumer.partitionsFor(TOPIC).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(TOPIC, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            positioned.countDown();
            while (!stop.get()) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    long now = System.currentTimeMillis();
                    if (record.value() == null) {
                        continue;
                    }
                    JsonNode value = json(new String(record.value(), StandardCharsets.UTF_8));
                    int id = value.path("after").path("id").asInt();
                    if (id > 0) {
                        latencies.put(id, now - value.path("source").path("ts_ms").asLong());
                    }
                }
            }
        }
    }

    private static JsonNode json(String text) {
        try {
            return WsClient.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Change(int id, long latencyMs) {
    }

    /** Stamps each change message with its receive time as it arrives (on the client's own thread). */
    private static final class Received implements WebSocket.Listener {
        final List<Change> changes = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                long now = System.currentTimeMillis();
                JsonNode frame = json(partial.toString());
                partial.setLength(0);
                if (frame.has("topic")) {
                    JsonNode value = frame.path("value");
                    changes.add(new Change(value.path("after").path("id").asInt(), now - value.path("source").path("ts_ms").asLong()));
                }
            }
            webSocket.request(1);
            return null;
        }
    }
}
