package io.cdchub.sink.lakehouse;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.cdchub.change.ChangeEvent;
import io.cdchub.sink.clickhouse.PostgresColumns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The columns the file sinks write for each source table: PostgreSQL's columns in the catalog's order and types, then
 * the fields the events carry that the catalog does not have (a transform's derived fields), typed from a value. A field
 * not seen before makes the catalog be read again (a column added in PostgreSQL); a column once known stays, so a
 * dropped one is written as null rather than changing the files' schema back and forth.
 */
public class LakeTableColumns {

    private static final Logger LOG = LoggerFactory.getLogger(LakeTableColumns.class);

    private final PostgresColumns postgres;
    private final Map<String, List<LakeColumn>> known = new ConcurrentHashMap<>();

    public LakeTableColumns(PostgresColumns postgres) {
        this.postgres = postgres;
    }

    /** The table's columns, extended by every field of these events (all of one source table). */
    public List<LakeColumn> columns(String schema, String table, List<ChangeEvent> events) {
        String id = schema + '.' + table;
        List<LakeColumn> columns = known.get(id);
        if (columns != null && !hasUnknownField(columns, events)) {
            return columns;
        }
        synchronized (this) {
            Map<String, LakeColumn> byName = new LinkedHashMap<>();
            if (columns != null) {
                columns.forEach(c -> byName.put(c.name(), c));
            }
            Map<String, PostgresColumns.Column> catalog = postgres.columns(schema, table);
            if (catalog.isEmpty() && columns == null) {
                LOG.warn("PostgreSQL's catalog has no columns for {} (not readable?): the file sinks type its columns from the values", id);
            }
            catalog.values().forEach(c -> byName.putIfAbsent(c.name(), LakeColumn.fromPostgres(c)));
            for (ChangeEvent event : events) {
                for (String field : event.rowFields()) {
                    if (!byName.containsKey(field)) {
                        byName.put(field, LakeColumn.inferred(field, event.row().get(field)));
                    }
                }
            }
            List<LakeColumn> extended = List.copyOf(new ArrayList<>(byName.values()));
            known.put(id, extended);
            return extended;
        }
    }

    private static boolean hasUnknownField(List<LakeColumn> columns, List<ChangeEvent> events) {
        java.util.Set<String> names = new java.util.HashSet<>();
        columns.forEach(c -> names.add(c.name()));
        for (ChangeEvent event : events) {
            for (String field : event.rowFields()) {
                if (!names.contains(field)) {
                    return true;
                }
            }
        }
        return false;
    }
}
