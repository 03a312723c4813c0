package io.cdchub.source;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.cdchub.config.CdcHubProperties;
import org.apache.camel.component.debezium.postgres.DebeziumPostgresComponent;
import org.apache.camel.spi.ComponentCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Builds the debezium-postgres component's configuration from {@code cdc.source.*}. The route YAML
 * only names the endpoint; every connection and tuning setting lives here, typed and checked.
 */
@Configuration(proxyBeanMethods = false)
public class SourceConfiguration {

    @Bean
    PublishLedger publishLedger(SourceProperties source) {
        return PublishLedger.forEngine(source.name());
    }

    @Bean
    PostgresSourceConnectorConfiguration sourceConnectorConfiguration(SourceProperties source, CdcHubProperties hub)
            throws IOException {
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

        String tables = String.join(",", SourceProperties.tableRegexes(source.tables()));
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
        config.setTableIncludeList(tables);

        Map<String, Object> extra = new HashMap<>();
        config.useCdcHubValueForms(extra);

        config.setPollIntervalMs(source.pollInterval().toMillis());
        config.setMaxBatchSize(source.maxBatchSize());
        config.setMaxQueueSize(source.maxQueueSize());

        config.commitOffsetsAs(source);
        if (source.offsetStore() == SourceProperties.OffsetStore.KAFKA) {
            config.setOffsetStorage(AckGatedKafkaOffsetStore.class.getName());
            config.setOffsetStorageTopic(source.offsetTopic());
            config.setOffsetStoragePartitions(1);
            config.setOffsetStorageReplicationFactor(hub.topics().replicationFactor());
            extra.putAll(hub.kafka().clientSettings());
        } else {
            config.setOffsetStorage(AckGatedFileOffsetStore.class.getName());
        }
        extra.putAll(source.debezium());
        config.setAdditionalProperties(extra);
        return config;
    }

    @Bean
    ComponentCustomizer debeziumPostgresCustomizer(PostgresSourceConnectorConfiguration sourceConnectorConfiguration) {
        // Last, so the starter's own customizer (which applies its defaults, such as port 5432) cannot overwrite ours.
        return ComponentCustomizer.builder(DebeziumPostgresComponent.class)
                .withOrder(org.springframework.core.Ordered.LOWEST_PRECEDENCE)
                .build(component -> component.setConfiguration(sourceConnectorConfiguration));
    }
}
