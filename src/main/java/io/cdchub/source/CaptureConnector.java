package io.cdchub.source;

import io.debezium.connector.postgresql.PostgresConnector;
import org.apache.kafka.connect.connector.Task;

/**
 * Debezium's PostgreSQL connector as cdc-hub's engines run it: the same connector, configuration, validation and
 * records, with {@link CaptureConnectorTask} as its task so that waiting for changes costs no CPU. Users still name
 * {@code io.debezium.connector.postgresql.PostgresConnector}; only the engine is given this class.
 */
public class CaptureConnector extends PostgresConnector {

    @Override
    public Class<? extends Task> taskClass() {
        return CaptureConnectorTask.class;
    }
}
