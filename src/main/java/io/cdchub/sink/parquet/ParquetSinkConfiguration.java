package io.cdchub.sink.parquet;

import io.cdchub.sink.SinkProperties;
import io.cdchub.sink.clickhouse.PostgresColumns;
import io.cdchub.sink.lakehouse.LakeTableColumns;
import io.cdchub.sink.lakehouse.LakehouseFileIO;
import io.cdchub.sink.lakehouse.LakehouseStorage;
import io.cdchub.source.SourceProperties;
import org.apache.iceberg.io.FileIO;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The Parquet sink's beans, present only with {@code cdc.sink.parquet.enabled=true} (its route has the same precondition). */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "cdc.sink.parquet.enabled", havingValue = "true")
public class ParquetSinkConfiguration {

    /** The files' store (a local folder or S3), through the lakehouse sinks' one FileIO; closed with the context. */
    @Bean(destroyMethod = "close")
    FileIO parquetSinkFileIO(SinkProperties sinks) {
        return LakehouseFileIO.open(sinks.parquet().storage());
    }

    @Bean
    ParquetSink parquetSink(SinkProperties sinks, SourceProperties source, FileIO parquetSinkFileIO) {
        ParquetSettings settings = sinks.parquet();
        LakehouseStorage storage = settings.storage();
        return new ParquetSink(settings, new LakeTableColumns(new PostgresColumns(source.database())), parquetSinkFileIO, storage.location());
    }
}
