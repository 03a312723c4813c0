package io.cdchub.sink.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdchub.change.ChangeEvent;
import io.cdchub.config.InvalidConfigurationException;
import io.cdchub.sink.RejectedRecordException;
import io.cdchub.sink.SinkRunner;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.FileSystemResource;

/** The transforms without servers: compiling at start-up (and refusing), and the step on single changes. */
class SinkTransformsTest {

    static final Path README_BLOCK = Path.of("config/transforms/customers.yaml");
    static final DefaultCamelContext CAMEL = new DefaultCamelContext();

    @TempDir
    Path dir;

    /** The transforms of a YAML file, as Spring loads an application.yaml (with origins). */
    SinkTransforms transforms(String yaml) throws IOException {
        Path file = dir.resolve("application.yaml");
        Files.writeString(file, yaml);
        return transforms(file);
    }

    static SinkTransforms transforms(Path file) throws IOException {
        StandardEnvironment environment = new StandardEnvironment();
        new YamlPropertySourceLoader().load("test", new FileSystemResource(file)).forEach(environment.getPropertySources()::addFirst);
        return new SinkTransforms(environment);
    }

    static ChangeEvent event(String key, String envelope) {
        Exchange record = new DefaultExchange(CAMEL);
        record.getMessage().setBody(envelope.getBytes(StandardCharsets.UTF_8));
        record.getMessage().setHeader(KafkaConstants.KEY, key == null ? null : key.getBytes(StandardCharsets.UTF_8));
        record.getMessage().setHeader(KafkaConstants.TIMESTAMP, 1_700_000_000_123L);
        record.getMessage().setHeader(KafkaConstants.TOPIC, "cdc.public.customers");
        return ChangeEvent.parse(record);
    }

    static ChangeEvent change(String table, String op, String before, String after) {
        return event("{\"customer_id\":7}", "{\"before\":" + before + ",\"after\":" + after + ",\"source\":{\"connector\":\"postgresql\","
                + "\"schema\":\"public\",\"table\":\"" + table + "\",\"lsn\":12345,\"ts_ms\":1700000000000},\"op\":\"" + op + "\",\"ts_ms\":1}");
    }

    static final String CUSTOMER = "{\"customer_id\":7,\"email\":\"ada@example.com\",\"first_name\":\"Ada\",\"last_name\":\"Lovelace\","
            + "\"city\":\"London\",\"state\":null,\"country\":\"UK\",\"lifetime_value\":12.50}";

    /** The row a sink reads from the event, through its streaming parser (as the ClickHouse sink does). */
    static ObjectNode streamedRow(ChangeEvent event) throws IOException {
        return event.isDelete() ? event.row() : ChangeEvent.JSON.readTree(event.afterParser());
    }

    @Test
    void theReadmeBlockGivesCustomersFullNameLocationAndOperation() throws IOException {
        SinkTransforms transforms = transforms(README_BLOCK);
        assertThat(transforms.clickhouse()).isEqualTo("customers");
        assertThat(transforms.elasticsearch()).isEqualTo("customers");
        SinkRunner.ChangeEventStep step = transforms.step("kafka-to-clickhouse", transforms.clickhouse());

        ChangeEvent event = change("customers", "c", "null", CUSTOMER);
        ChangeEvent out = step.apply(event);

        ObjectNode row = streamedRow(out);
        assertThat(row.get("full_name").asText()).isEqualTo("Ada Lovelace");
        assertThat(row.get("location").asText()).isEqualTo("London, UK");
        assertThat(row.get("_cdc_operation").asText()).isEqualTo("INSERT");
        assertThat(row.get("lifetime_value").decimalValue()).isEqualByComparingTo("12.50");
        assertThat(out.rowFields()).containsSubsequence("customer_id", "email", "full_name", "location", "_cdc_operation");
        assertThat(out.afterJson()).isNotNull();
        assertThat(out.record()).isSameAs(event.record());
        assertThat(out.keyJson()).isEqualTo(event.keyJson());
        assertThat(out.lsn()).isEqualTo(12345);
        assertThat(out.op()).isEqualTo("c");
        assertThat(out.hasBefore()).isFalse();

        assertThat(streamedRow(step.apply(change("customers", "r", "null", CUSTOMER))).get("_cdc_operation").asText()).isEqualTo("READ");
        assertThat(streamedRow(step.apply(change("customers", "u", "null", CUSTOMER))).get("_cdc_operation").asText()).isEqualTo("UPDATE");
    }

    @Test
    void theReadmeShowsTheBlockThatIsTested() throws IOException {
        assertThat(Files.readString(Path.of("README.md"))).contains(Files.readString(README_BLOCK));
    }

    @Test
    void aChangeOfATableNoTransformAppliesToIsHandedOnAsItIs() throws IOException {
        SinkTransforms transforms = transforms(README_BLOCK);
        ChangeEvent order = change("orders", "c", "null", "{\"order_id\":1}");
        assertThat(transforms.step("r", "customers").apply(order)).isSameAs(order);
        assertThat(transforms.step("r", "")).isSameAs(SinkRunner.ChangeEventStep.NONE);
    }

    static final String AUDITED = """
            cdc:
              sink:
                transforms:
                  audited:
                    tables: public\\.customers
                    filter: '.country != "FR"'
                    derive:
                      greeting: '"Hello " + .first_name'
                      shout: '.greeting | ascii_upcase'
                      connector: '$event.source.connector + "/" + $op + "/" + ($lsn | tostring) + "/" + ($key.customer_id | tostring)'
                      spend_cents: '.lifetime_value * 100'
                    rename:
                      email: contact_email
                    drop: [first_name, last_name]
                    operation-field: _cdc_operation
                    metadata: [_ingestion_timestamp, _source_system, _pipeline_id, _source_lsn, _event_timestamp_ms, _kafka_timestamp]
                    source-system: crm-postgres
            """;

    @Test
    void deriveRenameDropFilterAndMetadataApplyInTheirOrder() throws IOException {
        SinkRunner.ChangeEventStep step = transforms(AUDITED).step("kafka-to-clickhouse", "audited");

        ObjectNode row = streamedRow(step.apply(change("customers", "c", "null", CUSTOMER)));

        assertThat(row.get("greeting").asText()).isEqualTo("Hello Ada");
        assertThat(row.get("shout").asText()).as("sees the field derived before it").isEqualTo("HELLO ADA");
        assertThat(row.get("connector").asText()).isEqualTo("postgresql/c/12345/7");
        assertThat(row.get("spend_cents").decimalValue()).isEqualByComparingTo("1250");
        assertThat(row.has("email")).isFalse();
        assertThat(row.get("contact_email").asText()).isEqualTo("ada@example.com");
        assertThat(row.has("first_name")).isFalse();
        assertThat(row.has("last_name")).isFalse();
        assertThat(row.get("_cdc_operation").asText()).isEqualTo("INSERT");
        assertThat(row.get("_source_system").asText()).isEqualTo("crm-postgres");
        assertThat(row.get("_pipeline_id").asText()).as("the route's id by default").isEqualTo("kafka-to-clickhouse");
        assertThat(row.get("_source_lsn").asLong()).isEqualTo(12345);
        assertThat(row.get("_event_timestamp_ms").asLong()).isEqualTo(1_700_000_000_000L);
        assertThat(row.get("_kafka_timestamp").asLong()).isEqualTo(1_700_000_000_123L);
        assertThat(java.time.Instant.parse(row.get("_ingestion_timestamp").asText())).isCloseTo(java.time.Instant.now(),
                org.assertj.core.api.Assertions.within(1, java.time.temporal.ChronoUnit.MINUTES));

        assertThat(step.apply(change("customers", "c", "null", CUSTOMER.replace("\"UK\"", "\"FR\"")))).as("filtered out").isNull();
    }

    @Test
    void aDeleteKeepsItsKeyAndGetsRenameDropOperationAndMetadataButNoFilterOrDerive() throws IOException {
        SinkRunner.ChangeEventStep step = transforms(AUDITED).step("kafka-to-clickhouse", "audited");

        ChangeEvent keyOnly = step.apply(change("customers", "d", "null", "null"));
        assertThat(keyOnly).as("a filter never drops a delete").isNotNull();
        assertThat(keyOnly.isDelete()).isTrue();
        ObjectNode row = keyOnly.row();
        assertThat(row.get("customer_id").asInt()).isEqualTo(7);
        assertThat(row.get("_cdc_operation").asText()).isEqualTo("DELETE");
        assertThat(row.get("_source_lsn").asLong()).isEqualTo(12345);
        assertThat(row.has("greeting")).isFalse();

        ChangeEvent withOldRow = step.apply(change("customers", "d", CUSTOMER.replace("\"UK\"", "\"FR\""), "null"));
        assertThat(withOldRow.row().has("contact_email")).isTrue();
        assertThat(withOldRow.row().has("email")).isFalse();
        assertThat(withOldRow.row().has("first_name")).isFalse();
        assertThat(withOldRow.rowFields()).contains("customer_id", "contact_email", "_cdc_operation");
    }

    @Test
    void aTransformThatFailsOnAChangeRefusesThatChangeWithTheReason() throws IOException {
        SinkRunner.ChangeEventStep step = transforms("""
                cdc.sink.transforms.lower:
                  derive:
                    city_lower: '.city | ascii_downcase'
                """).step("r", "lower");
        assertThat(streamedRow(step.apply(change("customers", "c", "null", CUSTOMER))).get("city_lower").asText()).isEqualTo("london");
        assertThatThrownBy(() -> step.apply(change("customers", "c", "null", CUSTOMER.replace("\"London\"", "42"))))
                .isInstanceOf(RejectedRecordException.class).hasMessageContaining("Transform lower: derive.city_lower failed");

        SinkRunner.ChangeEventStep endless = transforms("""
                cdc.sink.transforms.endless:
                  derive:
                    x: 'def f: 1 + f; f'
                """).step("r", "endless");
        assertThatThrownBy(() -> endless.apply(change("customers", "c", "null", CUSTOMER)))
                .as("recursion without end is that change's dead letter, not the converter thread's end")
                .isInstanceOf(RejectedRecordException.class).hasMessageContaining("Transform endless: derive.x recursed too deep");
    }

    @Test
    void aTransformThatWouldChangeThePrimaryKeyRefusesTheChange() throws IOException {
        SinkRunner.ChangeEventStep step = transforms("""
                cdc.sink.transforms.rekey:
                  rename:
                    customer_id: id
                """).step("r", "rekey");
        assertThatThrownBy(() -> step.apply(change("customers", "c", "null", CUSTOMER)))
                .isInstanceOf(RejectedRecordException.class).hasMessageContaining("primary-key column customer_id");
    }

    @Test
    void anExpressionThatDoesNotCompileStopsStartUpWithTheFileLineAndReason() {
        assertThatThrownBy(() -> transforms("""
                cdc:
                  sink:
                    transforms:
                      customers:
                        derive:
                          full_name: '.first_name +'
                """)).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("cdc.sink.transforms.customers.derive.full_name")
                .hasMessageContaining(dir.resolve("application.yaml").toString())
                .hasMessageContaining(" - 6:")
                .hasMessageContaining("does not compile as jq");
    }

    @Test
    void expressionsCannotReadTheEnvironmentNorUseWhatIsLeftOut() {
        for (String expression : List.of("env.HOME", "$ENV.HOME", "$ENV", "now", "input", "[range(1e9)]", "hostname", "[repeat(1)]", "jion(\" \")")) {
            assertThatThrownBy(() -> transforms("cdc.sink.transforms.t.filter: '" + expression.replace("'", "''") + "'\n"))
                    .as(expression).isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("cdc.sink.transforms.t.filter").hasMessageContaining("- 1:");
        }
        assertThatThrownBy(() -> transforms("cdc.sink.transforms.t.filter: env.PATH\n")).hasMessageContaining("env/0");
        assertThatThrownBy(() -> transforms("cdc.sink.transforms.t.filter: $ENV.PATH\n")).hasMessageContaining("$ENV");
        // what the scope keeps still works, also functions an expression defines for itself
        SinkRunner.ChangeEventStep step = assertCompiles("def twice(f): f | f; .customer_id | twice(. * 2) | . == 28");
        assertThat(step.apply(change("customers", "c", "null", CUSTOMER))).isNotNull();
    }

    private SinkRunner.ChangeEventStep assertCompiles(String filter) {
        try {
            return transforms("cdc.sink.transforms.t.filter: '" + filter.replace("'", "''") + "'\n").step("r", "t");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void otherMistakesStopStartUpNamingTheProperty() {
        assertThatThrownBy(() -> transforms("cdc.sink.transforms.t.metadata: [_ingest_time]\n"))
                .hasMessageContaining("cdc.sink.transforms.t.metadata[0]").hasMessageContaining("_ingest_time").hasMessageContaining("_ingestion_timestamp");
        assertThatThrownBy(() -> transforms("cdc.sink.transforms.t.derive._version: '1'\n"))
                .hasMessageContaining("cdc.sink.transforms.t.derive._version").hasMessageContaining("the sinks write themselves");
        assertThatThrownBy(() -> transforms("cdc.sink.transforms.t.tables: '('\ncdc.sink.transforms.t.drop: [x]\n"))
                .hasMessageContaining("cdc.sink.transforms.t.tables").hasMessageContaining("regex");
        assertThatThrownBy(() -> transforms("cdc.sink.transforms.t.drop: [x]\ncdc.sink.clickhouse.transforms: [t, nosuch]\n"))
                .hasMessageContaining("cdc.sink.clickhouse.transforms").hasMessageContaining("'nosuch'").hasMessageContaining("[t]");
        assertThatThrownBy(() -> transforms("cdc.sink.transforms.t.drop: [x]\n").checkRoute("my-route", "t,nosuch"))
                .hasMessageContaining("route my-route").hasMessageContaining("parameter transforms").hasMessageContaining("'nosuch'");
    }
}
