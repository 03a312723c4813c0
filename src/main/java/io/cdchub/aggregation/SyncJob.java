package io.cdchub.aggregation;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.connections.ClickHouseTargets;
import io.cdchub.connections.ConnectionsProperties;
import io.cdchub.connections.JdbcTargets;
import io.cdchub.connections.RowChange;
import io.cdchub.connections.WriteFence;
import org.springframework.stereotype.Component;

/**
 * Job type {@code sync}: the window's latest change per key becomes an upsert of the row (create, update, snapshot
 * read) or a delete, applied to the consumer's JDBC connection in one transaction. The target table is the source
 * table's name (in the connection's default schema) unless {@code cdc.connections.<id>.tables.*} maps it; it must
 * exist with a primary key or unique constraint on the source's key columns. A ClickHouse connection gets one INSERT per
 * table instead ({@link ClickHouseTargets}).
 */
@Component
public class SyncJob {

    /** Debezium's placeholder for an unchanged TOASTed value: such a column is left as it is in the target. */
    static final String UNAVAILABLE = "__debezium_unavailable_value";

    // exact numbers, scale included (10.50 stays 10.50), also inside json/jsonb documents
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .setNodeFactory(com.fasterxml.jackson.databind.node.JsonNodeFactory.withExactBigDecimals(true));

    private final JdbcTargets targets;
    private final ClickHouseTargets clickHouse;
    private final ConnectionsProperties connections;

    public SyncJob(JdbcTargets targets, ClickHouseTargets clickHouse, ConnectionsProperties connections) {
        this.targets = targets;
        this.clickHouse = clickHouse;
        this.connections = connections;
    }

    /** Applies the window's changes; {@code fence} keeps a run that lost its run lock from writing (see {@link WriteFence}). */
    public void apply(ConsumerDefinition definition, List<AggregationEvent> events, WriteFence fence) {
        ConnectionsProperties.TargetConnection connection = connections.connections().get(definition.connectionId());
        if (connection != null && connection.kind() == ConnectionsProperties.Kind.CLICKHOUSE) {
            clickHouse.apply(definition.connectionId(), changes(events), fence);
        } else {
            targets.apply(definition.connectionId(), changes(events), fence);
        }
    }

    static List<RowChange> changes(List<AggregationEvent> events) {
        List<RowChange> changes = new ArrayList<>(events.size());
        for (AggregationEvent event : events) {
            try {
                JsonNode envelope = JSON.readTree(event.value());
                JsonNode key = JSON.readTree(event.key());
                if (!key.isObject()) {
                    throw new NotAChangeEventException("key of " + event.topic() + "@" + event.offset() + " is not a JSON object");
                }
                String op = envelope.path("op").asText();
                JsonNode source = envelope.path("source");
                boolean delete = "d".equals(op);
                Map<String, Object> row = delete ? null : values(envelope.path("after"), true);
                changes.add(new RowChange(source.path("schema").asText(), source.path("table").asText(), delete, values(key, false), row,
                        source.path("lsn").asText("0")));
            } catch (IOException e) {
                throw new NotAChangeEventException("event " + event.topic() + "@" + event.offset() + " is not JSON: " + e.getMessage());
            }
        }
        return changes;
    }

    /** Column values as JDBC parameters: numbers exact, nested JSON as text (json/jsonb, arrays, composites). */
    private static Map<String, Object> values(JsonNode object, boolean skipUnavailable) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = object.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode value = field.getValue();
            if (skipUnavailable && value.isTextual() && UNAVAILABLE.equals(value.asText())) {
                continue;
            }
            values.put(field.getKey(), value.isNull() ? null
                    : value.isTextual() ? value.asText()
                    : value.isBoolean() ? value.booleanValue()
                    : value.isIntegralNumber() ? (value.canConvertToLong() ? (Object) value.longValue() : value.bigIntegerValue())
                    : value.isNumber() ? value.decimalValue()
                    : value.toString());
        }
        return values;
    }
}
