package io.cdchub.sink.delta;

import io.cdchub.sink.SinkProperties;
import io.cdchub.sink.clickhouse.PostgresColumns;
import io.cdchub.sink.lakehouse.LakeTableColumns;
import io.cdchub.source.SourceProperties;
import io.delta.kernel.defaults.engine.DefaultEngine;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The Delta Lake sink's beans, present only with {@code cdc.sink.delta.enabled=true} (its route has the same precondition). */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "cdc.sink.delta.enabled", havingValue = "true")
public class DeltaSinkConfiguration {

    @Bean
    DeltaSink deltaSink(SinkProperties sinks, SourceProperties source) {
        DeltaSettings settings = sinks.delta();
        LakeTableColumns columns = new LakeTableColumns(new PostgresColumns(source.database()));
        // TEMPORARY until the lakehouse foundation's storage settings: local folders through Hadoop's local file system
        String root = java.nio.file.Path.of(settings.path()).toAbsolutePath().normalize().toString();
        return new DeltaSink(settings, columns, DefaultEngine.create(new org.apache.hadoop.conf.Configuration()), root);
    }
}
