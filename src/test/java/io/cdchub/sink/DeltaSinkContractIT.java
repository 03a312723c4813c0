package io.cdchub.sink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.change.ChangeEvent;
import io.cdchub.sink.delta.DeltaSink;

/**
 * The sink contract for the Delta Lake sink on a local folder: the current rows are the "current rows" query of the
 * README over the change table (latest change per key by {@code _version}, pre-images left out, deletes absent), read
 * with Delta Kernel; a column added after the table was made is read from {@code _extra_columns}. The target is down
 * while its folder is replaced by a plain file (the tests run as root, so taking the write permission would not stop
 * the sink).
 */
class DeltaSinkContractIT extends SinkContractIT {

    @Override
    String sink() {
        return DeltaSink.NAME;
    }

    @Override
    String routeId() {
        return DeltaSink.ROUTE_ID;
    }

    @Override
    Map<String, Map<String, String>> targetRows(String table, List<String> columns) {
        return deltaCurrentRows(DELTA_DIR.resolve(table).toString(), columns);
    }

    static Map<String, Map<String, String>> deltaCurrentRows(String location, List<String> columns) {
        List<Map<String, Object>> changes = LakeReads.deltaRows(location).stream()
                .filter(change -> !"update_preimage".equals(change.get(DeltaSink.CHANGE_TYPE))).toList();
        return LakeReads.currentRows(changes, "id", columns, change -> "delete".equals(change.get(DeltaSink.CHANGE_TYPE)), change -> {
            Object extra = change.get(DeltaSink.EXTRA_COLUMNS);
            if (extra == null) {
                return Map.of();
            }
            try {
                Map<String, Object> values = new java.util.LinkedHashMap<>();
                JsonNode json = ChangeEvent.JSON.readTree(extra.toString());
                json.fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
                return values;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static final Path AWAY = DELTA_DIR.resolveSibling(DELTA_DIR.getFileName() + ".away");

    @Override
    void stopTarget() {
        try {
            Files.move(DELTA_DIR, AWAY);
            Files.writeString(DELTA_DIR, "not a folder: the Delta sink's store is away");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    void startTarget() {
        try {
            Files.delete(DELTA_DIR);
            Files.move(AWAY, DELTA_DIR);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
