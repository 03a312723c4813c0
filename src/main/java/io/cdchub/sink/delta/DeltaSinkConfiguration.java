package io.cdchub.sink.delta;

import io.cdchub.sink.SinkProperties;
import io.cdchub.sink.clickhouse.PostgresColumns;
import io.cdchub.sink.lakehouse.LakeTableColumns;
import io.cdchub.sink.lakehouse.LakehouseFileIO;
import io.cdchub.sink.lakehouse.LakehouseStorage;
import io.cdchub.source.SourceProperties;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The Delta Lake sink's beans, present only with {@code cdc.sink.delta.enabled=true} (its route has the same precondition). */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "cdc.sink.delta.enabled", havingValue = "true")
public class DeltaSinkConfiguration {

    @Bean
    Engine deltaSinkEngine(SinkProperties sinks) {
        return engine(sinks.delta().storage());
    }

    /**
     * Delta Kernel's engine on the sink's store. A local folder: Hadoop's raw local file system (Delta's own local log
     * store, which commits by an atomic rename; no .crc files). S3: the lakehouse sinks' S3FileIO ({@link DeltaFileIO}).
     */
    public static Engine engine(LakehouseStorage storage) {
        if (storage.isS3()) {
            return DefaultEngine.create(new DeltaFileIO(LakehouseFileIO.open(storage)));
        }
        org.apache.hadoop.conf.Configuration conf = LakehouseFileIO.hadoopConfiguration();
        // Delta's local log store commits through Hadoop's FileContext (an atomic rename that fails when the version
        // exists), which needs the local AbstractFileSystem: the raw one, as for the files (no .crc files)
        conf.set("fs.AbstractFileSystem.file.impl", "org.apache.hadoop.fs.local.RawLocalFs");
        return DefaultEngine.create(conf);
    }

    @Bean
    DeltaSink deltaSink(SinkProperties sinks, SourceProperties source, Engine deltaSinkEngine) {
        DeltaSettings settings = sinks.delta();
        return new DeltaSink(settings, new LakeTableColumns(new PostgresColumns(source.database())), deltaSinkEngine, settings.storage().location());
    }
}
