package io.cdchub.source;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.json.JsonConverterConfig;

/**
 * Everything one capture ({@code cdc-source:<name>}: the built-in source or a runtime connector) needs besides
 * Camel: Debezium's engine properties, passed to Debezium as plain strings (never evaluated), and how its changes
 * become Kafka records.
 *
 * @param name           the engine's name (offsets key, status key)
 * @param engine         Debezium engine and connector properties, strings only
 * @param topics         the topic of each captured table
 * @param format         the value form written to Kafka
 * @param schemasEnable  wrap keys and values in Connect's {@code {"schema":..., "payload":...}} (debezium form only)
 * @param tombstones     send a tombstone after each delete (cdc-hub form; the debezium form leaves it to Debezium)
 * @param maxEventBytes  largest event published; a bigger one is dead-lettered
 * @param heartbeatTable the heartbeat table ({@code schema.table}), whose changes are not published
 * @param restartBackoff wait before the engine restarts after a failure
 */
public record CaptureSettings(
        String name,
        Properties engine,
        ChangeTopicNames topics,
        ValueFormat format,
        boolean schemasEnable,
        boolean tombstones,
        int maxEventBytes,
        String heartbeatTable,
        Duration restartBackoff) {

    /** Debezium's signal table ({@code schema.table}), or null: its rows are signals and watermarks, never published. */
    public String signalTable() {
        return engine.getProperty("signal.data.collection");
    }

    /** Whether {@code schema.table} is the heartbeat or the signal table: the connector's own, its changes not published. */
    boolean ownTable(String schema, String table) {
        return names(heartbeatTable, schema, table) || names(signalTable(), schema, table);
    }

    private static boolean names(String qualified, String schema, String table) {
        return qualified != null && qualified.length() == schema.length() + 1 + table.length() && qualified.startsWith(schema)
                && qualified.charAt(schema.length()) == '.' && qualified.endsWith(table);
    }

    /** Connect's JSON converter as Debezium users run it: its defaults, with or without schemas. */
    public JsonConverter jsonConverter(boolean forKeys) {
        JsonConverter converter = new JsonConverter();
        converter.configure(Map.of(JsonConverterConfig.SCHEMAS_ENABLE_CONFIG, Boolean.toString(schemasEnable)), forKeys);
        return converter;
    }

    @Override
    public String toString() {
        return "CaptureSettings[" + name + ", format " + format.label() + (schemasEnable ? " with schemas" : "") + "]";
    }
}
