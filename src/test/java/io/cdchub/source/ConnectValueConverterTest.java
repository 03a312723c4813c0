package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.debezium.connector.postgresql.PostgresValueConverter;
import io.debezium.connector.postgresql.data.Ltree;
import io.debezium.data.Bits;
import io.debezium.data.Enum;
import io.debezium.data.EnumSet;
import io.debezium.data.Json;
import io.debezium.data.SpecialValueDecimal;
import io.debezium.data.TsVector;
import io.debezium.data.Uuid;
import io.debezium.data.VariableScaleDecimal;
import io.debezium.data.Xml;
import io.debezium.data.geometry.Geometry;
import io.debezium.data.geometry.Point;
import io.debezium.data.vector.DoubleVector;
import io.debezium.data.vector.SparseDoubleVector;
import io.debezium.time.Interval;
import io.debezium.time.MicroDuration;
import io.debezium.time.MicroTime;
import io.debezium.time.MicroTimestamp;
import io.debezium.time.NanoTime;
import io.debezium.time.NanoTimestamp;
import io.debezium.time.Time;
import io.debezium.time.Timestamp;
import io.debezium.time.ZonedTime;
import io.debezium.time.ZonedTimestamp;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;
import org.postgresql.PGStatement;

class ConnectValueConverterTest {

    private static final ObjectWriter WRITER = new ObjectMapper()
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
            .writer();
    private static final String TOAST = ConnectValueConverter.UNAVAILABLE_VALUE_PLACEHOLDER;
    private static final String TOAST_JSON = "\"" + TOAST + "\"";
    private static final byte[] TOAST_BYTES = TOAST.getBytes(StandardCharsets.UTF_8);

    private final ConnectValueConverter converter = new ConnectValueConverter();

    private static String json(JsonNode node) {
        try {
            return WRITER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The tree's JSON; also checks that the streaming writer the source uses writes exactly the same. */
    private String convert(Schema schema, Object value) {
        String tree = json(converter.convert(schema, value, "public.t.col"));
        Struct row;
        try {
            row = new Struct(SchemaBuilder.struct().field("v", schema).build()).put("v", value);
        } catch (org.apache.kafka.connect.errors.DataException e) {
            return tree; // a value Connect itself would not let into a struct: only the tree path can see it
        }
        assertThat(streamed(row)).as("streamed row").isEqualTo("{\"v\":" + tree + "}");
        return tree;
    }

    private String streamed(Struct row) {
        var out = new java.io.ByteArrayOutputStream();
        try (JsonGenerator generator = new ObjectMapper().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN).createGenerator(out)) {
            converter.writeRow(generator, row);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static Struct vsd(String decimal) {
        return VariableScaleDecimal.fromLogical(VariableScaleDecimal.builder().optional().build(), new BigDecimal(decimal));
    }

    private static long micros(LocalDateTime time) {
        return time.toEpochSecond(ZoneOffset.UTC) * 1_000_000L + time.getNano() / 1_000;
    }

    // --- rows, scalars, nulls ----------------------------------------------------------------------------

    @Test
    void rowBecomesObjectInSchemaOrderWithExactNumbers() {
        Schema schema = SchemaBuilder.struct().name("cdchub.public.orders.Value")
                .field("id", Schema.INT64_SCHEMA)
                .field("small", Schema.OPTIONAL_INT16_SCHEMA)
                .field("tiny", Schema.OPTIONAL_INT8_SCHEMA)
                .field("qty", Schema.OPTIONAL_INT32_SCHEMA)
                .field("ok", Schema.OPTIONAL_BOOLEAN_SCHEMA)
                .field("note", Schema.OPTIONAL_STRING_SCHEMA)
                .field("price", Schema.OPTIONAL_FLOAT32_SCHEMA)
                .field("ratio", Schema.OPTIONAL_FLOAT64_SCHEMA)
                .build();
        Struct row = new Struct(schema)
                .put("id", 9_007_199_254_740_993L) // 2^53 + 1: not representable as a double
                .put("small", (short) -7)
                .put("tiny", (byte) 3)
                .put("qty", Integer.MIN_VALUE)
                .put("ok", true)
                .put("note", "héllo \"quoted\"")
                .put("price", 3.3f)
                .put("ratio", 0.1);

        assertThat(streamed(row)).isEqualTo(json(converter.convertRow(row)));
        assertThat(json(converter.convertRow(row))).isEqualTo(
                "{\"id\":9007199254740993,\"small\":-7,\"tiny\":3,\"qty\":-2147483648,\"ok\":true,"
                        + "\"note\":\"héllo \\\"quoted\\\"\",\"price\":3.3,\"ratio\":0.1}");
    }

    @Test
    void nullRowAndNullValuesBecomeJsonNull() {
        assertThat(converter.convertRow(null).isNull()).isTrue();
        assertThat(convert(Json.builder().optional().build(), null)).isEqualTo("null");
        assertThat(convert(MicroTimestamp.builder().optional().build(), null)).isEqualTo("null");
        assertThat(convert(VariableScaleDecimal.builder().optional().build(), null)).isEqualTo("null");
        assertThat(convert(SchemaBuilder.bytes().name("io.example.Unknown").optional().build(), null)).isEqualTo("null");
    }

    @Test
    void nullFieldStaysNullEvenWhenTheSchemaHasADefault() {
        Schema schema = SchemaBuilder.struct()
                .field("status", SchemaBuilder.string().optional().defaultValue("pending").build())
                .field("qty", SchemaBuilder.int32().optional().defaultValue(1).build())
                .build();
        Struct row = new Struct(schema).put("status", null).put("qty", 5);

        assertThat(json(converter.convertRow(row))).isEqualTo("{\"status\":null,\"qty\":5}");
    }

    @Test
    void floatingPointSpecialValuesBecomeStrings() {
        assertThat(convert(Schema.FLOAT32_SCHEMA, Float.NaN)).isEqualTo("\"NaN\"");
        assertThat(convert(Schema.FLOAT32_SCHEMA, Float.POSITIVE_INFINITY)).isEqualTo("\"Infinity\"");
        assertThat(convert(Schema.FLOAT32_SCHEMA, Float.NEGATIVE_INFINITY)).isEqualTo("\"-Infinity\"");
        assertThat(convert(Schema.FLOAT64_SCHEMA, Double.NaN)).isEqualTo("\"NaN\"");
        assertThat(convert(Schema.FLOAT64_SCHEMA, Double.POSITIVE_INFINITY)).isEqualTo("\"Infinity\"");
        assertThat(convert(Schema.FLOAT64_SCHEMA, Double.NEGATIVE_INFINITY)).isEqualTo("\"-Infinity\"");
        assertThat(convert(Schema.FLOAT64_SCHEMA, -1.0E-300)).isEqualTo("-1.0E-300");
    }

    // --- numeric -----------------------------------------------------------------------------------------

    @Test
    void fixedScaleDecimalKeepsEveryDigitAndTrailingZeros() {
        Schema schema = SchemaBuilder.struct()
                .field("total", Decimal.builder(12).optional().build())
                .build();
        Struct row = new Struct(schema).put("total", new BigDecimal("12345678901234567890.123456789000"));

        assertThat(json(converter.convertRow(row))).isEqualTo("{\"total\":12345678901234567890.123456789000}");
        assertThat(convert(Decimal.builder(2).build(), new BigDecimal("-0.10"))).isEqualTo("-0.10");
        assertThat(convert(Decimal.builder(-3).build(), new BigDecimal("12E+3"))).isEqualTo("12000");
    }

    @Test
    void variableScaleDecimalIsDecodedExactly() {
        Schema schema = VariableScaleDecimal.builder().optional().build();

        assertThat(convert(schema, vsd("12345678901234567890.123456789000"))).isEqualTo("12345678901234567890.123456789000");
        assertThat(convert(schema, vsd("-0.000100"))).isEqualTo("-0.000100");
        assertThat(convert(schema, vsd("98765432109876543210987654321"))).isEqualTo("98765432109876543210987654321");

        Struct fromBuffer = new Struct(schema)
                .put(VariableScaleDecimal.SCALE_FIELD, 2)
                .put(VariableScaleDecimal.VALUE_FIELD, ByteBuffer.wrap(new BigInteger("-12345").toByteArray()));
        assertThat(convert(schema, fromBuffer)).isEqualTo("-123.45");
    }

    @Test
    void specialNumericValuesAreRejectedNotGuessed() {
        Schema vsdSchema = VariableScaleDecimal.builder().optional().build();

        assertThatThrownBy(() -> converter.convert(vsdSchema, SpecialValueDecimal.NOT_A_NUMBER, "public.m.n"))
                .isInstanceOf(UnconvertibleChangeException.class)
                .hasMessageContaining("'public.m.n'")
                .hasMessageContaining("STRUCT")
                .hasMessageContaining("'io.debezium.data.VariableScaleDecimal'");
        assertThatThrownBy(() -> converter.convert(Decimal.schema(2), SpecialValueDecimal.POSITIVE_INF, "public.m.d"))
                .isInstanceOf(UnconvertibleChangeException.class)
                .hasMessageContaining("'public.m.d'")
                .hasMessageContaining("'org.apache.kafka.connect.data.Decimal'");
        Struct withoutValue = new Struct(vsdSchema).put(VariableScaleDecimal.SCALE_FIELD, 0);
        assertThatThrownBy(() -> converter.convert(vsdSchema, withoutValue, "public.m.n"))
                .isInstanceOf(UnconvertibleChangeException.class)
                .hasMessageContaining("'public.m.n'");

        assertThat(convert(vsdSchema, new SpecialValueDecimal(new BigDecimal("1.50")))).isEqualTo("1.50");
    }

    @Test
    void nestedArraysOfNumericsStayExact() {
        Schema element = VariableScaleDecimal.builder().optional().build();
        Schema inner = SchemaBuilder.array(element).optional().build();
        Schema outer = SchemaBuilder.array(inner).optional().build();
        List<Object> value = List.of(
                List.of(vsd("1.10"), vsd("-2.5")),
                List.of(),
                Arrays.asList(vsd("0"), null, vsd("12345678901234567890.123456789000")));

        assertThat(convert(outer, value)).isEqualTo("[[1.10,-2.5],[],[0,null,12345678901234567890.123456789000]]");
        assertThat(convert(SchemaBuilder.array(Decimal.builder(2).optional().build()).build(),
                Arrays.asList(new BigDecimal("1.00"), null, new BigDecimal("2.50")))).isEqualTo("[1.00,null,2.50]");
    }

    // --- date and time -----------------------------------------------------------------------------------

    @Test
    void datesAreLocalIsoDates() {
        Schema date = io.debezium.time.Date.builder().optional().build();

        assertThat(convert(date, (int) LocalDate.of(2024, 2, 29).toEpochDay())).isEqualTo("\"2024-02-29\"");
        assertThat(convert(date, -1)).isEqualTo("\"1969-12-31\"");
        assertThat(convert(date, (int) LocalDate.of(-4713, 11, 24).toEpochDay())).isEqualTo("\"-4713-11-24\"");
        assertThat(convert(org.apache.kafka.connect.data.Date.SCHEMA, new java.util.Date(19_782L * 86_400_000L)))
                .isEqualTo("\"2024-02-29\"");
        assertThat(convert(org.apache.kafka.connect.data.Date.SCHEMA, new java.util.Date(-86_400_000L)))
                .isEqualTo("\"1969-12-31\"");
    }

    @Test
    void infiniteDatesBecomeInfinityStrings() {
        Schema date = io.debezium.time.Date.builder().optional().build();
        // what Debezium 3.4 puts in the record for date 'infinity' / '-infinity' while streaming
        int positive = io.debezium.time.Date.toEpochDay(PostgresValueConverter.POSITIVE_INFINITY_LOCAL_DATE, null);
        int negative = io.debezium.time.Date.toEpochDay(PostgresValueConverter.NEGATIVE_INFINITY_LOCAL_DATE, null);

        assertThat(convert(date, positive)).isEqualTo("\"infinity\"");
        assertThat(convert(date, negative)).isEqualTo("\"-infinity\"");
        // the snapshot path turns java.sql.Date infinity into a far-away day: rejected, not rendered as a bogus year
        int snapshotPositive = io.debezium.time.Date.toEpochDay(PostgresValueConverter.POSITIVE_INFINITY_DATE, null);
        assertThatThrownBy(() -> converter.convert(date, snapshotPositive, "public.t.valid_until"))
                .isInstanceOf(UnconvertibleChangeException.class)
                .hasMessageContaining("'public.t.valid_until'")
                .hasMessageContaining("INT32")
                .hasMessageContaining("'io.debezium.time.Date'");
    }

    @Test
    void timesAreIsoLocalTimesIncludingEndOfDay() {
        Schema microTime = MicroTime.builder().optional().build();

        assertThat(convert(microTime, 49_530_123_456L)).isEqualTo("\"13:45:30.123456\"");
        assertThat(convert(microTime, 49_530_120_000L)).isEqualTo("\"13:45:30.12\"");
        assertThat(convert(microTime, 49_500_000_000L)).isEqualTo("\"13:45:00\"");
        assertThat(convert(microTime, 0L)).isEqualTo("\"00:00:00\"");
        assertThat(convert(microTime, MicroTime.toMicroOfDay(java.time.Duration.ofHours(24), false)))
                .isEqualTo("\"24:00:00\"");
        assertThat(convert(microTime, 86_400_000_000L)).isEqualTo("\"24:00:00\"");
        assertThat(convert(Time.builder().build(), 49_530_123)).isEqualTo("\"13:45:30.123\"");
        assertThat(convert(Time.builder().build(), 86_400_000)).isEqualTo("\"24:00:00\"");
        assertThat(convert(NanoTime.builder().build(), 49_530_123_456_789L)).isEqualTo("\"13:45:30.123456789\"");
        assertThat(convert(org.apache.kafka.connect.data.Time.SCHEMA, new java.util.Date(49_530_123L)))
                .isEqualTo("\"13:45:30.123\"");

        assertThatThrownBy(() -> converter.convert(microTime, -1L, "public.t.at"))
                .isInstanceOf(UnconvertibleChangeException.class)
                .hasMessageContaining("'public.t.at'")
                .hasMessageContaining("'io.debezium.time.MicroTime'");
        assertThatThrownBy(() -> converter.convert(microTime, 86_400_000_001L, "public.t.at"))
                .isInstanceOf(UnconvertibleChangeException.class);
    }

    @Test
    void timestampsAreLocalIsoDateTimesWithoutZone() {
        Schema microTs = MicroTimestamp.builder().optional().build();

        assertThat(convert(microTs, micros(LocalDateTime.of(2024, 2, 29, 13, 45, 30, 123_456_000))))
                .isEqualTo("\"2024-02-29T13:45:30.123456\"");
        assertThat(convert(microTs, 0L)).isEqualTo("\"1970-01-01T00:00:00\"");
        assertThat(convert(Timestamp.builder().build(), 1_709_214_330_120L)).isEqualTo("\"2024-02-29T13:45:30.12\"");
        assertThat(convert(NanoTimestamp.builder().build(), 1L)).isEqualTo("\"1970-01-01T00:00:00.000000001\"");
        assertThat(convert(org.apache.kafka.connect.data.Timestamp.SCHEMA, new java.util.Date(1_709_214_330_123L)))
                .isEqualTo("\"2024-02-29T13:45:30.123\"");
        // Debezium's own largest timestamp test value
        assertThat(convert(microTs, 9_223_371_331_200_000_000L - 1L)).isEqualTo("\"+294247-01-01T23:59:59.999999\"");
    }

    @Test
    void timestampsBeforeTheEpochUseFloorArithmetic() {
        Schema microTs = MicroTimestamp.builder().optional().build();

        assertThat(convert(microTs, -1L)).isEqualTo("\"1969-12-31T23:59:59.999999\"");
        assertThat(convert(microTs, -1_500_000L)).isEqualTo("\"1969-12-31T23:59:58.5\"");
        assertThat(convert(microTs, micros(LocalDateTime.of(1936, 10, 25, 22, 10, 12, 608_000_000))))
                .isEqualTo("\"1936-10-25T22:10:12.608\"");
        assertThat(convert(microTs, micros(LocalDateTime.of(-4712, 12, 31, 23, 59, 59, 999_999_000))))
                .isEqualTo("\"-4712-12-31T23:59:59.999999\"");
        assertThat(convert(Timestamp.builder().build(), -1L)).isEqualTo("\"1969-12-31T23:59:59.999\"");
        assertThat(convert(NanoTimestamp.builder().build(), -1L)).isEqualTo("\"1969-12-31T23:59:59.999999999\"");
        assertThat(convert(org.apache.kafka.connect.data.Timestamp.SCHEMA, new java.util.Date(-1L)))
                .isEqualTo("\"1969-12-31T23:59:59.999\"");
    }

    @Test
    void infiniteTimestampsBecomeInfinityStrings() {
        Schema microTs = MicroTimestamp.builder().optional().build();
        Schema milliTs = Timestamp.builder().optional().build();

        // exactly what Debezium 3.4 emits for timestamp 'infinity' / '-infinity'
        assertThat(convert(microTs, MicroTimestamp.toEpochMicros(PostgresValueConverter.POSITIVE_INFINITY_LOCAL_DATE_TIME, null)))
                .isEqualTo("\"infinity\"");
        assertThat(convert(microTs, MicroTimestamp.toEpochMicros(PostgresValueConverter.NEGATIVE_INFINITY_INSTANT, null)))
                .isEqualTo("\"-infinity\"");
        assertThat(convert(microTs, PGStatement.DATE_POSITIVE_INFINITY)).isEqualTo("\"infinity\"");
        assertThat(convert(microTs, PGStatement.DATE_NEGATIVE_INFINITY)).isEqualTo("\"-infinity\"");
        assertThat(convert(milliTs, Timestamp.toEpochMillis(PostgresValueConverter.POSITIVE_INFINITY_LOCAL_DATE_TIME, null)))
                .isEqualTo("\"infinity\"");
        assertThat(convert(milliTs, Timestamp.toEpochMillis(PostgresValueConverter.NEGATIVE_INFINITY_INSTANT, null)))
                .isEqualTo("\"-infinity\"");
        assertThat(convert(microTs, Long.MAX_VALUE)).isEqualTo("\"infinity\"");
        assertThat(convert(microTs, Long.MIN_VALUE)).isEqualTo("\"-infinity\"");
        assertThat(convert(NanoTimestamp.builder().build(), Long.MAX_VALUE)).isEqualTo("\"infinity\"");
        assertThat(convert(NanoTimestamp.builder().build(), Long.MIN_VALUE)).isEqualTo("\"-infinity\"");
    }

    @Test
    void zonedValuesAndIntervalsPassThroughAsText() {
        Schema zoned = ZonedTimestamp.builder().optional().build();

        assertThat(convert(zoned, "2024-02-29T13:45:30.123456Z")).isEqualTo("\"2024-02-29T13:45:30.123456Z\"");
        assertThat(convert(zoned, "infinity")).isEqualTo("\"infinity\"");
        assertThat(convert(zoned, "-infinity")).isEqualTo("\"-infinity\"");
        assertThat(convert(ZonedTime.builder().build(), "11:51:30.123789Z")).isEqualTo("\"11:51:30.123789Z\"");
        String interval = Interval.toIsoString(1, 2, 3, 4, 5, new BigDecimal("6.78"));
        assertThat(convert(Interval.builder().build(), interval)).isEqualTo("\"P1Y2M3DT4H5M6.78S\"");
    }

    @Test
    void microDurationBecomesIsoDuration() {
        Schema duration = MicroDuration.builder().optional().build();

        assertThat(convert(duration, 93_784_500_000L)).isEqualTo("\"PT26H3M4.5S\"");
        assertThat(convert(duration, -1_500_000L)).isEqualTo("\"PT-1.5S\"");
        assertThat(convert(duration, 0L)).isEqualTo("\"PT0S\"");
        assertThat(convert(duration, 93_784_500_000L))
                .isEqualTo("\"" + java.time.Duration.ofNanos(93_784_500_000L * 1000).toString() + "\"");
    }

    // --- text-like Debezium types ------------------------------------------------------------------------

    @Test
    void textLogicalTypesPassThrough() {
        assertThat(convert(Uuid.builder().build(), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
                .isEqualTo("\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
        assertThat(convert(Enum.builder("new,paid").build(), "paid")).isEqualTo("\"paid\"");
        assertThat(convert(EnumSet.builder("a,b").build(), "a,b")).isEqualTo("\"a,b\"");
        assertThat(convert(Xml.builder().build(), "<a x=\"1\"/>")).isEqualTo("\"<a x=\\\"1\\\"/>\"");
        assertThat(convert(Ltree.builder().build(), "Top.Science")).isEqualTo("\"Top.Science\"");
        assertThat(convert(TsVector.builder().build(), "'a':1 'b':2")).isEqualTo("\"'a':1 'b':2\"");
        assertThat(convert(SchemaBuilder.string().name(Bits.LOGICAL_NAME).build(), "0101")).isEqualTo("\"0101\"");
    }

    // --- json ----------------------------------------------------------------------------------------------

    @Test
    void jsonbObjectIsEmbeddedWithExactNumbers() {
        Schema schema = SchemaBuilder.struct()
                .field("doc", Json.builder().optional().build())
                .build();
        Struct row = new Struct(schema).put("doc",
                "{\"a\": 1.10, \"b\": [1, 2.50, \"x\"], \"c\": {\"d\": null}, \"big\": 123456789012345678901234567890.000,"
                        + " \"n\": 98765432109876543210987654321}");

        assertThat(json(converter.convertRow(row))).isEqualTo(
                "{\"doc\":{\"a\":1.10,\"b\":[1,2.50,\"x\"],\"c\":{\"d\":null},"
                        + "\"big\":123456789012345678901234567890.000,\"n\":98765432109876543210987654321}}");
    }

    @Test
    void jsonbArrayAndScalarsAreEmbedded() {
        Schema schema = Json.builder().optional().build();

        assertThat(convert(schema, "[{\"k\": true}, 3, null, \"s\"]")).isEqualTo("[{\"k\":true},3,null,\"s\"]");
        assertThat(convert(schema, "\"just text\"")).isEqualTo("\"just text\"");
        assertThat(convert(schema, "{\"a\": \"1\", \"b\": null}")).isEqualTo("{\"a\":\"1\",\"b\":null}"); // hstore as json
    }

    @Test
    void invalidJsonIsRejected() {
        Schema schema = Json.builder().optional().build();

        for (String bad : List.of("{not json", "", "{} {}", "[1,")) {
            assertThatThrownBy(() -> converter.convert(schema, bad, "public.docs.body"))
                    .as("input %s", bad)
                    .isInstanceOf(UnconvertibleChangeException.class)
                    .hasMessageContaining("'public.docs.body'")
                    .hasMessageContaining("STRING")
                    .hasMessageContaining("'io.debezium.data.Json'");
        }
    }

    // --- bytes -----------------------------------------------------------------------------------------------

    @Test
    void byteaBecomesBase64FromArrayAndBuffers() {
        byte[] bytes = {1, 2, 3, (byte) 0xff};

        assertThat(convert(Schema.OPTIONAL_BYTES_SCHEMA, bytes)).isEqualTo("\"AQID/w==\"");

        ByteBuffer heap = ByteBuffer.wrap(new byte[] {9, 9, 1, 2, 3, (byte) 0xff, 7});
        heap.position(2).limit(6);
        assertThat(convert(Schema.OPTIONAL_BYTES_SCHEMA, heap)).isEqualTo("\"AQID/w==\"");
        assertThat(heap.position()).isEqualTo(2);
        assertThat(heap.limit()).isEqualTo(6);

        ByteBuffer direct = ByteBuffer.allocateDirect(4).put(bytes);
        direct.flip();
        assertThat(convert(Schema.OPTIONAL_BYTES_SCHEMA, direct)).isEqualTo("\"AQID/w==\"");
        assertThat(direct.position()).isZero();
        assertThat(direct.remaining()).isEqualTo(4);

        ByteBuffer readOnly = ByteBuffer.wrap(bytes).asReadOnlyBuffer();
        assertThat(convert(Schema.OPTIONAL_BYTES_SCHEMA, readOnly)).isEqualTo("\"AQID/w==\"");
        assertThat(readOnly.position()).isZero();

        assertThat(convert(Schema.OPTIONAL_BYTES_SCHEMA, new byte[0])).isEqualTo("\"\"");
    }

    @Test
    void bitStringsBecomeBase64() {
        assertThat(convert(Bits.builder(24).optional().build(), new byte[] {1, 2, 3})).isEqualTo("\"AQID\"");
        assertThat(convert(Bits.builder(64).build(), ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 0, 0, 0, -128})))
                .isEqualTo("\"AAAAAAAAAIA=\"");
    }

    // --- unchanged TOAST placeholder -----------------------------------------------------------------------

    @Test
    void toastPlaceholderIsKeptAsTextForScalars() {
        assertThat(convert(Schema.OPTIONAL_STRING_SCHEMA, TOAST)).isEqualTo(TOAST_JSON);
        assertThat(convert(Schema.OPTIONAL_BYTES_SCHEMA, TOAST_BYTES.clone())).isEqualTo(TOAST_JSON);
        ByteBuffer buffer = ByteBuffer.wrap(TOAST_BYTES.clone());
        assertThat(convert(Schema.OPTIONAL_BYTES_SCHEMA, buffer)).isEqualTo(TOAST_JSON);
        assertThat(buffer.position()).isZero();
        assertThat(convert(Json.builder().optional().build(), TOAST)).isEqualTo(TOAST_JSON);
        assertThat(convert(Xml.builder().optional().build(), TOAST)).isEqualTo(TOAST_JSON);
        assertThat(convert(MicroTimestamp.builder().optional().build(), TOAST)).isEqualTo(TOAST_JSON);
        assertThat(convert(VariableScaleDecimal.builder().optional().build(), TOAST)).isEqualTo(TOAST_JSON);
        assertThat(convert(SchemaBuilder.array(Schema.INT32_SCHEMA).optional().build(), TOAST)).isEqualTo(TOAST_JSON);
        // Debezium's hstore (json mode) marker is the placeholder too, not a real document
        assertThat(convert(Json.builder().optional().build(), "{\"" + TOAST + "\":\"" + TOAST + "\"}")).isEqualTo(TOAST_JSON);
    }

    @Test
    void toastPlaceholderInARow() {
        Schema schema = SchemaBuilder.struct().name("cdchub.public.docs.Value")
                .field("id", Schema.INT32_SCHEMA)
                .field("body", Schema.OPTIONAL_STRING_SCHEMA)
                .field("doc", Json.builder().optional().build())
                .field("blob", Schema.OPTIONAL_BYTES_SCHEMA)
                .field("tags", SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).optional().build())
                .build();
        Struct row = new Struct(schema)
                .put("id", 1)
                .put("body", TOAST)
                .put("doc", TOAST)
                .put("blob", TOAST_BYTES.clone())
                .put("tags", List.of(TOAST));

        assertThat(json(converter.convertRow(row))).isEqualTo(
                "{\"id\":1,\"body\":" + TOAST_JSON + ",\"doc\":" + TOAST_JSON + ",\"blob\":" + TOAST_JSON
                        + ",\"tags\":[" + TOAST_JSON + "]}");
    }

    @Test
    void toastPlaceholderInsideArrays() {
        String toastArray = "[" + TOAST_JSON + "]";
        // text[], json[], bytea[]: a list holding the placeholder
        assertThat(convert(SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build(), List.of(TOAST))).isEqualTo(toastArray);
        assertThat(convert(SchemaBuilder.array(Json.builder().optional().build()).build(), List.of(TOAST))).isEqualTo(toastArray);
        assertThat(convert(SchemaBuilder.array(Schema.OPTIONAL_BYTES_SCHEMA).build(), List.of(TOAST_BYTES.clone())))
                .isEqualTo(toastArray);
        // integer[], date[], bigint[]: Debezium sends the placeholder's bytes as numbers
        List<Integer> ints = new ArrayList<>();
        List<Long> longs = new ArrayList<>();
        for (byte b : TOAST_BYTES) {
            ints.add((int) b);
            longs.add((long) b);
        }
        assertThat(convert(SchemaBuilder.array(Schema.OPTIONAL_INT32_SCHEMA).build(), ints)).isEqualTo(toastArray);
        assertThat(convert(SchemaBuilder.array(io.debezium.time.Date.builder().optional().build()).build(), ints))
                .isEqualTo(toastArray);
        assertThat(convert(SchemaBuilder.array(Schema.OPTIONAL_INT64_SCHEMA).build(), longs)).isEqualTo(toastArray);
        // uuid[]: the name-based UUID of the placeholder
        assertThat(convert(SchemaBuilder.array(Uuid.builder().optional().build()).build(),
                List.of(UUID.nameUUIDFromBytes(TOAST_BYTES).toString()))).isEqualTo(toastArray);

        // ordinary arrays are not mistaken for the marker
        assertThat(convert(SchemaBuilder.array(Schema.OPTIONAL_INT32_SCHEMA).build(), ints.subList(1, ints.size())))
                .startsWith("[95,100,");
        assertThat(convert(SchemaBuilder.array(Uuid.builder().optional().build()).build(),
                List.of("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))).isEqualTo("[\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"]");
    }

    @Test
    void customPlaceholder() {
        ConnectValueConverter custom = new ConnectValueConverter("<unchanged>");

        assertThat(json(custom.convert(Schema.OPTIONAL_BYTES_SCHEMA, "<unchanged>".getBytes(StandardCharsets.UTF_8), "b")))
                .isEqualTo("\"<unchanged>\"");
        assertThat(json(custom.convert(Json.builder().build(), "<unchanged>", "j"))).isEqualTo("\"<unchanged>\"");
        assertThat(json(custom.convert(Schema.OPTIONAL_BYTES_SCHEMA, TOAST_BYTES.clone(), "b")))
                .isEqualTo("\"" + Base64.getEncoder().encodeToString(TOAST_BYTES) + "\"");
        assertThatThrownBy(() -> new ConnectValueConverter("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ConnectValueConverter("hex:00")).isInstanceOf(IllegalArgumentException.class);
    }

    // --- maps and structs ----------------------------------------------------------------------------------

    @Test
    void mapsBecomeObjectsKeyedByStringValueOfKey() {
        Map<String, String> hstore = new LinkedHashMap<>();
        hstore.put("a", "1");
        hstore.put("b", null);
        assertThat(convert(SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA).build(), hstore))
                .isEqualTo("{\"a\":\"1\",\"b\":null}");

        Schema sparse = SparseDoubleVector.builder().build();
        Map<Short, Double> vector = new LinkedHashMap<>();
        vector.put((short) 1, 0.5);
        vector.put((short) 3, 2.0);
        Struct value = new Struct(sparse)
                .put(SparseDoubleVector.DIMENSIONS_FIELD, (short) 5)
                .put(SparseDoubleVector.VECTOR_FIELD, vector);
        assertThat(convert(sparse, value)).isEqualTo("{\"dimensions\":5,\"vector\":{\"1\":0.5,\"3\":2.0}}");
    }

    @Test
    void structsBecomeObjectsWithBase64Wkb() {
        Schema point = Point.builder().optional().build();
        Struct p = Point.createValue(point, 1.5, -2.25);
        String wkb = Base64.getEncoder().encodeToString(p.getBytes(Point.WKB_FIELD));
        assertThat(convert(point, p)).isEqualTo("{\"x\":1.5,\"y\":-2.25,\"wkb\":\"" + wkb + "\",\"srid\":null}");

        Schema geometry = Geometry.builder().optional().build();
        assertThat(convert(geometry, Geometry.createValue(geometry, new byte[] {1, 2, 3}, 4326)))
                .isEqualTo("{\"wkb\":\"AQID\",\"srid\":4326}");

        Schema inner = SchemaBuilder.struct().field("c", Schema.OPTIONAL_STRING_SCHEMA).optional().build();
        Schema composite = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).field("b", inner).build();
        assertThat(convert(composite, new Struct(composite).put("a", 1).put("b", new Struct(inner).put("c", "x"))))
                .isEqualTo("{\"a\":1,\"b\":{\"c\":\"x\"}}");

        assertThat(convert(DoubleVector.builder().build(), List.of(1.0, -0.5))).isEqualTo("[1.0,-0.5]");
    }

    // --- errors -------------------------------------------------------------------------------------------------

    @Test
    void unknownLogicalNameIsRejectedWithFieldPath() {
        Schema unknown = SchemaBuilder.bytes().name("io.example.Unknown").optional().build();

        assertThatThrownBy(() -> converter.convert(unknown, new byte[] {1}, "payload"))
                .isInstanceOf(UnconvertibleChangeException.class)
                .hasMessage("Cannot convert field 'payload' of type BYTES with logical type 'io.example.Unknown': "
                        + "no mapping for this logical type");

        Schema row = SchemaBuilder.struct().name("cdchub.public.orders.Value")
                .field("id", Schema.INT32_SCHEMA)
                .field("payload", unknown)
                .field("tags", SchemaBuilder.array(SchemaBuilder.string().name("io.example.Tag").optional().build())
                        .optional().build())
                .build();
        Struct withPayload = new Struct(row).put("id", 1).put("payload", new byte[] {1});
        assertThatThrownBy(() -> converter.convertRow(withPayload))
                .isInstanceOf(UnconvertibleChangeException.class)
                .hasMessageStartingWith("Cannot convert field 'public.orders.payload' of type BYTES with logical type "
                        + "'io.example.Unknown'");
        Struct withTags = new Struct(row).put("id", 1).put("tags", Arrays.asList(null, null, "x"));
        assertThatThrownBy(() -> converter.convertRow(withTags))
                .isInstanceOf(UnconvertibleChangeException.class)
                .hasMessageStartingWith("Cannot convert field 'public.orders.tags[2]' of type STRING with logical type "
                        + "'io.example.Tag'");

        assertThatThrownBy(() -> converter.convert(SchemaBuilder.int32().name("io.debezium.time.Year").build(), 2024, "y"))
                .isInstanceOf(UnconvertibleChangeException.class)
                .hasMessageContaining("'io.debezium.time.Year'");
        Schema namedStruct = SchemaBuilder.struct().name("io.example.Money").field("amount", Schema.INT64_SCHEMA).build();
        assertThatThrownBy(() -> converter.convert(namedStruct, new Struct(namedStruct).put("amount", 1L), "price"))
                .isInstanceOf(UnconvertibleChangeException.class)
                .hasMessageContaining("'price'")
                .hasMessageContaining("STRUCT");
    }

    @Test
    void typeMismatchIsRejected() {
        assertThatThrownBy(() -> converter.convert(Schema.INT32_SCHEMA, "42", "public.orders.qty"))
                .isInstanceOf(UnconvertibleChangeException.class)
                .hasMessage("Cannot convert field 'public.orders.qty' of type INT32 without logical type: "
                        + "unexpected Java value of class java.lang.String");
        assertThatThrownBy(() -> converter.convert(Schema.INT64_SCHEMA, 42, "n"))
                .isInstanceOf(UnconvertibleChangeException.class)
                .hasMessageContaining("INT64")
                .hasMessageContaining("java.lang.Integer");
        assertThatThrownBy(() -> converter.convert(MicroTimestamp.builder().build(), 42, "ts"))
                .isInstanceOf(UnconvertibleChangeException.class)
                .hasMessageContaining("'ts'")
                .hasMessageContaining("'io.debezium.time.MicroTimestamp'")
                .hasMessageContaining("java.lang.Integer");
        assertThatThrownBy(() -> converter.convert(Decimal.schema(2), 1.5, "price"))
                .isInstanceOf(UnconvertibleChangeException.class)
                .hasMessageContaining("java.lang.Double");
        assertThatThrownBy(() -> converter.convert(Schema.OPTIONAL_BYTES_SCHEMA, "not bytes", "b"))
                .isInstanceOf(UnconvertibleChangeException.class)
                .hasMessageContaining("BYTES");
        assertThatThrownBy(() -> converter.convert(SchemaBuilder.array(Schema.INT32_SCHEMA).build(), List.of(1, "2"), "ids"))
                .isInstanceOf(UnconvertibleChangeException.class)
                .hasMessageStartingWith("Cannot convert field 'ids[1]' of type INT32");
    }

    @Test
    void oneInstanceIsSafeToShareAcrossThreads() {
        Schema schema = SchemaBuilder.struct()
                .field("n", VariableScaleDecimal.builder().optional().build())
                .field("ts", MicroTimestamp.builder().build())
                .field("doc", Json.builder().build())
                .build();
        String expected = "{\"n\":1.50,\"ts\":\"1969-12-31T23:59:59.999999\",\"doc\":{\"a\":[1.0]}}";

        List<String> results = IntStream.range(0, 2_000).parallel()
                .mapToObj(i -> json(converter.convertRow(new Struct(schema)
                        .put("n", vsd("1.50")).put("ts", -1L).put("doc", "{\"a\": [1.0]}"))))
                .toList();

        assertThat(results).allMatch(expected::equals);
    }

    @Test
    void onlyPlainDecimalTextIsWrittenAsItIs() {
        for (String plain : new String[] {"0", "-0.5", "12.340", "123456789012345678901234567890.000000000001", "-7"}) {
            assertThat(ConnectValueConverter.isPlainDecimal(plain)).as(plain).isTrue();
        }
        for (String other : new String[] {"", "-", "1.", ".5", "007", "1e5", "1.2.3", "NaN", "+1", " 1", "0x1"}) {
            assertThat(ConnectValueConverter.isPlainDecimal(other)).as(other).isFalse();
        }
    }
}
