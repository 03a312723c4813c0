package io.cdchub.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class CapturedTablesTest {

    private static SourceProperties source(boolean enabled, String tables) {
        Map<String, String> map = new HashMap<>();
        map.put("cdc.source.enabled", Boolean.toString(enabled));
        map.put("cdc.source.tables", tables);
        map.put("cdc.source.slot", "it_slot");
        map.put("cdc.source.database.hostname", "localhost");
        map.put("cdc.source.database.dbname", "db");
        map.put("cdc.source.database.user", "u");
        return new Binder(new MapConfigurationPropertySource(map)).bindOrCreate("cdc.source", Bindable.of(SourceProperties.class));
    }

    @Test
    void theIncludeListIsTheConfiguredTablesThenTheAddedOnesOnce() {
        CapturedTables captured = new CapturedTables(source(true, "public\\.orders, public\\.customers"),
                List.of(() -> List.of("staging\\.csv_[a-z0-9_]+", "public\\.orders"), List::of));
        assertThat(captured.includeList()).containsExactly("public\\.orders", "public\\.customers", "staging\\.csv_[a-z0-9_]+");
    }

    @Test
    void tablesAreMatchedAsDebeziumMatchesThem() {
        CapturedTables captured = new CapturedTables(source(true, "public\\.orders"), List.of(() -> List.of("staging\\.csv_[a-z0-9_]+")));
        assertThat(captured.captures("public", "orders")).isTrue();
        assertThat(captured.captures("PUBLIC", "Orders")).as("case-insensitive, as table.include.list").isTrue();
        assertThat(captured.captures("public", "orders_archive")).as("the whole name matches").isFalse();
        assertThat(captured.captures("staging", "csv_klienci")).isTrue();
        assertThat(captured.captures("staging", "klienci")).isFalse();
    }

    @Test
    void nothingIsCapturedWhereTheSourceDoesNotRun() {
        CapturedTables captured = new CapturedTables(source(false, "public\\..*"), List.of(() -> List.of("staging\\..*")));
        assertThat(captured.captures("public", "orders")).isFalse();
        assertThat(captured.captures("staging", "klienci")).isFalse();
    }
}
