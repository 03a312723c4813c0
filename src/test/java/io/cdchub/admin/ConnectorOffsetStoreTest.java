package io.cdchub.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ConnectorOffsetStoreTest {

    private static Map<Map<String, ?>, Map<String, ?>> offsets(Map<String, ?> partition, Map<String, ?> offset) {
        Map<Map<String, ?>, Map<String, ?>> offsets = new LinkedHashMap<>();
        offsets.put(partition, offset);
        return offsets;
    }

    @Test
    void postgresOffsetsNeedTheConnectorsOnePartitionAndANumericLsn() {
        ConnectorOffsetStore.requirePostgresOffsets(offsets(Map.of("server", "db"), Map.of("lsn", 123L, "txId", 7, "ts_usec", 1L)), "db");
        ConnectorOffsetStore.requirePostgresOffsets(offsets(Map.of("server", "db"), null), "db"); // null: reset this partition
        assertField(offsets(Map.of("server", "other"), Map.of("lsn", 1L)), "offsets.partition");
        assertField(offsets(Map.of("server", "db", "extra", 1), Map.of("lsn", 1L)), "offsets.partition");
        assertField(offsets(Map.of("server", "db"), Map.of("txId", 1L)), "offsets.offset.lsn");
        assertField(offsets(Map.of("server", "db"), Map.of("lsn", "123")), "offsets.offset.lsn");
        assertField(offsets(Map.of("server", "db"), Map.of("lsn", -1L)), "offsets.offset.lsn");
        assertField(offsets(Map.of("server", "db"), Map.of("lsn", 1L, "lsn_commit", 1.5)), "offsets.offset.lsn_commit");
    }

    @Test
    void offsetsAreNormalizedAsConnectDoesAndOnlyPrimitivesPass() {
        Map<String, Object> offset = new HashMap<>();
        offset.put("lsn", 5);
        offset.put("snapshot", true);
        Map<Map<String, ?>, Map<String, ?>> normalized = ConnectorOffsetStore.normalized(offsets(Map.of("server", "db"), offset));
        Map<String, Object> read = new HashMap<>(normalized.get(Map.of("server", "db")));
        assertThat(read).containsEntry("lsn", 5L).containsEntry("snapshot", true);
        assertThatThrownBy(() -> ConnectorOffsetStore.normalized(offsets(Map.of("server", "db"), Map.of("lsn", List.of(1)))))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status().value()).isEqualTo(400));
    }

    @Test
    void theBodyIsConnectsOffsetsList() throws Exception {
        var json = AdminHttp.JSON;
        Map<Map<String, ?>, Map<String, ?>> parsed = ConnectController.offsetsOf(json.readTree(
                "{\"offsets\": [{\"partition\": {\"server\": \"db\"}, \"offset\": {\"lsn\": 42}}, {\"partition\": {\"server\": \"x\"}, \"offset\": null}]}"));
        assertThat(parsed).hasSize(2).containsEntry(Map.of("server", "x"), null);
        assertThat(new HashMap<String, Object>(parsed.get(Map.of("server", "db")))).containsEntry("lsn", 42);
        for (String bad : new String[] {"{}", "{\"offsets\": []}", "{\"offsets\": {}}", "{\"offsets\": [{\"offset\": {}}]}",
                "{\"offsets\": [{\"partition\": {}, \"offset\": 3}]}"}) {
            assertThatThrownBy(() -> ConnectController.offsetsOf(json.readTree(bad))).as(bad)
                    .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.field()).isEqualTo("offsets"));
        }
        assertThatThrownBy(() -> ConnectController.offsetsOf(null)).isInstanceOf(ApiException.class);
    }

    private static void assertField(Map<Map<String, ?>, Map<String, ?>> offsets, String field) {
        assertThatThrownBy(() -> ConnectorOffsetStore.requirePostgresOffsets(offsets, "db")).as(offsets.toString())
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.field()).isEqualTo(field));
    }
}
