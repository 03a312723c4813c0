package io.cdchub.aggregation;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.change.ChangeEvent;
import io.cdchub.change.UnreadableChangeException;
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
            ChangeEvent envelope;
            JsonNode key;
            try {
                envelope = ChangeEvent.read(event.key().getBytes(StandardCharsets.UTF_8), event.value().getBytes(StandardCharsets.UTF_8), 0);
                key = envelope.keyTree();
            } catch (UnreadableChangeException e) {
                throw new NotAChangeEventException("event " + event.topic() + "@" + event.offset() + " is not JSON: " + e.getMessage());
            }
            if (key == null || !key.isObject()) {
                throw new NotAChangeEventException("key of " + event.topic() + "@" + event.offset() + " is not a JSON object");
            }
            boolean delete = "d".equals(envelope.op());
            JsonNode after = envelope.after();
            Map<String, Object> row = delete ? null : values(after == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : after, true);
            changes.add(new RowChange(Objects.toString(envelope.schema(), ""), Objects.toString(envelope.table(), ""), delete, values(key, false), row,
                    envelope.lsn() < 0 ? "0" : Long.toString(envelope.lsn())));
        }
        return changes;
    }

    /** Column values as JDBC parameters: numbers exact, nested JSON as text (json/jsonb, arrays, composites). */
    private static Map<String, Object> values(JsonNode object, boolean skipUnavailable) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = object.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode value = field.getValue();
            if (skipUnavailable && ChangeEvent.isPlaceholder(value)) { // unchanged TOASTed value: left as it is in the target
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
