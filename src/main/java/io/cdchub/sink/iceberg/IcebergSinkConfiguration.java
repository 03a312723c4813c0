package io.cdchub.sink.iceberg;

import io.cdchub.sink.SinkProperties;
import io.cdchub.sink.clickhouse.PostgresColumns;
import io.cdchub.sink.lakehouse.LakehouseFileIO;
import io.cdchub.source.SourceProperties;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.catalog.Catalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The Iceberg sink's beans, present only with {@code cdc.sink.iceberg.enabled=true} (its route has the same precondition). */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "cdc.sink.iceberg.enabled", havingValue = "true")
public class IcebergSinkConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(IcebergSinkConfiguration.class);

    /** The catalog: Iceberg's own (hadoop, jdbc or rest), reaching the warehouse through the shared lakehouse FileIO settings. */
    @Bean(destroyMethod = "")
    Catalog icebergSinkCatalog(SinkProperties sinks) {
        IcebergSettings settings = sinks.iceberg();
        LOG.info("Iceberg sink: {} catalog '{}', warehouse {}, namespace {}, commit interval {}", settings.catalog().type(),
                settings.catalog().name(), settings.storage(), settings.namespace(), settings.commitInterval());
        // made lazily by Iceberg: a catalog or store that is down makes the sink's writes fail (retried), not the start-up
        return CatalogUtil.buildIcebergCatalog(settings.catalog().name(), IcebergSink.catalogProperties(settings),
                LakehouseFileIO.hadoopConfiguration());
    }

    @Bean
    IcebergSink icebergSink(SinkProperties sinks, SourceProperties source, Catalog icebergSinkCatalog) {
        return new IcebergSink(sinks.iceberg(), icebergSinkCatalog, new PostgresColumns(source.database()));
    }

    @Bean(destroyMethod = "close")
    IcebergMaintenance icebergMaintenance(SinkProperties sinks, IcebergSink icebergSink) {
        return new IcebergMaintenance(sinks.iceberg(), icebergSink);
    }
}
