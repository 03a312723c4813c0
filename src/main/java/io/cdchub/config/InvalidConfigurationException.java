package io.cdchub.config;

/** A setting is missing or wrong; the message names the property and, where there is one, its environment variable. */
public class InvalidConfigurationException extends RuntimeException {

    private final String property;

    public InvalidConfigurationException(String property, String problem) {
        super(property + " (env " + environmentVariable(property) + ") " + problem);
        this.property = property;
    }

    public String property() {
        return property;
    }

    /** Spring's relaxed binding name for a property, e.g. cdc.source.database.hostname -> CDC_SOURCE_DATABASE_HOSTNAME. */
    public static String environmentVariable(String property) {
        return property.replace('.', '_').replace('-', '_').toUpperCase(java.util.Locale.ROOT);
    }
}
