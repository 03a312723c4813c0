package io.cdchub.admin;

import java.util.Iterator;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Strict reading of JSON request bodies: unknown fields, wrong types and fractions where integers belong are a 400
 * naming the field (Jackson's lenient binding would silently truncate 3.5 to 3 or turn "3" into 3).
 */
final class JsonFields {

    private final JsonNode body;

    private JsonFields(JsonNode body) {
        this.body = body;
    }

    static JsonFields of(JsonNode body, Set<String> known) {
        if (body == null || body.isNull() || body.isMissingNode()) {
            throw ApiException.badRequest(null, "request body is missing: send a JSON object");
        }
        if (!body.isObject()) {
            throw ApiException.badRequest(null, "request body must be a JSON object");
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!known.contains(name)) {
                throw ApiException.badRequest(name, "is not a known field; known: " + new java.util.TreeSet<>(known));
            }
        }
        return new JsonFields(body);
    }

    boolean has(String field) {
        return body.has(field) && !body.get(field).isNull();
    }

    String requiredText(String field) {
        String value = optionalText(field);
        if (value == null) {
            throw ApiException.badRequest(field, "is required");
        }
        return value;
    }

    /** A string, or null when absent. */
    String optionalText(String field) {
        JsonNode value = optional(field, JsonNode::isTextual, "must be a string");
        return value == null ? null : value.asText();
    }

    /** true or false; false when absent. */
    boolean flag(String field) {
        JsonNode value = optional(field, JsonNode::isBoolean, "must be true or false");
        return value != null && value.asBoolean();
    }

    /** The field's value, or null when absent or null; a value of another type is a 400 saying what it must be. */
    private JsonNode optional(String field, java.util.function.Predicate<JsonNode> type, String mustBe) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!type.test(value)) {
            throw ApiException.badRequest(field, mustBe);
        }
        return value;
    }

    /** The members of an array of JSON objects, each read as strictly as a body with the known fields; empty when absent. */
    java.util.List<JsonFields> optionalObjects(String field, Set<String> known) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return java.util.List.of();
        }
        if (!value.isArray()) {
            throw ApiException.badRequest(field, "must be an array of objects");
        }
        java.util.List<JsonFields> members = new java.util.ArrayList<>();
        for (int i = 0; i < value.size(); i++) {
            JsonNode member = value.get(i);
            if (!member.isObject()) {
                throw ApiException.badRequest(field + "[" + i + "]", "must be a JSON object");
            }
            members.add(of(member, known));
        }
        return members;
    }

    /** An integer in [min, max], or null when absent. */
    Long optionalLong(String field, long min, long max) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw ApiException.badRequest(field, "must be an integer");
        }
        long number = value.asLong();
        if (number < min || number > max) {
            throw ApiException.badRequest(field, "must be between " + min + " and " + max + ", but is " + number);
        }
        return number;
    }

    long requiredLong(String field, long min, long max) {
        Long value = optionalLong(field, min, max);
        if (value == null) {
            throw ApiException.badRequest(field, "is required");
        }
        return value;
    }

    /** A JSON object whose members are kept as they are (validated by the caller), or an error naming the field. */
    @SuppressWarnings("unchecked")
    Map<String, Object> requiredObject(String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            throw ApiException.badRequest(field, "is required");
        }
        if (!value.isObject()) {
            throw ApiException.badRequest(field, "must be a JSON object");
        }
        Map<String, Object> members = new java.util.LinkedHashMap<>();
        value.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            if ((v.isDouble() || v.isFloat()) && !Double.isFinite(v.doubleValue())) {
                // Jackson reads a number beyond a double's range (1E+400) as infinity, which has no decimal value
                throw ApiException.badRequest(field + "." + e.getKey(), "must be a finite number");
            }
            Object scalar = v.isTextual() ? v.asText() : v.isIntegralNumber() ? (Object) v.bigIntegerValue()
                    : v.isNumber() ? v.decimalValue() : v.isBoolean() ? (Object) v.asBoolean() : v.isNull() ? null : v;
            if (scalar instanceof JsonNode) {
                throw ApiException.badRequest(field + "." + e.getKey(), "must be a string, number or boolean");
            }
            members.put(e.getKey(), scalar);
        });
        return members;
    }
}
