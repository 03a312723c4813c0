package io.cdchub.source;

import org.apache.camel.component.debezium.configuration.ConfigurationValidation;
import org.apache.camel.component.debezium.postgres.configuration.PostgresConnectorEmbeddedDebeziumConfiguration;

/**
 * Camel's debezium-postgres configuration, accepting no password: PostgreSQL's trust, peer and
 * certificate authentication need none, but Camel's validation insists on one.
 */
public class PostgresSourceConnectorConfiguration extends PostgresConnectorEmbeddedDebeziumConfiguration {

    @Override
    protected ConfigurationValidation validateConnectorConfiguration() {
        String password = getDatabasePassword();
        if (password != null && !password.isEmpty()) {
            return super.validateConnectorConfiguration();
        }
        setDatabasePassword("not-used-for-validation");
        try {
            return super.validateConnectorConfiguration();
        } finally {
            setDatabasePassword(null);
        }
    }
}
