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
     * The value forms cdc-hub publishes, for the built-in source and runtime connectors alike: exact and lossless,
     * as {@link ConnectValueConverter} renders them. Adds the converter's class to {@code additionalProperties}.
     */
    public void useCdcHubValueForms(Map<String, Object> additionalProperties) {
        setDecimalHandlingMode("precise");
        // numeric/decimal as exact text, so NaN and Infinity survive (Debezium alone would send null)
        setConverters("exactnumeric");
        additionalProperties.put("exactnumeric.type", ExactNumericConverter.class.getName());
        setTimePrecisionMode("adaptive_time_microseconds");
        setBinaryHandlingMode("bytes");
        setIntervalHandlingMode("string");
        setHstoreHandlingMode("json");
        setIncludeUnknownDatatypes(true);
        setTombstonesOnDelete(false); // the mapper sends tombstones itself, right behind their delete
    }

    /** Offsets committed every offset-flush-interval, each commit waiting up to offset-commit-timeout (AckGatedOffsetStore). */
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
