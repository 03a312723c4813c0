package io.cdchub.connections;

import java.util.Map;

/**
 * The net change of one row that a pipeline applies to a target: the latest row image of its key, or its delete.
 *
 * @param schema source schema
 * @param table  source table
 * @param delete whether the row is gone
 * @param key    primary-key columns and values (the Kafka record key)
 * @param row    the row after the change (null for a delete); values are JSON-typed (String, Number, Boolean,
 *               null; nested objects and arrays already as JSON text)
 * @param lsn    the change's source LSN (decimal digits): the row version where the target keeps one (ClickHouse)
 */
public record RowChange(String schema, String table, boolean delete, Map<String, Object> key, Map<String, Object> row, String lsn) {

    public RowChange(String schema, String table, boolean delete, Map<String, Object> key, Map<String, Object> row) {
        this(schema, table, delete, key, row, "0");
    }
}
