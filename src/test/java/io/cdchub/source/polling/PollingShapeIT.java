package io.cdchub.source.polling;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.KafkaServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TestTables;
import io.cdchub.testinfra.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Both sources at once, on different tables of one database: the same row (every type family of TestTables.allTypes)
 * read by the logical source's snapshot and by the polling source's first load gives the same key bytes, the same
 * {@code after} bytes and the same envelope; the {@code source} blocks have the same fields in the same order and
 * differ only where polling differs by nature (connector, times, lsn, txId, snapshot marker, the table's schema).
 */
class PollingShapeIT {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));
    /** The source fields that differ by nature between a WAL change and a polled row. */
    private static final Set<String> DIFFERENT_BY_NATURE = Set.of("connector", "ts_ms", "ts_us", "ts_ns", "snapshot", "schema", "sequence",
            "txId", "lsn", "xmin");

    @ParameterizedTest
    @ValueSource(strings = {"cdc-hub", "debezium"})
    void aPolledRowIsPublishedAsTheLogicalSourcePublishesIt(String valueFormat) throws Exception {
        String suffix = valueFormat.replace("-", "");
        String logicalSchema = "shape_logical_" + suffix;
        String pollingSchema = "shape_polling_" + suffix;
        List<String> ddl = new ArrayList<>(List.of(TestTables.allTypes(logicalSchema)));
        ddl.add(TestTables.allTypesRow(logicalSchema, 1));
        Map<String, String> settings = RealServers.sourceSettings(logicalSchema, ddl.toArray(String[]::new));
        String prefix = "shape" + suffix;
        settings.put("cdc.topic-prefix", prefix);
        settings.put("cdc.source.value-format", valueFormat);
        io.cdchub.testinfra.PostgresServer.shared().execute(RealServers.DATABASE, "CREATE SCHEMA " + pollingSchema);
        io.cdchub.testinfra.PostgresServer.shared().execute(RealServers.DATABASE, TestTables.allTypes(pollingSchema));
        io.cdchub.testinfra.PostgresServer.shared().execute(RealServers.DATABASE, TestTables.allTypesRow(pollingSchema, 1));
        // the polled database is the source's (cdc.polling.database.* not set)
        settings.put("cdc.polling.enabled", "true");
        settings.put("cdc.polling.name", "it-shape-polling-" + suffix);
        settings.put("cdc.polling.poll-interval", "200ms");
        settings.put("cdc.polling.tables[0].table", pollingSchema + ".all_types");
        settings.put("cdc.polling.tables[0].watermark-column", "id");
        String kafka = KafkaServer.shared().bootstrapServers();

        try (ConfigurableApplicationContext app = InProcessApp.start(settings)) {
            ConsumerRecord<byte[], byte[]> logical = first(kafka, prefix + "." + logicalSchema + ".all_types");
            ConsumerRecord<byte[], byte[]> polled = first(kafka, prefix + "." + pollingSchema + ".all_types");

            assertThat(new String(polled.key(), StandardCharsets.UTF_8)).isEqualTo(new String(logical.key(), StandardCharsets.UTF_8));
            String logicalValue = new String(logical.value(), StandardCharsets.UTF_8);
            String polledValue = new String(polled.value(), StandardCharsets.UTF_8);
            assertThat(section(polledValue, "\"after\":", ",\"source\":")).as("after, byte for byte")
                    .isEqualTo(section(logicalValue, "\"after\":", ",\"source\":"));

            JsonNode l = JSON.readTree(logical.value());
            JsonNode p = JSON.readTree(polled.value());
            assertThat(fieldNames(p)).isEqualTo(fieldNames(l));
            assertThat(p.get("op").asText()).isEqualTo("r").isEqualTo(l.get("op").asText());
            assertThat(p.get("before")).isEqualTo(l.get("before"));
            assertThat(p.get("transaction")).isEqualTo(l.get("transaction"));
            JsonNode ls = l.get("source");
            JsonNode ps = p.get("source");
            assertThat(fieldNames(ps)).as("source fields, in order").isEqualTo(fieldNames(ls));
            for (String field : fieldNames(ls)) {
                if (!DIFFERENT_BY_NATURE.contains(field)) {
                    assertThat(ps.get(field)).as("source.%s", field).isEqualTo(ls.get(field));
                }
            }
            assertThat(ps.get("connector").asText()).isEqualTo("cdc-hub-polling");
            assertThat(ls.get("connector").asText()).isEqualTo("postgresql");
            assertThat(ps.get("lsn").isNull()).isTrue();
            assertThat(ps.get("schema").asText()).isEqualTo(pollingSchema);
            assertThat(headerNames(polled)).isEqualTo(headerNames(logical));
        }
    }

    private static ConsumerRecord<byte[], byte[]> first(String kafka, String topic) {
        return Awaitility.await(topic).atMost(java.time.Duration.ofSeconds(90)).ignoreExceptions()
                .until(() -> TopicReader.readRecords(kafka, topic), records -> !records.isEmpty()).get(0);
    }

    private static String section(String text, String from, String to) {
        int start = text.indexOf(from);
        int end = text.indexOf(to, start);
        assertThat(start).as("%s in %s", from, text).isNotNegative();
        assertThat(end).as("%s in %s", to, text).isGreaterThan(start);
        return text.substring(start, end);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
            names.add(it.next());
        }
        return names;
    }

    private static List<String> headerNames(ConsumerRecord<byte[], byte[]> record) {
        List<String> names = new ArrayList<>();
        for (Header header : record.headers()) {
            names.add(header.key());
        }
        return names;
    }
}
