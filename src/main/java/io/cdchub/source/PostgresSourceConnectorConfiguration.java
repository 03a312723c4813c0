package io.cdchub.source;

import java.util.Map;

import org.apache.camel.component.debezium.configuration.ConfigurationValidation;
import org.apache.camel.component.debezium.postgres.configuration.PostgresConnectorEmbeddedDebeziumConfiguration;

/**
 * Camel's debezium-postgres configuration, accepting no password: PostgreSQL's trust, peer and
 * certificate authentication need none, but Camel's validation insists on one.
 */
public class PostgresSourceConnectorConfiguration extends PostgresConnectorEmbeddedDebeziumConfiguration {

    /**
     * The Debezium connector settings a value format needs, for the built-in source and runtime connectors alike,
     * laid over every other setting. The cdc-hub form: exact and lossless, as {@link ConnectValueConverter} renders
     * them (numeric through {@link ExactNumericConverter}, so NaN and Infinity survive), tombstones sent by cdc-hub
     * right behind their delete. The debezium form: Debezium's own defaults, tombstones as {@code tombstones} says.
     */
    public static Map<String, String> valueFormSettings(ValueFormat format, boolean tombstones) {
        if (format == ValueFormat.DEBEZIUM) {
            return Map.of("tombstones.on.delete", Boolean.toString(tombstones));
        }
        return Map.of(
                "decimal.handling.mode", "precise",
                "converters", "exactnumeric",
                "exactnumeric.type", ExactNumericConverter.class.getName(),
                "time.precision.mode", "adaptive_time_microseconds",
                "binary.handling.mode", "bytes",
                "interval.handling.mode", "string",
                "hstore.handling.mode", "json",
                "include.unknown.datatypes", "true",
                "tombstones.on.delete", "false"); // the writer sends tombstones itself, right behind their delete
    }

    /** Offsets committed every offset-flush-interval, each commit allowed up to offset-commit-timeout. */
    public void commitOffsetsAs(SourceProperties source) {
        setOffsetFlushIntervalMs(source.offsetFlushInterval().toMillis());
        setOffsetCommitTimeoutMs(source.offsetCommitTimeout().toMillis());
    }

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
