package io.cdchub.sink;

import java.util.List;
import java.util.Map;

import io.cdchub.sink.parquet.ParquetSink;
import io.cdchub.testinfra.S3Server;

/**
 * The sink contract for the Parquet sink on the S3 server: the current rows are the latest change per key (by
 * {@code _version}, the LSN) of every change file of the table, read with parquet-avro; the target is down while the
 * S3 server is stopped.
 */
class ParquetSinkContractIT extends SinkContractIT {

    @Override
    String sink() {
        return ParquetSink.NAME;
    }

    @Override
    String routeId() {
        return ParquetSink.ROUTE_ID;
    }

    @Override
    Map<String, Map<String, String>> targetRows(String table, List<String> columns) {
        return parquetCurrentRows(table, columns);
    }

    /** A table's current rows from its change files under the README's layout. */
    static Map<String, Map<String, String>> parquetCurrentRows(String table, List<String> columns) {
        List<Map<String, Object>> changes = LakeReads.parquetRows("s3://" + PARQUET_BUCKET + "/raw-kafka-data/" + table);
        return LakeReads.currentRows(changes, "id", columns, change -> Boolean.TRUE.equals(change.get(ParquetSink.IS_DELETED)), change -> Map.of());
    }

    @Override
    void stopTarget() {
        S3Server.shared().stop();
    }

    @Override
    void startTarget() {
        S3Server.shared().start();
    }
}
