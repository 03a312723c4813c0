package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import io.cdchub.testinfra.KafkaServer;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TestTables;
import io.cdchub.testinfra.InProcessApp;
import io.debezium.embedded.Connect;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code cdc.source.value-format=debezium} writes exactly what Debezium's PostgreSQL connector with its default
 * settings and Kafka Connect's {@code JsonConverter} write: the same changes are captured by cdc-hub and by a
 * Debezium engine configured here independently, with nothing but Debezium's defaults, and each record cdc-hub
 * published is compared, byte for byte, with {@code JsonConverter}'s bytes for Debezium's record. The one thing
 * allowed to differ is the envelope's processing time ({@code ts_ms}, {@code ts_us}, {@code ts_ns} at the end of the
 * envelope: when each engine handled the change), never the commit time in {@code source}.
 */
class DebeziumFormatIT {

    @ParameterizedTest(name = "schemas-enable={0}")
    @ValueSource(booleans = {false, true})
    void everyTypeFamilyIsWhatJsonConverterWritesForDebeziumsRecord(boolean schemas) throws Exception {
        String name = schemas ? "dbzfmts" : "dbzfmt";
        PostgresServer pg = PostgresServer.shared();
        Map<String, String> settings = RealServers.sourceSettings(name, TestTables.allTypes(name));
        settings.put("cdc.source.value-format", "debezium");
        settings.put("cdc.source.schemas-enable", Boolean.toString(schemas));
        settings.put("cdc.source.snapshot-mode", "no_data");
        // No heartbeats: their commits (on cdc-hub's heartbeat table, which the reference does not capture) move the
        // "last commit seen" that Debezium writes first in source.sequence, so the two slots would not see the same
        // stream. With the same stream the records must be the same bytes.
        settings.put("cdc.source.heartbeat.interval", "0s");
        String topic = name + "." + name + ".all_types";

        List<SourceRecord> reference = Collections.synchronizedList(new ArrayList<>());
        ExecutorService runner = Executors.newSingleThreadExecutor();
        DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>> engine = DebeziumEngine.create(Connect.class)
                .using(referenceEngine(name, pg))
                .notifying((changes, committer) -> {
                    for (ChangeEvent<SourceRecord, SourceRecord> change : changes) {
                        reference.add(change.value());
                        committer.markProcessed(change);
                    }
                    committer.markBatchFinished();
                })
                .build();
        try (ConfigurableApplicationContext app = InProcessApp.start(settings)) {
            runner.execute(engine);
            awaitSlotsActive(pg, "it_" + name, "ref_" + name);

            pg.execute(RealServers.DATABASE, io.cdchub.testinfra.TestTables.allTypesRow(name, 1),
                    "INSERT INTO %s.all_types (id, c_numeric_free, c_real, c_double, c_date, c_timestamp) VALUES (2, 'NaN', 'Infinity', '-Infinity', 'infinity', '-infinity')"
                            .formatted(name),
                    "UPDATE %s.all_types SET c_text = 'changed', c_numeric = -0.000000000001 WHERE id = 1".formatted(name),
                    "DELETE FROM %s.all_types WHERE id = 2".formatted(name));

            // 2 inserts, 1 update, 1 delete and its tombstone
            Awaitility.await("Debezium's own records").atMost(Duration.ofSeconds(60)).until(() -> reference.size() >= 5);
            List<ConsumerRecord<byte[], byte[]>> published = awaitRecords(topic, 5);

            JsonConverter keys = converter(schemas, true);
            JsonConverter values = converter(schemas, false);
            for (int i = 0; i < 5; i++) {
                SourceRecord expected = reference.get(i);
                ConsumerRecord<byte[], byte[]> actual = published.get(i);
                assertThat(text(actual.key())).as("key of record %d", i)
                        .isEqualTo(text(keys.fromConnectData(expected.topic(), expected.keySchema(), expected.key())));
                byte[] expectedValue = values.fromConnectData(expected.topic(), expected.valueSchema(), expected.value());
                if (expectedValue == null) {
                    assertThat(actual.value()).as("tombstone %d", i).isNull();
                } else {
                    assertThat(withoutProcessingTime(text(actual.value()))).as("value of record %d", i)
                            .isEqualTo(withoutProcessingTime(text(expectedValue)));
                }
                assertThat(new String(actual.headers().lastHeader(ValueFormat.HEADER).value(), StandardCharsets.UTF_8)).isEqualTo("debezium");
            }
        } finally {
            engine.close();
            runner.shutdownNow();
            pg.execute(RealServers.DATABASE, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'ref_"
                    + name + "' AND NOT active");
        }
    }

    /** Debezium's defaults, and only what a Debezium user must set to capture these tables. */
    private static Properties referenceEngine(String name, PostgresServer pg) {
        Properties props = new Properties();
        props.setProperty("name", "reference-" + name);
        props.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        props.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        props.setProperty("offset.flush.interval.ms", "1000");
        props.setProperty("database.hostname", pg.host());
        props.setProperty("database.port", String.valueOf(pg.port()));
        props.setProperty("database.user", PostgresServer.USER);
        props.setProperty("database.dbname", RealServers.DATABASE);
        props.setProperty("topic.prefix", name); // as cdc-hub's: Connect schema names include it
        props.setProperty("plugin.name", "pgoutput");
        props.setProperty("slot.name", "ref_" + name);
        props.setProperty("publication.name", "ref_" + name + "_pub");
        props.setProperty("publication.autocreate.mode", "filtered");
        props.setProperty("table.include.list", name + "\\.all_types");
        props.setProperty("snapshot.mode", "no_data");
        // its metrics MBeans apart from cdc-hub's in this JVM (same topic prefix); no effect on the records
        props.setProperty("custom.metric.tags", "engine=reference");
        return props;
    }

    private static void awaitSlotsActive(PostgresServer pg, String... slots) {
        Awaitility.await("replication slots active").atMost(Duration.ofSeconds(60)).until(() -> {
            try (var connection = pg.dataSource(RealServers.DATABASE).getConnection();
                    var statement = connection.prepareStatement("SELECT count(*) FROM pg_replication_slots WHERE active AND slot_name = ANY (?)")) {
                statement.setArray(1, connection.createArrayOf("text", slots));
                try (var rows = statement.executeQuery()) {
                    rows.next();
                    return rows.getInt(1) == slots.length;
                }
            }
        });
    }

    private static List<ConsumerRecord<byte[], byte[]>> awaitRecords(String topic, int count) {
        Properties props = new Properties();
        props.put("bootstrap.servers", KafkaServer.shared().bootstrapServers());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            Awaitility.await("records in " + topic).atMost(Duration.ofSeconds(60)).until(() -> {
                if (consumer.assignment().isEmpty()) {
                    if (consumer.partitionsFor(topic).isEmpty()) {
                        return false;
                    }
                    consumer.assign(List.of(new TopicPartition(topic, 0)));
                    consumer.seekToBeginning(consumer.assignment());
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= count;
            });
            return records;
        }
    }

    private static JsonConverter converter(boolean schemas, boolean forKeys) {
        JsonConverter converter = new JsonConverter();
        converter.configure(Map.of("schemas.enable", Boolean.toString(schemas)), forKeys);
        return converter;
    }

    private static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    /** The envelope's processing time is its last three fields (Debezium 3.4); the source block's fields stay. */
    static String withoutProcessingTime(String json) {
        return json.replaceFirst("\"ts_ms\":\\d+,\"ts_us\":\\d+,\"ts_ns\":\\d+(}}?)$", "\"ts_ms\":0,\"ts_us\":0,\"ts_ns\":0$1");
    }
}
