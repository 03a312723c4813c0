package io.cdchub.sink.parquet;

import io.cdchub.sink.SinkProperties;
import io.cdchub.sink.clickhouse.PostgresColumns;
import io.cdchub.sink.lakehouse.LakeTableColumns;
import io.cdchub.source.SourceProperties;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The Parquet sink's beans, present only with {@code cdc.sink.parquet.enabled=true} (its route has the same precondition). */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "cdc.sink.parquet.enabled", havingValue = "true")
public class ParquetSinkConfiguration {

    @Bean
    ParquetSink parquetSink(SinkProperties sinks, SourceProperties source) {
        ParquetSettings settings = sinks.parquet();
        LakeTableColumns columns = new LakeTableColumns(new PostgresColumns(source.database()));
        // TEMPORARY until the lakehouse foundation's storage settings: a local folder through Hadoop's local file system
        org.apache.iceberg.hadoop.HadoopFileIO io = new org.apache.iceberg.hadoop.HadoopFileIO(new org.apache.hadoop.conf.Configuration());
        String root = java.nio.file.Path.of(settings.path()).toAbsolutePath().normalize().toString();
        return new ParquetSink(settings, columns, io, root);
    }
}
