package io.cdchub.sink.search;

import io.cdchub.change.ChangeEvent;
import java.io.IOException;
import java.math.BigDecimal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Elasticsearch document ids from primary keys. One key column: its value as text ({@code 42}, {@code abc}).
 * Several: the values in key-column order (the order of the Kafka key, which is the primary key's), each with
 * {@code \} and {@code |} escaped by a {@code \}, joined by {@code |}: {@code eu|42}. The same key always gives
 * the same id, and two different keys never do.
 *
 * <p>Read from the key's bytes as tokens (no tree per record), with the texts a tree of the key gives: a decimal
 * as {@link BigDecimal#toString()}, an object or array value as its JSON.
 */
public final class DocumentIds {

    private DocumentIds() {
    }

    /** The id of the key, a JSON object of key columns (as {@link ChangeEvent#keyJson()} holds it). */
    public static String of(byte[] keyJson) {
        try (JsonParser in = ChangeEvent.JSON.getFactory().createParser(keyJson)) {
            if (in.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("A key is a JSON object");
            }
            String first = null;
            StringBuilder joined = null;
            while (in.nextToken() == JsonToken.FIELD_NAME) {
                String value = text(in, in.nextToken());
                if (first == null) {
                    first = value;
                    continue;
                }
                if (joined == null) {
                    joined = new StringBuilder(escaped(first));
                }
                joined.append('|').append(escaped(value));
            }
            if (first == null) {
                throw new IllegalArgumentException("A key has at least one column");
            }
            return joined == null ? first : joined.toString();
        } catch (IOException e) {
            throw new IllegalArgumentException("A key checked as a JSON object could not be read again", e);
        }
    }

    private static String escaped(String value) {
        return value.replace("\\", "\\\\").replace("|", "\\|");
    }

    private static String text(JsonParser in, JsonToken token) throws IOException {
        return switch (token) {
            case VALUE_NUMBER_FLOAT -> new BigDecimal(in.getText()).toString();
            case VALUE_NULL -> "null";
            case START_OBJECT, START_ARRAY -> ChangeEvent.JSON.readTree(in).toString();
            default -> in.getText();
        };
    }
}
