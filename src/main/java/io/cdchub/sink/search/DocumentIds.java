package io.cdchub.sink.search;

import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Elasticsearch document ids from primary keys. One key column: its value as text ({@code 42}, {@code abc}).
 * Several: the values in key-column order (the order of the Kafka key, which is the primary key's), each with
 * {@code \} and {@code |} escaped by a {@code \}, joined by {@code |}: {@code eu|42}. The same key always gives
 * the same id, and two different keys never do.
 */
public final class DocumentIds {

    private DocumentIds() {
    }

    public static String of(ObjectNode key) {
        if (key.size() == 1) {
            return text(key.elements().next());
        }
        StringBuilder id = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> fields = key.fields(); fields.hasNext(); ) {
            if (!id.isEmpty()) {
                id.append('|');
            }
            id.append(text(fields.next().getValue()).replace("\\", "\\\\").replace("|", "\\|"));
        }
        return id.toString();
    }

    private static String text(JsonNode value) {
        return value.isValueNode() ? value.asText() : value.toString();
    }
}
