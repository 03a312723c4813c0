package io.cdchub.connections;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * A JSON array as PostgreSQL's array input syntax ({@code [1,null,"a\"b"]} to {@code {1,NULL,"a\"b"}}), bound as a
 * text parameter the server casts to the column's array type. Strings and JSON objects are double-quoted with
 * {@code \} and {@code "} escaped; numbers keep their exact text.
 */
final class PostgresArrays {

    private static final ObjectMapper JSON = new ObjectMapper().setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private PostgresArrays() {
    }

    static String literal(String jsonArray) {
        try {
            JsonNode node = JSON.readTree(jsonArray);
            if (node == null || !node.isArray()) {
                return jsonArray;
            }
            StringBuilder out = new StringBuilder();
            append(node, out);
            return out.toString();
        } catch (IOException e) {
            return jsonArray; // not JSON after all: the server judges it
        }
    }

    private static void append(JsonNode node, StringBuilder out) {
        if (node.isArray()) {
            out.append('{');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                append(node.get(i), out);
            }
            out.append('}');
        } else if (node.isNull()) {
            out.append("NULL");
        } else if (node.isNumber() || node.isBoolean()) {
            out.append(node.isBigDecimal() ? node.decimalValue().toPlainString() : node.asText());
        } else {
            String text = node.isTextual() ? node.asText() : node.toString();
            out.append('"').append(text.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
    }
}
