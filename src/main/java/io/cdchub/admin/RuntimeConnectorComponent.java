package io.cdchub.admin;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.cdchub.source.PostgresSourceConnectorConfiguration;
import org.apache.camel.Endpoint;
import org.apache.camel.component.debezium.configuration.ConfigurationValidation;
import org.apache.camel.component.debezium.postgres.DebeziumPostgresComponent;
import org.apache.camel.component.debezium.postgres.DebeziumPostgresEndpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code cdc-connector:<name>} endpoints of runtime connectors: Camel's debezium-postgres endpoint, with the
 * configuration {@link ConnectorRuntime} computed for that connector. The stock component cannot serve here: it
 * copies its own configuration (the built-in source's, with its slot, tables and offsets file) into every endpoint,
 * and options in URIs would put database passwords where URIs are shown (logs, JMX, Hawtio).
 */
public class RuntimeConnectorComponent extends DefaultComponent {

    public static final String SCHEME = "cdc-connector";

    private final Map<String, PostgresSourceConnectorConfiguration> configurations = new ConcurrentHashMap<>();
    /** Owns the endpoints (they need a debezium-postgres component); never registered, never configured. */
    private final DebeziumPostgresComponent owner = new DebeziumPostgresComponent();

    void register(String name, PostgresSourceConnectorConfiguration configuration) {
        configurations.put(name, configuration);
    }

    void unregister(String name) {
        configurations.remove(name);
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        PostgresSourceConnectorConfiguration configuration = configurations.get(remaining);
        if (configuration == null) {
            throw new IllegalArgumentException("No runtime connector named '" + remaining + "' (endpoints are made by ConnectorRuntime)");
        }
        if (owner.getCamelContext() == null) {
            owner.setCamelContext(getCamelContext());
        }
        DebeziumPostgresEndpoint endpoint = new DebeziumPostgresEndpoint(uri, owner, configuration);
        setProperties(endpoint, parameters);
        ConfigurationValidation validation = configuration.validateConfiguration();
        if (!validation.isValid()) {
            throw new IllegalArgumentException(validation.getReason());
        }
        return endpoint;
    }
}
