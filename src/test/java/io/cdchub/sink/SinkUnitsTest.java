package io.cdchub.sink;

import io.cdchub.change.ChangeEvent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

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

    private static String id(String key) {
        return DocumentIds.of(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void documentIdsAreStableAndUnambiguous() throws Exception {
        assertThat(id("{\"id\":42}")).isEqualTo("42");
        assertThat(id("{\"region\":\"eu\",\"code\":42}")).isEqualTo("eu|42");
        assertThat(id("{\"a\":\"x|y\",\"b\":\"z\"}")).isNotEqualTo(id("{\"a\":\"x\",\"b\":\"y|z\"}"));
        assertThat(id("{\"a\":\"x\\\\|\",\"b\":\"z\"}")).isEqualTo("x\\\\\\||z");
        // the texts ids had when they were made from a tree of the key: existing documents keep their ids
        assertThat(id("{\"n\":0.0000001}")).isEqualTo("1E-7");
        assertThat(id("{\"n\":12.30,\"o\":{\"a\":[1,true]},\"z\":null}")).isEqualTo("12.30|{\"a\":[1,true]}|null");
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

    /** The JSONEachRow text ClickHouseTypes.write gives for a JSON value and a column type, from text and from a tree. */
    static String written(String value, String type) throws Exception {
        String fromText = written(ChangeEvent.JSON.getFactory().createParser(value), type, true);
        String fromTree = written(ChangeEvent.JSON.readTree(value).traverse(ChangeEvent.JSON), type, false);
        assertThat(fromTree).as("the same from a tree").isEqualTo(fromText);
        return fromText;
    }

    private static String written(com.fasterxml.jackson.core.JsonParser in, String type, boolean fromText) throws Exception {
        java.io.StringWriter text = new java.io.StringWriter();
        try (in; com.fasterxml.jackson.core.JsonGenerator out = ChangeEvent.JSON.getFactory().createGenerator(text)) {
            ClickHouseTypes.write(in, in.nextToken(), ClickHouseTypes.Column.of("c", type), out, fromText);
        }
        return text.toString();
    }

    @Test
    void valuesAreWrittenAsClickHouseTakesThemAndThoseItCannotHoldAreRefused() throws Exception {
        assertThat(written("true", "Nullable(UInt8)")).isEqualTo("1");
        assertThat(written("{\"a\":1}", "Nullable(String)")).isEqualTo("\"{\\\"a\\\":1}\"");
        assertThat(written("12", "String")).isEqualTo("\"12\"");
        assertThat(written("null", "Array(Nullable(Int32))")).isEqualTo("[]");
        assertThat(written("[1,null,true]", "Array(Nullable(UInt8))")).isEqualTo("[1,null,1]");
        assertThat(written("\"NaN\"", "Nullable(Float64)")).isEqualTo("null");
        assertThat(written("123456789012345678901234567890.000001", "Nullable(Decimal(38, 6))")).isEqualTo("123456789012345678901234567890.000001");
        assertThat(written("\"a\\\"b\u00e9\"", "String")).isEqualTo("\"a\\\"b\u00e9\"");
        assertThat(written("\"2020-01-02T03:04:05Z\"", "DateTime('UTC')")).isEqualTo("\"2020-01-02T03:04:05Z\"");
        assertThatThrownBy(() -> written("\"1960-01-01\"", "Nullable(Date)"))
                .isInstanceOf(RejectedRecordException.class).hasMessageContaining("outside the range");
        assertThatThrownBy(() -> written("null", "Int32"))
                .isInstanceOf(RejectedRecordException.class).hasMessageContaining("not Nullable");
        assertThatThrownBy(() -> written("1", "Array(Nullable(Int32))"))
                .isInstanceOf(RejectedRecordException.class).hasMessageContaining("not an array");
    }

    @Test
    void theDefaultSubscriptionIsEveryChangeTopicOfTheSourceRenamedOnesIncluded() {
        // the embedded quick start: commodity_prices renamed to cdc.commodity_prices (two parts, not three)
        io.cdchub.change.ChangeTopicRule rule = new io.cdchub.change.ChangeTopicRule("cdc",
                Map.of("commodity_prices", "cdc.commodity_prices", "public.audit", "audit-trail"), "cdc.dlq");
        SinkSubscription all = SinkSubscription.of(List.of(), null, rule);
        assertThat(all.matches("cdc.commodity_prices")).isTrue();
        assertThat(all.matches("audit-trail")).isTrue();
        assertThat(all.matches("cdc.public.customers")).isTrue();
        assertThat(all.matches("cdc.dlq")).isFalse();
        assertThat(all.matches("cdc.other_table")).isFalse(); // not renamed, not <prefix>.<schema>.<table>
        assertThat(all.matches("cdcXcommodity_prices")).isFalse(); // the dots are taken literally
        // a rename onto the dead-letter topic (a mistake) never makes a sink read its own dead letters
        assertThat(new io.cdchub.change.ChangeTopicRule("cdc", Map.of("t", "cdc.dlq"), "cdc.dlq").isChangeTopic("cdc.dlq")).isFalse();
    }

    @Test
    void subscriptionsAreListsOrPatternsAndTheDefaultSkipsTheDeadLetterTopic() {
        io.cdchub.change.ChangeTopicRule rule = new io.cdchub.change.ChangeTopicRule("cdc", Map.of(), "cdc.dlq");
        SinkSubscription all = SinkSubscription.of(List.of(), null, rule);
        assertThat(all.isPattern()).isTrue();
        assertThat(all.matches("cdc.public.orders")).isTrue();
        assertThat(all.matches("cdc.dlq")).isFalse();
        SinkSubscription listed = SinkSubscription.of(List.of("cdc.public.orders", "prices"), null, rule);
        assertThat(listed.topics()).isEqualTo("cdc.public.orders,prices");
        assertThat(listed.matches("prices")).isTrue();
    }

    @Test
    void onlyAnElasticsearchRefusalOfTheContentIsADeadLetter() {
        // a bulk request refused as a whole: halved down to the refused record only for 400 (malformed) and 413 (too large);
        // wrong or expired credentials (401), missing rights (403), a wrong address (404) are the target being unavailable
        assertThat(io.cdchub.sink.search.ElasticsearchSink.refusesTheContent(400)).isTrue();
        assertThat(io.cdchub.sink.search.ElasticsearchSink.refusesTheContent(413)).isTrue();
        for (int status : new int[] {-1, 401, 403, 404, 405, 408, 429, 500, 502, 503}) {
            assertThat(io.cdchub.sink.search.ElasticsearchSink.refusesTheContent(status)).as("status %d", status).isFalse();
        }
        // per item
        assertThat(io.cdchub.sink.search.ElasticsearchSink.refusesTheDocument(400, "mapper_parsing_exception")).isTrue();
        assertThat(io.cdchub.sink.search.ElasticsearchSink.refusesTheDocument(400, "document_parsing_exception")).isTrue();
        assertThat(io.cdchub.sink.search.ElasticsearchSink.refusesTheDocument(400, "index_closed_exception")).isFalse();
        assertThat(io.cdchub.sink.search.ElasticsearchSink.refusesTheDocument(403, "cluster_block_exception")).isFalse();
        assertThat(io.cdchub.sink.search.ElasticsearchSink.refusesTheDocument(403, "security_exception")).isFalse();
        assertThat(io.cdchub.sink.search.ElasticsearchSink.refusesTheDocument(401, "security_exception")).isFalse();
        assertThat(io.cdchub.sink.search.ElasticsearchSink.refusesTheDocument(404, "index_not_found_exception")).isFalse();
        assertThat(io.cdchub.sink.search.ElasticsearchSink.refusesTheDocument(429, "es_rejected_execution_exception")).isFalse();
    }
}
