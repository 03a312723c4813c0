package io.cdchub.source;

/** How change events are written to Kafka ({@code cdc.source.value-format}). */
public enum ValueFormat {

    /**
     * cdc-hub's readable, exact form: decimals as exact JSON numbers, dates and times as ISO-8601 text, json/jsonb
     * embedded as JSON (README "Event format"). The default, and the form cdc-hub's own consumers read.
     */
    CDC_HUB("cdc-hub"),

    /**
     * Exactly what Kafka Connect's {@code JsonConverter} writes for Debezium's PostgreSQL connector with its default
     * settings: dates as epoch days, timestamps as epoch micros, decimals as base64 bytes, json as escaped text.
     */
    DEBEZIUM("debezium");

    /** The Kafka header every change record carries, naming its form. */
    public static final String HEADER = "cdc.format";

    private final String label;

    ValueFormat(String label) {
        this.label = label;
    }

    /** The setting's spelling, also the {@value #HEADER} header's value. */
    public String label() {
        return label;
    }

    /** The form named by a {@value #HEADER} header's value; a record without one is in the cdc-hub form. */
    public static ValueFormat ofHeader(String value) {
        if (value == null || value.equals(CDC_HUB.label)) {
            return CDC_HUB;
        }
        if (value.equals(DEBEZIUM.label)) {
            return DEBEZIUM;
        }
        throw new IllegalArgumentException("Unknown change event format '" + value + "'");
    }
}
