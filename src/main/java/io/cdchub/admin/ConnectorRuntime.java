package io.cdchub.admin;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

import io.cdchub.config.CdcHubProperties;
import io.cdchub.source.CaptureSettings;
import io.cdchub.source.ChangeCaptureComponent;
import io.cdchub.source.ChangeTopicNames;
import io.cdchub.source.PostgresSourceConnectorConfiguration;
import io.cdchub.source.SourceKafkaOffsetStore;
import io.cdchub.source.SourceOffsetStore;
import io.cdchub.source.SourceProperties;
import io.cdchub.source.SourceStatus;
import io.cdchub.source.ValueFormat;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs runtime connectors in this instance: per connector, a route of the {@code postgres-connector} template
 * (routes/connector-templates.camel.yaml) reading {@code cdc-source:<name>}, the same capture as the built-in
 * source's, with offsets in Kafka ({@code cdc.admin.offset-topic}) that never pass a change Kafka has not
 * acknowledged. A failed batch restarts the connector's engine from its committed offsets after the back-off, as for
 * the built-in source.
 *
 * <p>The connector's configuration reaches Debezium as the plain strings the API stored: nothing in it is bound to
 * Java objects or resolved as a Camel property placeholder, so {@code #class:...} or {@code {{env:...}}} in a value
 * stay text.
 */
public class ConnectorRuntime {

    public static final String SOURCE_TEMPLATE = "postgres-connector";

    private static final Logger LOG = LoggerFactory.getLogger(ConnectorRuntime.class);

    private final CamelContext camel;
    private final ChangeCaptureComponent component;
    private final CdcHubProperties hub;
    private final SourceProperties source;
    private final AdminProperties admin;
    private final Map<String, ConnectorDefinition> running = new ConcurrentHashMap<>();

    public ConnectorRuntime(CamelContext camel, ChangeCaptureComponent component, CdcHubProperties hub, SourceProperties source,
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

    /** The connector's engine has failed and waits to restart. */
    public boolean failed(String name) {
        return running.containsKey(name) && SourceStatus.forEngine(name).failed();
    }

    /** Why the connector's engine last failed, while it has not recovered; else null. */
    public String failure(String name) {
        Throwable failure = running.containsKey(name) ? SourceStatus.forEngine(name).failure() : null;
        return failure == null ? null : failure.toString();
    }

    /**
     * Creates and starts the connector's route; on failure nothing of it is left behind. Its engine restarts itself
     * after a failure, so {@code onFailure} is not needed any more and is kept for the caller's signature only.
     */
    public synchronized void start(ConnectorDefinition definition, Runnable onFailure) throws Exception {
        String name = definition.name();
        if (running.containsKey(name)) {
            return;
        }
        SourceStatus.forEngine(name).reset();
        component.register(capture(definition));
        try {
            TemplatedRouteBuilder.builder(camel, SOURCE_TEMPLATE)
                    .routeId(sourceRouteId(name))
                    .prefixId(name + "-")
                    .parameter("connectorName", name)
                    .add();
            running.put(name, definition);
            LOG.info("Runtime connector {} started (slot {}, topics {}.<schema>.<table>)", name, definition.config().get("slot.name"),
                    definition.config().get("topic.prefix"));
        } catch (Exception e) {
            removeRoute(name);
            SourceOffsetStore.stopLeftovers(name);
            component.unregister(name);
            throw e;
        }
    }

    /** Stops and removes the connector's route: its engine commits the offsets of what Kafka acknowledged. */
    public synchronized void stop(String name) {
        if (running.remove(name) == null) {
            return;
        }
        removeRoute(name);
        SourceOffsetStore.stopLeftovers(name);
        component.unregister(name);
        SourceStatus.forEngine(name).reset();
        LOG.info("Runtime connector {} stopped", name);
    }

    private void removeRoute(String name) {
        String routeId = sourceRouteId(name);
        try {
            if (camel.getRoute(routeId) != null) {
                camel.getRouteController().stopRoute(routeId);
                camel.removeRoute(routeId);
            }
        } catch (Exception e) {
            LOG.warn("Could not remove route {} of connector {}: {}", routeId, name, e.toString());
        }
        try {
            // Endpoints are cached by URI: drop them, so a new definition under this name gets a new engine.
            camel.removeEndpoints(ChangeCaptureComponent.SCHEME + ":" + name + "*");
        } catch (Exception e) {
            LOG.warn("Could not remove endpoints of connector {}: {}", name, e.toString());
        }
    }

    /** The connector's capture: its stored configuration as Debezium properties, then cdc-hub's own settings. */
    CaptureSettings capture(ConnectorDefinition definition) {
        String prefix = definition.config().get("topic.prefix");
        ChangeTopicNames topics = new ChangeTopicNames(new CdcHubProperties(prefix, hub.dataDir(), Map.of(), hub.kafka(), hub.topics(), hub.dlq()));
        ValueFormat format = ConnectorConfigs.valueFormat(definition.config(), ConnectorConfigs.Naming.DOTTED);
        boolean tombstones = Boolean.parseBoolean(definition.config().getOrDefault("tombstones.on.delete", Boolean.toString(source.tombstones())));
        return new CaptureSettings(definition.name(), engineProperties(definition, format, tombstones), topics, format,
                ConnectorConfigs.schemasEnable(definition.config()), tombstones, source.maxEventBytes(), null, source.restartBackoff());
    }

    /**
     * The Debezium engine's properties: the definition's keys as they are (strings; cdc-hub's managed keys were refused
     * when it was stored), then cdc-hub's own settings, which the definition may not change.
     */
    Properties engineProperties(ConnectorDefinition definition, ValueFormat format, boolean tombstones) {
        Properties engine = new Properties();
        definition.config().forEach((key, value) -> {
            boolean noPassword = key.equals("database.password") && value.isEmpty(); // trust, peer or certificate authentication
            if (!ConnectorConfigs.ignored(key) && !key.equals("tasks.max") && !key.equals(ConnectorConfigs.VALUE_FORMAT) && !noPassword) {
                engine.setProperty(key, value);
            }
        });
        engine.putIfAbsent("poll.interval.ms", Long.toString(source.pollInterval().toMillis()));
        // cdc-hub's own settings: how values are rendered and how offsets are kept are part of its guarantees
        PostgresSourceConnectorConfiguration.valueFormSettings(format, tombstones).forEach(engine::setProperty);
        hub.kafka().clientSettings().forEach((key, value) -> engine.setProperty(key, String.valueOf(value)));
        engine.setProperty("offset.storage", SourceKafkaOffsetStore.class.getName());
        engine.setProperty("offset.storage.topic", admin.offsetTopic());
        engine.setProperty("offset.storage.partitions", "1");
        engine.setProperty("offset.storage.replication.factor", Integer.toString(hub.topics().replicationFactor()));
        engine.setProperty("offset.flush.interval.ms", Long.toString(source.offsetFlushInterval().toMillis()));
        engine.setProperty("offset.flush.timeout.ms", Long.toString(source.offsetCommitTimeout().toMillis()));
        engine.setProperty("name", definition.name());
        engine.setProperty("connector.class", ConnectorConfigs.POSTGRES_CONNECTOR);
        engine.setProperty("plugin.name", "pgoutput");
        return engine;
    }
}
