package io.cdchub.source;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import io.cdchub.config.CdcHubProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Builds the built-in source's capture ({@code cdc-source:<cdc.source.name>}) from {@code cdc.source.*}. The route
 * YAML only names the endpoint; every connection and tuning setting lives here, typed and checked.
 */
@Configuration(proxyBeanMethods = false)
public class SourceConfiguration {

    /** The {@code cdc-source} endpoints of the built-in source and the runtime connectors. */
    @Bean(ChangeCaptureComponent.SCHEME)
    ChangeCaptureComponent changeCaptureComponent() {
        return new ChangeCaptureComponent();
    }

    /** The built-in source's capture, registered with the component when the source is enabled. */
    @Bean
    CaptureSettings builtInCapture(SourceProperties source, PostgresSourceConnectorConfiguration sourceConnectorConfiguration,
            ChangeTopicNames topics, ChangeCaptureComponent component, Environment environment) {
        requireReadersOfTheForm(source, environment);
        Properties engine = new Properties();
        if (source.enabled()) {
            sourceConnectorConfiguration.createDebeziumConfiguration().asMap().forEach(engine::setProperty);
            PostgresSourceConnectorConfiguration.valueFormSettings(source.valueFormat(), source.tombstones()).forEach(engine::setProperty);
        }
        CaptureSettings capture = new CaptureSettings(source.name(), engine, topics, source.valueFormat(), source.schemasEnable(),
                source.tombstones(), source.maxEventBytes(), source.heartbeat().interval().isZero() ? null : source.heartbeat().table(),
                source.restartBackoff());
        if (source.enabled()) {
            component.register(capture);
        }
        return capture;
    }

    /** cdc-hub's own readers of change topics read the cdc-hub form: refuse to feed them another one. */
    private static final Map<String, String> CDC_HUB_FORM_READERS = Map.of(
            "cdc.sink.clickhouse.enabled", "the ClickHouse sink",
            "cdc.sink.elasticsearch.enabled", "the Elasticsearch sink",
            "cdc.sink.parquet.enabled", "the Parquet sink",
            "cdc.sink.delta.enabled", "the Delta Lake sink",
            "cdc.gateway.enabled", "the real-time gateway");

    static void requireReadersOfTheForm(SourceProperties source, Environment environment) {
        if (!source.enabled() || source.valueFormat() == ValueFormat.CDC_HUB) {
            return;
        }
        for (Map.Entry<String, String> reader : new java.util.TreeMap<>(CDC_HUB_FORM_READERS).entrySet()) {
            if (environment.getProperty(reader.getKey(), Boolean.class, false)) {
                throw new io.cdchub.config.InvalidConfigurationException("cdc.source.value-format",
                        "is " + source.valueFormat().label() + ", but " + reader.getValue() + " (" + reader.getKey() + "=true) reads"
                                + " the cdc-hub form and would mis-read this one: run it with cdc.source.value-format=cdc-hub, or turn it off");
            }
        }
    }

    /** The tables the built-in source captures: cdc.source.tables plus those features add for tables they create. */
    @Bean
    CapturedTables capturedTables(SourceProperties source, ObjectProvider<CapturedTables.AdditionalCapture> additions) {
        return new CapturedTables(source, additions.orderedStream().toList());
    }

    @Bean
    PostgresSourceConnectorConfiguration sourceConnectorConfiguration(SourceProperties source, CdcHubProperties hub,
            CapturedTables capturedTables) throws IOException {
        PostgresSourceConnectorConfiguration config = new PostgresSourceConnectorConfiguration();
        config.setName(source.name());
        config.setTopicPrefix(hub.topicPrefix());
        Path offsets = hub.dataDir().resolve("offsets").toAbsolutePath();
        config.setOffsetStorageFileName(offsets.resolve(source.name() + ".dat").toString());
        if (!source.enabled()) {
            return config; // the route does not start; nothing else is read
        }
        Files.createDirectories(offsets);

        SourceDatabaseInspector.Findings findings = new SourceDatabaseInspector(source).inspect();

        config.setDatabaseHostname(source.database().hostname());
        config.setDatabasePort(source.database().port());
        config.setDatabaseDbname(source.database().dbname());
        config.setDatabaseUser(source.database().user());
        config.setDatabasePassword(source.database().password() == null || source.database().password().isEmpty() ? null : source.database().password());
        config.setDatabaseSslmode(source.database().sslmode());

        config.setPluginName("pgoutput");
        config.setSlotName(source.slot());
        config.setPublicationName(source.publicationName());
        config.setPublicationAutocreateMode("filtered");
        config.setSnapshotMode(source.snapshotMode());

        String tables = String.join(",", capturedTables.includeList());
        boolean heartbeats = !source.heartbeat().interval().isZero();
        if (heartbeats) {
            config.setHeartbeatIntervalMs((int) source.heartbeat().interval().toMillis());
            // The heartbeat table is captured (its events are dropped by the mapper) so its writes
            // pass through the filtered publication and let the slot's confirmed LSN advance.
            if (findings.heartbeatTableReady() || !findings.reachable()) {
                tables = tables + "," + source.heartbeat().table().replace(".", "\\."); // validated: [a-z0-9_] identifiers
                String action = source.heartbeat().actionQuery();
                config.setHeartbeatActionQuery(action == null || action.isBlank() ? SourceDatabaseInspector.heartbeatActionQuery(source) : action);
            }
        }
        Map<String, Object> extra = new HashMap<>();
        if (source.signals() && (findings.signalTableReady() || !findings.reachable())) {
            // Captured so that a signal row inserted by POST .../snapshot reaches Debezium through the filtered publication
            // (its events are not published); Debezium also writes an incremental snapshot's chunk watermarks there
            tables = tables + "," + source.signalTable().replace(".", "\\."); // validated: [a-z0-9_] identifiers
            extra.put("signal.data.collection", source.signalTable());
            extra.put("incremental.snapshot.watermarking.strategy", "insert_delete"); // keeps the signal table near empty
        }
        config.setTableIncludeList(tables);

        config.setPollIntervalMs(source.pollInterval().toMillis());
        config.setMaxBatchSize(source.maxBatchSize());
        config.setMaxQueueSize(source.maxQueueSize());

        config.commitOffsetsAs(source);
        if (source.offsetStore() == SourceProperties.OffsetStore.KAFKA) {
            config.setOffsetStorage(SourceKafkaOffsetStore.class.getName());
            config.setOffsetStorageTopic(source.offsetTopic());
            config.setOffsetStoragePartitions(1);
            config.setOffsetStorageReplicationFactor(hub.topics().replicationFactor());
            extra.putAll(hub.kafka().clientSettings());
        } else {
            config.setOffsetStorage(SourceFileOffsetStore.class.getName());
        }
        extra.putAll(source.debezium());
        config.setAdditionalProperties(extra);
        return config;
    }
}
