package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import org.junit.jupiter.api.Test;

/** One rule per PostgreSQL type family, checked on real events (README: "Value mapping"). */
class TypeMappingIT extends CaptureContextIT {

    static void createTable(PostgresServer pg) {
        pg.execute(DB, io.cdchub.testinfra.TestTables.allTypes("capture"));
    }

    @Test
    void everyTypeFamilyHasItsDocumentedJsonForm() {
        sql(io.cdchub.testinfra.TestTables.allTypesRow("capture", 1));

        List<Event> events = TopicReader.awaitCount(topic("all_types"), 1);
        JsonNode after = events.get(0).after();

        assertThat(after.get("c_smallint").toString()).isEqualTo("32767");
        assertThat(after.get("c_integer").toString()).isEqualTo("-2147483648");
        assertThat(after.get("c_bigint").toString()).isEqualTo("9223372036854775807");
        assertThat(after.get("c_numeric").toString()).isEqualTo("12345678901234567890.123456789012");
        assertThat(after.get("c_numeric_free").toString()).isEqualTo("3.14159265358979323846264338327950288");
        assertThat(after.get("c_real").toString()).isEqualTo("1.5");
        assertThat(after.get("c_double").toString()).isEqualTo("2.25");
        assertThat(after.get("c_money").toString()).isEqualTo("12.34");
        assertThat(after.get("c_text").asText()).isEqualTo("héllo \"world\"");
        assertThat(after.get("c_varchar").asText()).isEqualTo("vc");
        assertThat(after.get("c_char").asText()).isEqualTo("ab ");
        assertThat(after.get("c_boolean").isBoolean()).isTrue();
        assertThat(after.get("c_date").asText()).isEqualTo("2024-02-29");
        assertThat(after.get("c_time").asText()).isEqualTo("13:45:30.123456");
        assertThat(after.get("c_timetz").asText()).isEqualTo("11:45:30Z");
        assertThat(after.get("c_timestamp").asText()).isEqualTo("2024-02-29T13:45:30.123456");
        assertThat(after.get("c_timestamptz").asText()).isEqualTo("2024-02-29T11:45:30.123456Z");
        assertThat(after.get("c_interval").asText()).isEqualTo("P1Y2M3DT4H5M6.78S");
        assertThat(after.get("c_uuid").asText()).isEqualTo("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        assertThat(after.get("c_json").toString()).isEqualTo("{\"a\":[1,2.50,{\"b\":null}]}");
        assertThat(after.get("c_jsonb").toString()).isEqualTo("{\"k\":\"v\",\"n\":1.10}");
        assertThat(after.get("c_int_array").toString()).isEqualTo("[1,2,3]");
        assertThat(after.get("c_text_array").toString()).isEqualTo("[\"a\",\"b c\"]");
        assertThat(after.get("c_numeric_array").toString()).isEqualTo("[1.10,2.25]");
        assertThat(after.get("c_bytea").asText()).isEqualTo("3q2+7w==");
        assertThat(after.get("c_enum").asText()).isEqualTo("happy");
        assertThat(after.get("c_null_text").isNull()).isTrue();
        assertThat(after.get("c_null_int").isNull()).isTrue();
    }

    @Test
    void unchangedToastValueIsThePlaceholderNeverAFakeValue() {
        // ~20 kB of poorly compressible text is stored out of line (TOAST); an update that does not
        // touch it, on a table with the default replica identity, does not send it again.
        sql("INSERT INTO capture.toasted SELECT 1, string_agg(md5(random()::text), '') , 1 FROM generate_series(1, 700)");
        sql("UPDATE capture.toasted SET small = 2 WHERE id = 1");

        List<Event> events = TopicReader.awaitCount(topic("toasted"), 2);

        assertThat(events.get(0).after().get("big").asText()).hasSize(32 * 700);
        assertThat(events.get(1).after().get("small").asInt()).isEqualTo(2);
        assertThat(events.get(1).after().get("big").asText()).isEqualTo(ConnectValueConverter.UNAVAILABLE_VALUE_PLACEHOLDER);
    }

    @Test
    void specialNumericValuesAreKeptAsTextNeverTurnedIntoNull() {
        // row 1 was read by the snapshot (JDBC), the others are streamed (pgoutput)
        sql("INSERT INTO capture.special_numbers VALUES (2, '-Infinity', 'NaN'), (3, 0.000000000000000001, 12.30), (4, NULL, NULL)");

        List<Event> events = TopicReader.awaitCount(topic("special_numbers"), 4);

        assertThat(events.get(0).after().toString()).isEqualTo("{\"id\":1,\"n\":\"Infinity\",\"d\":\"NaN\"}");
        assertThat(events.get(1).after().toString()).isEqualTo("{\"id\":2,\"n\":\"-Infinity\",\"d\":\"NaN\"}");
        assertThat(events.get(2).after().get("n").isBigDecimal()).isTrue();
        assertThat(events.get(2).after().get("n").decimalValue()).isEqualTo(new java.math.BigDecimal("0.000000000000000001"));
        assertThat(events.get(2).after().get("d").decimalValue()).isEqualTo(new java.math.BigDecimal("12.30"));
        assertThat(events.get(3).after().toString()).isEqualTo("{\"id\":4,\"n\":null,\"d\":null}");
    }

    @Test
    void deleteWithDefaultReplicaIdentityCarriesTheKeyAndNoInventedNumbers() {
        // only the key is in the WAL for this delete; Debezium fills other NOT NULL columns with empty
        // defaults (text ""), numeric columns come out null rather than an invented 0 (README: Events)
        sql("INSERT INTO capture.ledger VALUES (1, 10.50, 'kept')", "DELETE FROM capture.ledger WHERE id = 1");

        List<Event> events = TopicReader.awaitCount(topic("ledger"), 3);

        assertThat(events.get(1).op()).isEqualTo("d");
        assertThat(events.get(1).before().toString()).isEqualTo("{\"id\":1,\"amount\":null,\"note\":\"\"}");
        assertThat(events.get(2).isTombstone()).isTrue();
    }
}
