package io.cdchub.sink.transform;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdchub.change.ChangeEvent;
import io.cdchub.sink.RejectedRecordException;
import net.thisptr.jackson.jq.JsonQuery;
import net.thisptr.jackson.jq.Scope;
import net.thisptr.jackson.jq.exception.JsonQueryException;

/**
 * One declared transform, compiled ({@link SinkTransforms} makes it at start-up): changes one row in place.
 *
 * <p>Order: {@code filter}, {@code derive} (in order, each seeing the fields derived before it), {@code rename},
 * {@code drop}, then the operation field and the metadata fields. Expressions read the row as captured
 * ({@code .first_name}; {@code after} with unchanged TOAST values filled in) and the change through variables:
 * {@code $op} (c/u/d/r), {@code $schema}, {@code $table}, {@code $lsn}, {@code $ts_ms} (commit time), {@code $key} (the
 * primary key object, or null), {@code $before} (the old row, or null) and {@code $event} (the whole envelope); the
 * last two are read from the record only when an expression uses them.
 *
 * <p><b>Deletes</b> carry no row, only the key (and the old row for REPLICA IDENTITY FULL tables), so {@code filter} and
 * {@code derive} do not run for them: a filter must never drop the delete of a row it let through before, and a derived
 * value made from missing columns would be wrong rather than absent. {@code rename}, {@code drop}, the operation field
 * and the metadata do apply, so a delete's row (a ClickHouse tombstone) has the same column names as the rows before it.
 * Primary-key columns cannot be renamed, dropped or derived: the sinks key rows (ClickHouse's ORDER BY, Elasticsearch's
 * document id) by the record key, which keeps the source's names. Which columns are the key shows only in the changes,
 * so a transform that would change one dead-letters each such change with that reason (the sink then has none of the
 * table's rows rather than rows it could not update or delete).
 */
final class CompiledTransform {

    /** The operation names of {@code operation-field}, for Debezium's c, u, d, r. */
    static final Map<String, String> OPERATION_NAMES = Map.of("c", "INSERT", "u", "UPDATE", "d", "DELETE", "r", "READ");

    record Derived(String field, String expression, JsonQuery query) {
    }

    private final String name;
    private final Pattern tables;
    private final JsonQuery filter;
    private final List<Derived> derive;
    private final Map<String, String> rename;
    private final Set<String> drop;
    private final String operationField;
    private final List<TransformMetadata> metadata;
    private final String pipelineId;
    private final String sourceSystem;

    CompiledTransform(String name, Pattern tables, JsonQuery filter, List<Derived> derive, Map<String, String> rename, Set<String> drop,
            String operationField, List<TransformMetadata> metadata, String pipelineId, String sourceSystem) {
        this.name = name;
        this.tables = tables;
        this.filter = filter;
        this.derive = List.copyOf(derive);
        this.rename = Map.copyOf(rename);
        this.drop = Set.copyOf(drop);
        this.operationField = operationField;
        this.metadata = List.copyOf(metadata);
        this.pipelineId = pipelineId;
        this.sourceSystem = sourceSystem;
    }

    String name() {
        return name;
    }

    boolean appliesTo(String schema, String table) {
        return tables.matcher(schema + '.' + table).matches();
    }

    /**
     * Transforms {@code row} (the event's row, changed in place).
     *
     * @param routePipelineId the sink route's id, the pipeline id when none is declared
     * @return false when the filter drops the change
     * @throws RejectedRecordException when an expression fails on this change, or the change's key would be changed
     */
    boolean apply(ChangeEvent event, ObjectNode row, String routePipelineId, long nowMs) {
        for (Iterator<String> keys = event.key() == null ? java.util.Collections.emptyIterator() : event.key().fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (rename.containsKey(key) || drop.contains(key) || derive.stream().anyMatch(d -> d.field().equals(key))) {
                throw new RejectedRecordException("Transform " + name + " would change primary-key column " + key
                        + " of " + event.schema() + "." + event.table() + ": the sinks key rows by it; leave key columns as they are");
            }
        }
        if (!event.isDelete()) {
            Scope scope = null;
            if (filter != null) {
                scope = variables(event);
                JsonNode keep = first(filter, scope, row, "filter");
                if (keep == null || keep.isNull() || (keep.isBoolean() && !keep.booleanValue())) {
                    return false;
                }
            }
            for (Derived d : derive) {
                if (scope == null) {
                    scope = variables(event);
                }
                JsonNode value = first(d.query(), scope, row, "derive." + d.field());
                if (value != null) {
                    row.set(d.field(), value);
                }
            }
        }
        rename.forEach((from, to) -> {
            if (row.has(from)) {
                row.set(to, row.remove(from));
            }
        });
        drop.forEach(row::remove);
        if (operationField != null) {
            row.put(operationField, OPERATION_NAMES.get(event.op()));
        }
        for (TransformMetadata field : metadata) {
            row.set(field.field, field.value(event, pipelineId != null ? pipelineId : routePipelineId, sourceSystem, nowMs));
        }
        return true;
    }

    /** The expression's first result over the row (null when it gives none). */
    private JsonNode first(JsonQuery query, Scope scope, ObjectNode row, String part) {
        JsonNode[] first = new JsonNode[1];
        try {
            query.apply(scope, row, out -> {
                if (first[0] == null) {
                    first[0] = out;
                }
            });
        } catch (JsonQueryException e) {
            throw new RejectedRecordException("Transform " + name + ": " + part + " failed: " + JqExpressions.reason(e), e);
        } catch (StackOverflowError e) {
            throw new RejectedRecordException("Transform " + name + ": " + part + " recursed too deep", e);
        } catch (RuntimeException e) {
            throw new RejectedRecordException("Transform " + name + ": " + part + " failed: " + e, e);
        }
        return first[0];
    }

    /** The change's variables; $before and $event are made only when an expression reads them. */
    private static Scope variables(ChangeEvent event) {
        Scope scope = JqExpressions.newScope();
        var json = ChangeEvent.JSON.getNodeFactory();
        scope.setValue("op", json.textNode(event.op()));
        scope.setValue("schema", json.textNode(event.schema()));
        scope.setValue("table", json.textNode(event.table()));
        scope.setValue("lsn", json.numberNode(event.lsn()));
        scope.setValue("ts_ms", json.numberNode(event.sourceTsMs()));
        scope.setValue("key", event.key() == null ? json.nullNode() : event.key());
        scope.setValue("before", () -> event.before() == null ? json.nullNode() : event.before());
        JsonNode[] envelope = new JsonNode[1];
        scope.setValue("event", () -> envelope[0] != null ? envelope[0] : (envelope[0] = event.envelope()));
        return scope;
    }
}
