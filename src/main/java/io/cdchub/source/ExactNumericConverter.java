package io.cdchub.source;

import java.math.BigDecimal;
import java.util.Properties;

import io.debezium.data.SpecialValueDecimal;
import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import org.apache.kafka.connect.data.SchemaBuilder;

/**
 * Carries numeric/decimal columns to the mapper as exact text, NaN and ±Infinity included.
 * Debezium's precise decimal mode cannot hold PostgreSQL's special numeric values: it logs an
 * error and sends null, a value that was never in the row. With this converter the mapper writes
 * finite values as exact JSON numbers (see {@link ConnectValueConverter}) and the special ones as
 * "NaN", "Infinity", "-Infinity", like real and double precision.
 */
public class ExactNumericConverter implements CustomConverter<SchemaBuilder, RelationalColumn> {

    /** The Connect logical name of such values: a string holding a plain decimal or NaN/Infinity/-Infinity. */
    public static final String LOGICAL_NAME = "io.cdchub.data.ExactNumeric";

    @Override
    public void configure(Properties props) {
        // nothing to configure
    }

    @Override
    public void converterFor(RelationalColumn column, ConverterRegistration<SchemaBuilder> registration) {
        String type = column.typeName() == null ? "" : column.typeName().toLowerCase(java.util.Locale.ROOT);
        if (!type.equals("numeric") && !type.equals("decimal")) {
            return;
        }
        // Always optional, even for NOT NULL columns: a delete's before-image on a table with the default
        // replica identity carries only the key, and the other columns must come out as null (unknown),
        // not fail the record (Debezium's own converters would invent a 0 there instead).
        SchemaBuilder schema = SchemaBuilder.string().name(LOGICAL_NAME).optional();
        registration.register(schema, ExactNumericConverter::toText);
    }

    static String toText(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof BigDecimal decimal) {
            return decimal.toPlainString();
        }
        if (value instanceof SpecialValueDecimal special) {
            return special.getDecimalValue().map(BigDecimal::toPlainString).orElseGet(() -> special(special.toDouble()));
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            return Double.isFinite(d) ? new BigDecimal(value.toString()).toPlainString() : special(d);
        }
        if (value instanceof Number number) {
            return new BigDecimal(number.toString()).toPlainString();
        }
        String text = value.toString().trim();
        return switch (text) {
            case "NaN", "Infinity", "-Infinity" -> text;
            default -> new BigDecimal(text).toPlainString();
        };
    }

    private static String special(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        return d > 0 ? "Infinity" : "-Infinity";
    }
}
