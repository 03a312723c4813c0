package io.cdchub.csvimport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;

import io.cdchub.config.InvalidConfigurationException;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class CsvImportPropertiesTest {

    /** The settings as Spring binds them from cdc.import.csv.* (defaults included). */
    static CsvImportProperties bind(String... keyValues) {
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put("cdc.import.csv." + keyValues[i], keyValues[i + 1]);
        }
        try {
            CsvImportProperties settings = new Binder(new MapConfigurationPropertySource(map))
                    .bindOrCreate("cdc.import.csv", Bindable.of(CsvImportProperties.class));
            if (settings.enabled()) {
                settings.validate(); // as CsvImportConfiguration does at start-up
            }
            return settings;
        } catch (org.springframework.boot.context.properties.bind.BindException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    @Test
    void offWithoutAFolderAndNothingElseIsChecked() {
        assertThat(bind().enabled()).isFalse();
        assertThat(bind("delimiter", "too long").enabled()).isFalse();
    }

    @Test
    void fileNamesMapToTables() {
        CsvImportProperties settings = bind("dir", "/tmp/in");
        assertThat(settings.tableFor("klienci.csv")).hasValue("klienci");
        assertThat(settings.tableFor("Sales Report-2024.CSV")).hasValue("sales_report_2024");
        assertThat(settings.tableFor("2024_sales.csv")).isEmpty();
        assertThat(settings.tableFor("płace.csv")).isEmpty();
        assertThat(settings.tableFor("a\";drop table x;--.csv")).isEmpty();
        assertThat(settings.tableFor("x".repeat(64) + ".csv")).isEmpty();
        assertThat(bind("dir", "/tmp/in", "table-prefix", "csv_").tableFor("2024_sales.csv")).hasValue("csv_2024_sales");
    }

    @Test
    void theCaptureRegexCoversExactlyTheTablesTheImportCreates() {
        assertThat(bind("dir", "/in", "schema", "staging", "table-prefix", "csv_").createdTablesRegex()).isEqualTo("staging\\.csv_[a-z0-9_]+");
        assertThat("staging.csv_klienci").matches(bind("dir", "/in", "schema", "staging", "table-prefix", "csv_").createdTablesRegex());
    }

    @Test
    void badSettingsStopStartUpNamingTheProperty() {
        assertInvalid("cdc.import.csv.schema", "schema", "Public; drop");
        assertInvalid("cdc.import.csv.delimiter", "delimiter", ";;");
        assertInvalid("cdc.import.csv.quote", "quote", ",");
        assertInvalid("cdc.import.csv.encoding", "encoding", "no-such-charset");
        assertInvalid("cdc.import.csv.encoding", "encoding", "UTF-16");
        assertInvalid("cdc.import.csv.sample-rows", "sample-rows", "0");
        assertInvalid("cdc.import.csv.table-prefix", "table-prefix", "Bad-");
        assertInvalid("cdc.import.csv.primary-key", "primary-key", "id,no good!");
        assertThatThrownBy(() -> bind("dir", "/in", "mode", "merge")).hasMessageContaining("merge");
    }

    @Test
    void encodingsAreHandedToPostgresByItsNames() {
        assertThat(bind("dir", "/in").postgresEncoding()).isEqualTo("UTF8");
        assertThat(bind("dir", "/in", "encoding", "windows-1250").postgresEncoding()).isEqualTo("WIN1250");
        assertThat(bind("dir", "/in", "encoding", "latin2").postgresEncoding()).isEqualTo("LATIN2");
    }

    private static void assertInvalid(String property, String key, String value) {
        assertThatThrownBy(() -> bind("dir", "/in", key, value)).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith(property + " ");
    }
}
