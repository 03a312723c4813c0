package io.cdchub.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdchub.sink.clickhouse.ClickHouseTypes;
import io.cdchub.sink.clickhouse.PostgresColumns;
import io.cdchub.sink.search.DocumentIds;
import org.junit.jupiter.api.Test;

/** Fast checks of the sinks' pure functions: ids, type mapping, value conversion, subscriptions. */
class SinkUnitsTest {

    static ObjectNode json(String text) throws Exception {
        return (ObjectNode) ChangeEvent.JSON.readTree(text);
    }

    @Test
    void documentIdsAreStableAndUnambiguous() throws Exception {
        assertThat(DocumentIds.of(json("{\"id\":42}"))).isEqualTo("42");
        assertThat(DocumentIds.of(json("{\"region\":\"eu\",\"code\":42}"))).isEqualTo("eu|42");
        assertThat(DocumentIds.of(json("{\"a\":\"x|y\",\"b\":\"z\"}"))).isNotEqualTo(DocumentIds.of(json("{\"a\":\"x\",\"b\":\"y|z\"}")));
    }

    @Test
    void postgresTypesMapToClickHouseTypesThat1816Has() {
        String ts = "DateTime('UTC')";
        assertThat(ClickHouseTypes.fromPostgres(new PostgresColumns.Column("c", "numeric", "numeric", 12, 2), ts)).isEqualTo("Decimal(12, 2)");
        assertThat(ClickHouseTypes.fromPostgres(new PostgresColumns.Column("c", "numeric", "numeric", null, null), ts)).isEqualTo("Float64");
        assertThat(ClickHouseTypes.fromPostgres(new PostgresColumns.Column("c", "ARRAY", "_int4", null, null), ts)).isEqualTo("Array(Nullable(Int32))");
        assertThat(ClickHouseTypes.fromPostgres(new PostgresColumns.Column("c", "timestamp with time zone", "timestamptz", null, null), ts)).isEqualTo(ts);
        assertThat(ClickHouseTypes.fromPostgres(new PostgresColumns.Column("c", "USER-DEFINED", "mood", null, null), ts)).isEqualTo("String");
        assertThat(ClickHouseTypes.nullable("Array(Nullable(Int32))")).isEqualTo("Array(Nullable(Int32))");
        assertThat(ClickHouseTypes.nullable("UUID")).isEqualTo("Nullable(UUID)");
    }

    @Test
    void valuesClickHouseCannotHoldAreRefused() throws Exception {
        assertThat(ClickHouseTypes.convert("b", json("{\"v\":true}").get("v"), "Nullable(UInt8)").asInt()).isEqualTo(1);
        assertThat(ClickHouseTypes.convert("j", json("{\"v\":{\"a\":1}}").get("v"), "Nullable(String)").asText()).isEqualTo("{\"a\":1}");
        assertThat(ClickHouseTypes.convert("a", json("{\"v\":null}").get("v"), "Array(Nullable(Int32))").isArray()).isTrue();
        assertThatThrownBy(() -> ClickHouseTypes.convert("d", json("{\"v\":\"1960-01-01\"}").get("v"), "Nullable(Date)"))
                .isInstanceOf(RejectedRecordException.class).hasMessageContaining("outside the range");
        assertThatThrownBy(() -> ClickHouseTypes.convert("id", json("{\"v\":null}").get("v"), "Int32"))
                .isInstanceOf(RejectedRecordException.class).hasMessageContaining("not Nullable");
    }

    @Test
    void subscriptionsAreListsOrPatternsAndTheDefaultSkipsTheDeadLetterTopic() {
        SinkSubscription all = SinkSubscription.of(List.of(), null, "cdc");
        assertThat(all.isPattern()).isTrue();
        assertThat(all.matches("cdc.public.orders")).isTrue();
        assertThat(all.matches("cdc.dlq")).isFalse();
        SinkSubscription listed = SinkSubscription.of(List.of("cdc.public.orders", "prices"), null, "cdc");
        assertThat(listed.topics()).isEqualTo("cdc.public.orders,prices");
        assertThat(listed.matches("prices")).isTrue();
    }
}
