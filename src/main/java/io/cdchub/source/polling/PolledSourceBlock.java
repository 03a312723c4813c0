package io.cdchub.source.polling;

import java.time.Instant;

import io.cdchub.change.ChangeEvent;
import io.debezium.connector.postgresql.Module;
import io.debezium.relational.TableId;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * The {@code source} block of a polled row's event: Debezium's PostgreSQL source schema (the same fields in the same
 * order as the logical-replication source's events), filled with what polling knows. {@code connector} is
 * {@value ChangeEvent#POLLING_CONNECTOR}; {@code ts_ms}/{@code ts_us}/{@code ts_ns} are the time the row was read (as in
 * Debezium's snapshot events); {@code txId} is the row's {@code xmin}, the transaction that wrote this version of it;
 * {@code lsn}, {@code sequence} and {@code xmin} are null (there is no WAL position); {@code snapshot} is
 * {@code "true"} during the first load, {@code "false"} after.
 */
final class PolledSourceBlock {

    private final String version = Module.version();
    private final String serverName;
    private final String database;
    private final boolean debeziumTombstones;

    /**
     * @param serverName         Debezium's {@code name}: the topic prefix, as the logical source writes it
     * @param database           the polled database's name
     * @param debeziumTombstones follow each delete with Debezium's own tombstone (the debezium form with tombstones on)
     */
    PolledSourceBlock(String serverName, String database, boolean debeziumTombstones) {
        this.serverName = serverName;
        this.database = database;
        this.debeziumTombstones = debeziumTombstones;
    }

    Struct of(Schema sourceSchema, TableId table, Instant readAt, boolean firstLoad, long xmin) {
        Struct source = new Struct(sourceSchema)
                .put("version", version)
                .put("connector", ChangeEvent.POLLING_CONNECTOR)
                .put("name", serverName)
                .put("ts_ms", readAt.toEpochMilli())
                .put("snapshot", firstLoad ? "true" : "false")
                .put("db", database)
                .put("ts_us", readAt.getEpochSecond() * 1_000_000 + readAt.getNano() / 1_000)
                .put("ts_ns", readAt.getEpochSecond() * 1_000_000_000L + readAt.getNano())
                .put("schema", table.schema())
                .put("table", table.table())
                .put("txId", xmin);
        return source;
    }

    boolean debeziumTombstones() {
        return debeziumTombstones;
    }

    /** The topic Debezium would give the table's tombstones: the writer maps it to the table's topic. */
    String debeziumTopic(TableId table) {
        return serverName + "." + table.schema() + "." + table.table();
    }
}
