package io.cdchub.gateway;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A subscription's filter, evaluated on the server: operations ({@code ops}) and, per row field, the values it may
 * have (equality, or any of a list). The row is {@code after}, or {@code before} for deletes. Numbers compare by
 * value, everything else by its text, so {@code filter.status=paid} from a query string matches too.
 *
 * @param ops    accepted operations (empty: all)
 * @param fields accepted values per field (empty: every row)
 */
public record ChangeFilter(Set<String> ops, Map<String, List<String>> fields) {

    public static final ChangeFilter ALL = new ChangeFilter(Set.of(), Map.of());
    private static final Set<String> OPERATIONS = Set.of("c", "u", "d", "r");

    public ChangeFilter {
        for (String op : ops) {
            if (!OPERATIONS.contains(op)) {
                throw new ProtocolException("invalid-filter", "ops may hold c, u, d and r, not '" + op + "'");
            }
        }
    }

    /** From a subscribe action's {@code filter} object and {@code ops} array (either may be missing). */
    public static ChangeFilter fromJson(JsonNode filter, JsonNode ops) {
        Set<String> operations = new java.util.HashSet<>();
        if (ops != null && !ops.isNull()) {
            if (!ops.isArray()) {
                throw new ProtocolException("invalid-filter", "ops must be an array such as [\"c\",\"u\"]");
            }
            ops.forEach(op -> operations.add(op.asText()));
        }
        Map<String, List<String>> fields = new LinkedHashMap<>();
        if (filter != null && !filter.isNull()) {
            if (!filter.isObject()) {
                throw new ProtocolException("invalid-filter", "filter must be an object of field: value or field: [values]");
            }
            Iterator<Map.Entry<String, JsonNode>> entries = ((ObjectNode) filter).fields();
            while (entries.hasNext()) {
                Map.Entry<String, JsonNode> e = entries.next();
                List<String> values = new ArrayList<>();
                if (e.getValue().isArray()) {
                    for (JsonNode one : e.getValue()) {
                        values.add(scalar(e.getKey(), one));
                    }
                } else {
                    values.add(scalar(e.getKey(), e.getValue()));
                }
                fields.put(e.getKey(), values);
            }
        }
        return new ChangeFilter(Set.copyOf(operations), fields);
    }

    private static String scalar(String field, JsonNode value) {
        if (value.isContainerNode()) {
            throw new ProtocolException("invalid-filter", "filter." + field + " must be a value or an array of values");
        }
        return value.isNull() ? null : value.asText();
    }

    public boolean accepts(GatewayRecord record) {
        if (!ops.isEmpty() && (record.op() == null || !ops.contains(record.op()))) {
            return false;
        }
        for (Map.Entry<String, List<String>> field : fields.entrySet()) {
            if (!anyEquals(record.row(), field.getKey(), field.getValue())) {
                return false;
            }
        }
        return true;
    }

    /** Whether the row's field equals one of the values (a row without the field matches nothing). */
    static boolean anyEquals(JsonNode row, String field, List<String> values) {
        if (row == null) {
            return false;
        }
        JsonNode actual = row.get(field);
        if (actual == null) {
            return false;
        }
        for (String wanted : values) {
            if (equal(actual, wanted)) {
                return true;
            }
        }
        return false;
    }

    private static boolean equal(JsonNode actual, String wanted) {
        if (actual.isNull() || wanted == null) {
            return actual.isNull() && wanted == null;
        }
        if (actual.isNumber()) {
            try {
                return actual.decimalValue().compareTo(new BigDecimal(wanted)) == 0;
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return !actual.isContainerNode() && actual.asText().equals(wanted);
    }
}
