package io.cdchub.admin;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.cdchub.config.CdcHubProperties;
import io.cdchub.source.AckGatedKafkaOffsetStore;
import io.cdchub.source.AckGatedOffsetStore;
import io.cdchub.source.ChangeEventMapper;
import io.cdchub.source.ChangeTopicNames;
import io.cdchub.source.PostgresSourceConnectorConfiguration;
import io.cdchub.source.PublishLedger;
import io.cdchub.source.SourceProperties;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.apache.camel.component.seda.SedaEndpoint;
import org.apache.camel.support.PropertyBindingSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs runtime connectors in this instance: per connector, the routes of the {@code postgres-connector} and
 * {@code connector-publisher} templates (routes/connector-templates.camel.yaml) with the same machinery as the
 * built-in source: {@link ChangeEventMapper} for the envelopes, a {@link PublishLedger} of the connector's own,
 * and the ack-gated offset store in Kafka ({@code cdc.admin.offset-topic}), so offsets never pass a change Kafka
 * has not acknowledged. A publishing failure restarts the connector from its committed offsets, as
 * {@code SourceSupervisor} does for the built-in source.
 */
public class ConnectorRuntime {

    public static final String SOURCE_TEMPLATE = "postgres-connector";
    public static final String PUBLISHER_TEMPLATE = "connector-publisher";

    private static final Logger LOG = LoggerFactory.getLogger(ConnectorRuntime.class);

    private final CamelContext camel;
    private final RuntimeConnectorComponent component;
    private final CdcHubProperties hub;
    private final SourceProperties source;
    private final AdminProperties admin;
    private final Map<String, ConnectorDefinition> running = new ConcurrentHashMap<>();

    public ConnectorRuntime(CamelContext camel, RuntimeConnectorComponent component, CdcHubProperties hub, SourceProperties source,
            AdminProperties admin) {
        this.camel = camel;
        this.component = component;
        this.hub = hub;
        this.source = source;
        this.admin = admin;
    }

    public static String sourceRouteId(String name) {
        return "connector-" + name;
    }

    public static String publisherRouteId(String name) {
        return "connector-" + name + "-publisher";
    }

    /**
     * Runs the action once Camel has fully started (at once if it has): the templates and the routes they rely on
     * (dead letters, error configurations) exist only then. Camel Spring Boot starts Camel after the application's
     * lifecycle beans, so waiting for a lifecycle phase is not enough.
     */
    public void whenCamelStarted(Runnable action) {
        // Camel calls startup listeners again when routes are added later: run the action once
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            camel.addStartupListener((context, alreadyStarted) -> {
                if (done.compareAndSet(false, true)) {
                    action.run();
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException("Cannot wait for Camel to start", e);
        }
    }

    /** The definition this instance runs under the name, or null. */
    public ConnectorDefinition running(String name) {
        return running.get(name);
    }

    public boolean failed(String name) {
        return running.containsKey(name) && PublishLedger.forEngine(name).failed();
    }

    /** Creates and starts the connector's routes; on failure nothing of it is left behind. */
    public synchronized void start(ConnectorDefinition definition, Runnable onPublishFailure) throws Exception {
        String name = definition.name();
        if (running.containsKey(name)) {
            return;
        }
        PublishLedger ledger = PublishLedger.forEngine(name);
        ledger.reset();
        ledger.onFailure(onPublishFailure);
        component.register(name, engineConfiguration(definition));
        String prefix = definition.config().get("topic.prefix");
        ChangeEventMapper mapper = new ChangeEventMapper(new ChangeTopicNames(new CdcHubProperties(prefix, hub.dataDir(), Map.of(),
                hub.kafka(), hub.topics(), hub.dlq())), source);
        // Bound in Camel's registry under per-connector names the templates use (connector-mapper-<name>, ...)
        camel.getRegistry().bind(mapperBean(name), mapper);
        camel.getRegistry().bind(ledgerBean(name), ledger);
        try {
            TemplatedRouteBuilder.builder(camel, PUBLISHER_TEMPLATE)
                    .routeId(publisherRouteId(name))
                    .prefixId(name + "-publisher-")
                    .parameter("connectorName", name)
                    .parameter("publishQueueSize", source.publishQueueSize())
                    .add();
            TemplatedRouteBuilder.builder(camel, SOURCE_TEMPLATE)
                    .routeId(sourceRouteId(name))
                    .prefixId(name + "-")
                    .parameter("connectorName", name)
                    .parameter("publishQueueSize", source.publishQueueSize())
                    .add();
            running.put(name, definition);
            LOG.info("Runtime connector {} started (slot {}, topics {}.<schema>.<table>)", name, definition.config().get("slot.name"), prefix);
        } catch (Exception e) {
            removeRoutes(name);
            AckGatedOffsetStore.stopLeftovers(name);
            component.unregister(name);
            unbind(name);
            throw e;
        }
    }

    /** Stops and removes the connector's routes: the source first (its engine commits what Kafka acknowledged), then its publisher. */
    public synchronized void stop(String name) {
        if (running.remove(name) == null) {
            return;
        }
        removeRoutes(name);
        AckGatedOffsetStore.stopLeftovers(name);
        component.unregister(name);
        unbind(name);
        PublishLedger.forEngine(name).reset();
        LOG.info("Runtime connector {} stopped", name);
    }

    private static String mapperBean(String name) {
        return "connector-mapper-" + name;
    }

    private static String ledgerBean(String name) {
        return "connector-ledger-" + name;
    }

    private void unbind(String name) {
        camel.getRegistry().unbind(mapperBean(name));
        camel.getRegistry().unbind(ledgerBean(name));
    }

    private void removeRoutes(String name) {
        for (String routeId : new String[] {sourceRouteId(name), publisherRouteId(name)}) {
            try {
                if (camel.getRoute(routeId) != null) {
                    camel.getRouteController().stopRoute(routeId);
                    camel.removeRoute(routeId);
                }
            } catch (Exception e) {
                LOG.warn("Could not remove route {} of connector {}: {}", routeId, name, e.toString());
            }
        }
        try {
            // Endpoints are cached by URI: drop them, so a new definition under this name gets a new engine and queue.
            SedaEndpoint queue = camel.hasEndpoint("seda:connector-publisher-" + name) instanceof SedaEndpoint seda ? seda : null;
            if (queue != null) {
                queue.purgeQueue(); // unacknowledged changes come again from the committed offsets
            }
            camel.removeEndpoints(RuntimeConnectorComponent.SCHEME + ":" + name + "*");
            camel.removeEndpoints("seda:connector-publisher-" + name + "*");
        } catch (Exception e) {
            LOG.warn("Could not remove endpoints of connector {}: {}", name, e.toString());
        }
    }

    /**
     * The Debezium engine's configuration: the definition's keys bound to Camel's typed options where they exist
     * (the rest passed through), then cdc-hub's own settings, which the definition may not change.
     */
    PostgresSourceConnectorConfiguration engineConfiguration(ConnectorDefinition definition) {
        PostgresSourceConnectorConfiguration config = new PostgresSourceConnectorConfiguration();
        Map<String, Object> options = new LinkedHashMap<>();
        Map<String, String> dottedByOption = new HashMap<>();
        definition.config().forEach((key, value) -> {
            if (ConnectorConfigs.ignored(key) || key.equals("connector.class") || key.equals("tasks.max")) {
                return;
            }
            String option = camelCase(key);
            options.put(option, value);
            dottedByOption.put(option, key);
        });
        if (!definition.config().containsKey("poll.interval.ms")) {
            options.put("pollIntervalMs", source.pollInterval().toMillis());
        }
        PropertyBindingSupport.build().withCamelContext(camel).withTarget(config).withProperties(options)
                .withRemoveParameters(true).withIgnoreCase(true).withMandatory(false).bind();
        Map<String, Object> extra = new HashMap<>();
        options.forEach((option, value) -> extra.put(dottedByOption.getOrDefault(option, option), value));

        config.setName(definition.name());
        String password = definition.config().get("database.password");
        config.setDatabasePassword(password == null || password.isEmpty() ? null : password);
        config.setPluginName("pgoutput");
        config.useCdcHubValueForms(extra);
        // Offsets in Kafka, shared by every instance that may run the connector, gated by Kafka's acknowledgements
        config.setOffsetStorage(AckGatedKafkaOffsetStore.class.getName());
        config.setOffsetStorageTopic(admin.offsetTopic());
        config.setOffsetStoragePartitions(1);
        config.setOffsetStorageReplicationFactor(hub.topics().replicationFactor());
        config.commitOffsetsAs(source);
        extra.putAll(hub.kafka().clientSettings());
        config.setAdditionalProperties(extra);
        return config;
    }

    /** Debezium's dotted key as Camel's option name: database.hostname -> databaseHostname. */
    static String camelCase(String dotted) {
        StringBuilder out = new StringBuilder(dotted.length());
        boolean upper = false;
        for (char c : dotted.toCharArray()) {
            if (c == '.' || c == '_' || c == '-') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }
}
