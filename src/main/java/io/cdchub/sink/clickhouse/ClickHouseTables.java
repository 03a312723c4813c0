package io.cdchub.sink.clickhouse;

import io.cdchub.change.ChangeEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.sink.SinkProperties;
import io.cdchub.sink.SinkUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Knows the ClickHouse tables the sink writes to: reads an existing table's columns, creates a missing one from
 * the change events, and adds columns that appear in PostgreSQL to the tables it manages (those with all of its
 * own columns, see {@link #isManaged}); a user-supplied table without them is used as it is.
 *
 * <p>A created table is {@code ReplacingMergeTree(_version)} ordered by the primary key, with the row's columns
 * plus {@code _version UInt64} (the source LSN), {@code _is_deleted UInt8}, {@code _op String},
 * {@code _source_ts_ms UInt64} and {@code _synced_at DateTime}; next to it a view {@code <table>_current}
 * ({@code FINAL}, {@code _is_deleted = 0}) holds the current rows. A table without a primary key cannot be
 * deduplicated: it gets a plain {@code MergeTree} ordered by {@code _version}, a log of its changes.
 * Every statement is valid on ClickHouse 18.16 and on current versions.
 */
public class ClickHouseTables {

    private static final Logger LOG = LoggerFactory.getLogger(ClickHouseTables.class);

    public static final String VERSION = "_version";
    public static final String IS_DELETED = "_is_deleted";
    public static final String OP = "_op";
    public static final String SOURCE_TS_MS = "_source_ts_ms";
    public static final String SYNCED_AT = "_synced_at";
    public static final String CURRENT_VIEW_SUFFIX = "_current";

    /** A table as the sink knows it: its columns and their ClickHouse types, in table order. */
    public record Table(String name, String quotedName, Map<String, String> columns) {
    }

    private final ClickHouseClient client;
    private final SinkProperties.ClickHouse settings;
    private final PostgresColumns postgres;
    private final Map<String, Table> known = new ConcurrentHashMap<>();

    public ClickHouseTables(ClickHouseClient client, SinkProperties.ClickHouse settings, PostgresColumns postgres) {
        this.client = client;
        this.settings = settings;
        this.postgres = postgres;
    }

    /** Forgets what is known about a table (it changed under us); the next {@link #prepare} reads it again. */
    public void forget(String table) {
        known.remove(table);
    }

    /**
     * The table ready for these events of one source table: created if missing, with every column the events
     * carry (added if PostgreSQL added them), unless configured otherwise.
     */
    public Table prepare(String name, List<ChangeEvent> events) {
        Table table = known.get(name);
        if (table == null) {
            table = read(name);
            if (table == null) {
                if (!settings.createTables()) {
                    throw new SinkUnavailableException("ClickHouse table " + client.database() + "." + name
                            + " does not exist and cdc.sink.clickhouse.create-tables is false: create it");
                }
                create(name, events.get(0));
                table = read(name);
                if (table == null) {
                    throw new SinkUnavailableException("ClickHouse table " + client.database() + "." + name + " is still missing after CREATE TABLE");
                }
            }
            known.put(name, table);
        }
        if (settings.addColumns() && isManaged(table)) {
            Set<String> missing = new LinkedHashSet<>();
            List<String> checked = null;
            for (ChangeEvent event : events) {
                List<String> fields = event.rowFields();
                if (fields.equals(checked)) {
                    continue; // the same columns as the row checked last: nothing new to find
                }
                checked = fields;
                for (String field : fields) {
                    if (!table.columns().containsKey(field)) {
                        missing.add(field);
                    }
                }
            }
            if (!missing.isEmpty()) {
                table = addColumns(table, missing, events);
            }
        }
        return table;
    }

    /**
     * Whether the sink may alter the table: it has all of the sink's own columns, as tables the sink creates do.
     * A user-supplied table without them is used as it is (fields it has no column for are skipped).
     */
    static boolean isManaged(Table table) {
        return table.columns().keySet().containsAll(List.of(VERSION, IS_DELETED, OP, SOURCE_TS_MS, SYNCED_AT));
    }

    private Table read(String name) {
        String sql = "SELECT name, type FROM system.columns WHERE database = " + ClickHouseClient.literal(client.database())
                + " AND table = " + ClickHouseClient.literal(name) + " FORMAT JSONEachRow";
        Map<String, String> columns = new LinkedHashMap<>();
        for (String line : client.execute(sql).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode row = ChangeEvent.JSON.readTree(line);
                columns.put(row.path("name").asText(), row.path("type").asText());
            } catch (java.io.IOException e) {
                throw new SinkUnavailableException("Unexpected answer from ClickHouse's system.columns: " + line, e);
            }
        }
        return columns.isEmpty() ? null : new Table(name, quoted(name), Collections.unmodifiableMap(columns));
    }

    private void create(String name, ChangeEvent event) {
        Map<String, PostgresColumns.Column> source = postgres.columns(event.schema(), event.table());
        Set<String> keyColumns = new LinkedHashSet<>();
        event.keyFields().forEachRemaining(e -> keyColumns.add(e.getKey()));
        Map<String, String> columns = new LinkedHashMap<>();
        // a row carries every column of its table, unless a transform renamed or dropped some (or it is a delete's key)
        Set<String> rowColumns = event.isDelete() ? null : new java.util.HashSet<>(event.rowFields());
        source.forEach((column, pg) -> {
            if (rowColumns == null || rowColumns.contains(column) || keyColumns.contains(column)) {
                columns.put(column, type(column, pg, null, keyColumns));
            }
        });
        event.row().fields().forEachRemaining(f -> columns.computeIfAbsent(f.getKey(), c -> type(c, null, f.getValue(), keyColumns)));
        keyColumns.forEach(k -> columns.computeIfAbsent(k, c -> type(c, null, event.key().get(c), keyColumns)));

        List<String> definitions = new ArrayList<>();
        columns.forEach((column, type) -> definitions.add(quoted(column) + " " + type));
        definitions.add(quoted(VERSION) + " UInt64");
        definitions.add(quoted(IS_DELETED) + " UInt8");
        definitions.add(quoted(OP) + " String");
        definitions.add(quoted(SOURCE_TS_MS) + " UInt64");
        definitions.add(quoted(SYNCED_AT) + " DateTime('UTC')");
        String engine = keyColumns.isEmpty()
                ? "MergeTree() ORDER BY (" + quoted(VERSION) + ")"
                : "ReplacingMergeTree(" + quoted(VERSION) + ") ORDER BY (" + String.join(", ", keyColumns.stream().map(ClickHouseTables::quoted).toList()) + ")";
        String ddl = "CREATE TABLE IF NOT EXISTS " + quoted(name) + " (\n    " + String.join(",\n    ", definitions) + "\n) ENGINE = " + engine;
        LOG.info("Creating ClickHouse table {}.{} for {}.{}{}", client.database(), name, event.schema(), event.table(),
                source.isEmpty() ? " (types inferred from the values: PostgreSQL's catalog was not readable)" : "");
        client.execute(ddl);
        if (!keyColumns.isEmpty()) {
            createCurrentView(name);
        }
    }

    private Table addColumns(Table table, Set<String> missing, List<ChangeEvent> events) {
        ChangeEvent event = events.get(events.size() - 1);
        Map<String, PostgresColumns.Column> source = postgres.columns(event.schema(), event.table());
        for (String column : missing) {
            JsonNode sample = null;
            for (ChangeEvent e : events) {
                JsonNode v = e.row().get(column);
                if (v != null && !v.isNull()) {
                    sample = v;
                    break;
                }
            }
            String type = type(column, source.get(column), sample, Set.of());
            LOG.info("Adding column {} {} to ClickHouse table {}.{}", column, type, client.database(), table.name());
            try {
                client.execute("ALTER TABLE " + table.quotedName() + " ADD COLUMN " + quoted(column) + " " + type);
            } catch (ClickHouseException e) {
                // another instance added it first (18.16 has no ADD COLUMN IF NOT EXISTS): re-read below
                LOG.debug("ADD COLUMN {} refused: {}", column, e.getMessage());
            }
        }
        Table reread = read(table.name());
        if (reread == null) {
            forget(table.name());
            throw new SinkUnavailableException("ClickHouse table " + table.name() + " disappeared while adding columns");
        }
        known.put(table.name(), reread);
        if (reread.columns().containsKey(VERSION) && existsView(table.name() + CURRENT_VIEW_SUFFIX)) {
            // a view's columns are fixed when it is made: make it again so it shows the new columns
            client.execute("DROP TABLE IF EXISTS " + quoted(table.name() + CURRENT_VIEW_SUFFIX));
            createCurrentView(table.name());
        }
        return reread;
    }

    private boolean existsView(String name) {
        String answer = client.execute("SELECT count() FROM system.tables WHERE database = " + ClickHouseClient.literal(client.database())
                + " AND name = " + ClickHouseClient.literal(name) + " AND engine = 'View' FORMAT TabSeparated");
        return answer.trim().equals("1");
    }

    private void createCurrentView(String name) {
        client.execute("CREATE VIEW IF NOT EXISTS " + quoted(name + CURRENT_VIEW_SUFFIX) + " AS SELECT * FROM " + quoted(name)
                + " FINAL WHERE " + quoted(IS_DELETED) + " = 0");
    }

    private String type(String column, PostgresColumns.Column pg, JsonNode sample, Set<String> keyColumns) {
        String base = pg != null ? ClickHouseTypes.fromPostgres(pg, settings.timestampType()) : ClickHouseTypes.inferred(sample);
        return keyColumns.contains(column) ? base : ClickHouseTypes.nullable(base);
    }

    static String quoted(String identifier) {
        return ClickHouseClient.quote(identifier);
    }
}
