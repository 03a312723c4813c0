package io.cdchub.bench;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * A peer of the source benchmark: Debezium's embedded engine publishing to Kafka the way Debezium Server's Kafka
 * sink does, in a JVM of its own. Each batch the engine hands over is converted with Kafka's {@link JsonConverter}
 * (schemas off, for key and value), sent with one plain {@link KafkaProducer}, flushed, and only then marked
 * processed record by record and as a finished batch ({@link DebeziumEngine.RecordCommitter}), so the engine commits
 * offsets only past what Kafka acknowledged.
 *
 * <p>Usage: {@code java ... io.cdchub.bench.DebeziumEngineProducer FILE}; FILE is a properties file whose
 * {@code engine.*} entries go to the engine (Debezium connector and engine settings) and {@code producer.*} entries
 * to the producer. Runs until SIGTERM. Started by {@link SourceBenchmark}; see bench/README.md.
 */
public final class DebeziumEngineProducer {

    private DebeziumEngineProducer() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length != 1) {
            System.err.println("usage: DebeziumEngineProducer <properties file>");
            System.exit(64);
        }
        Properties all = new Properties();
        try (Reader in = Files.newBufferedReader(Path.of(args[0]))) {
            all.load(in);
        }
        Properties engineProps = subset(all, "engine.");
        Properties producerProps = subset(all, "producer.");

        JsonConverter keyConverter = new JsonConverter();
        keyConverter.configure(Map.of("schemas.enable", "false"), true);
        JsonConverter valueConverter = new JsonConverter();
        valueConverter.configure(Map.of("schemas.enable", "false"), false);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());

        DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> consumer = (records, committer) -> {
            List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
            for (RecordChangeEvent<SourceRecord> event : records) {
                SourceRecord r = event.record();
                byte[] key = keyConverter.fromConnectData(r.topic(), r.keySchema(), r.key());
                byte[] value = valueConverter.fromConnectData(r.topic(), r.valueSchema(), r.value());
                sent.add(producer.send(new ProducerRecord<>(r.topic(), null, key, value)));
            }
            producer.flush();
            for (Future<RecordMetadata> f : sent) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    // as Debezium Server: a failed send fails the batch, and the engine stops
                    throw new IllegalStateException("Kafka did not acknowledge a change: " + e.getCause(), e.getCause());
                }
            }
            for (RecordChangeEvent<SourceRecord> event : records) {
                committer.markProcessed(event);
            }
            committer.markBatchFinished();
        };

        DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(engineProps)
                .notifying(consumer)
                .using((success, message, error) -> {
                    System.out.println("[engine] stopped: success=" + success + ", " + message + (error == null ? "" : ", " + error));
                    if (!success) {
                        // the benchmark sees the process end and reports the failure
                        Runtime.getRuntime().halt(1);
                    }
                })
                .build();
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "debezium-engine"));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                engine.close();
                executor.shutdown();
                executor.awaitTermination(30, TimeUnit.SECONDS);
            } catch (IOException | InterruptedException e) {
                System.err.println("[engine] close: " + e);
            } finally {
                producer.close();
            }
        }, "debezium-engine-close"));
        executor.execute(engine);
        System.out.println("[engine] started");
    }

    private static Properties subset(Properties all, String prefix) {
        Properties p = new Properties();
        for (String name : all.stringPropertyNames()) {
            if (name.startsWith(prefix)) {
                p.setProperty(name.substring(prefix.length()), all.getProperty(name));
            }
        }
        return p;
    }
}
