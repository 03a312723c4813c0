package io.cdchub.csvimport;

import java.time.Duration;
import java.util.List;

import io.cdchub.config.InvalidConfigurationException;
import io.cdchub.source.CapturedTables;
import io.cdchub.source.SourceProperties;
import io.micrometer.core.instrument.MeterRegistry;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The CSV import's beans. The importer is always there (the route's precondition asks it whether the import runs);
 * it loads into the captured database, {@code cdc.source.database.*}.
 */
@Configuration(proxyBeanMethods = false)
public class CsvImportConfiguration {

    @Bean
    CsvImporter csvImporter(CsvImportProperties settings, SourceProperties source, CapturedTables capturedTables, MeterRegistry registry) {
        if (settings.enabled()) {
            settings.validate();
            requireSet("cdc.source.database.hostname", source.database().hostname());
            requireSet("cdc.source.database.dbname", source.database().dbname());
            requireSet("cdc.source.database.user", source.database().user());
        }
        PGSimpleDataSource database = source.database().dataSource("cdc-hub-csv-import", Duration.ofSeconds(10));
        database.setSocketTimeout(0); // a large file's COPY takes as long as it takes; connecting stays bounded
        return new CsvImporter(settings, database, capturedTables, registry);
    }

    private static void requireSet(String property, String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidConfigurationException(property, "must be set: the CSV import (cdc.import.csv.dir) loads into this database");
        }
    }

    /** Tables the import creates are captured like the configured ones (cdc.import.csv.capture). */
    @Bean
    CapturedTables.AdditionalCapture csvImportCapture(CsvImportProperties settings) {
        return () -> settings.enabled() && settings.capture() ? List.of(settings.createdTablesRegex()) : List.of();
    }
}
