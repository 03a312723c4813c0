package io.cdchub.embedded;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Prints change events as they arrive, for watching the quick start without installing a Kafka
 * client: {@code ./mvnw -q exec:java -Dexec.mainClass=io.cdchub.embedded.WatchEvents -Dexec.args=127.0.0.1:59092}.
 * Optional second argument: a topic regex (default {@code cdc\..*}).
 */
public final class WatchEvents {

    private WatchEvents() {
    }

    public static void main(String[] args) {
        // only the events on the console, not the Kafka client's configuration dump
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("org.apache.kafka")).setLevel(ch.qos.logback.classic.Level.WARN);
        String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:59092";
        Pattern topics = Pattern.compile(args.length > 1 ? args[1] : "cdc\\..*");
        Map<String, Object> settings = Map.of(
                "bootstrap.servers", bootstrap,
                "group.id", "cdc-hub-watch-" + ProcessHandle.current().pid(),
                "auto.offset.reset", "latest",
                "enable.auto.commit", "false");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(topics);
            System.out.println("Watching topics matching " + topics + " on " + bootstrap + " (Ctrl-C to stop)");
            while (true) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofSeconds(1))) {
                    System.out.println(record.topic() + " " + text(record.key()) + " " + text(record.value()));
                }
            }
        }
    }

    private static String text(byte[] bytes) {
        return bytes == null ? "null" : new String(bytes, StandardCharsets.UTF_8);
    }
}
