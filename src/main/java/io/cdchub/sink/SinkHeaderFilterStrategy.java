package io.cdchub.sink;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.cdchub.source.ValueFormat;
import org.apache.camel.Exchange;
import org.apache.camel.spi.HeaderFilterStrategy;
import org.springframework.stereotype.Component;

/**
 * The change-topic consumers' header filter: of a change record's own Kafka headers only one can become a Camel
 * header, {@value ValueFormat#HEADER}, and only when it names a form other than cdc-hub's, so the consumer can
 * refuse a record it would mis-read (see {@link #foreignForm}). The sinks, their commits and their dead letters
 * use only what the Kafka component sets itself (key, topic, partition, offset, the commit handle); copying the
 * publisher's headers for every record was pure cost. (The record's headers stay reachable as a whole under
 * {@code kafka.HEADERS}.)
 */
@Component("sinkHeaderFilterStrategy")
public class SinkHeaderFilterStrategy implements HeaderFilterStrategy {

    private static final byte[] CDC_HUB_FORM = ValueFormat.CDC_HUB.label().getBytes(StandardCharsets.UTF_8);

    @Override
    public boolean applyFilterToCamelHeaders(String headerName, Object headerValue, Exchange exchange) {
        return true;
    }

    @Override
    public boolean applyFilterToExternalHeaders(String headerName, Object headerValue, Exchange exchange) {
        return !(ValueFormat.HEADER.equals(headerName) && headerValue instanceof byte[] form && !Arrays.equals(form, CDC_HUB_FORM));
    }

    /**
     * The value form a consumed record declares when it is not cdc-hub's (which every built-in consumer reads), else
     * null. Such a record must be refused, never read as if it were cdc-hub's.
     */
    public static String foreignForm(org.apache.camel.Message message) {
        Object form = message.getHeader(ValueFormat.HEADER);
        if (form == null) {
            return null;
        }
        return form instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(form);
    }

    /** Why a record in a foreign form is refused, naming the setting that decides the form. */
    public static String foreignFormReason(String topic, String form) {
        return "the record on " + topic + " is in the '" + form + "' value form (header " + ValueFormat.HEADER + "), and this consumer reads"
                + " the cdc-hub form: publish the topic with cdc.source.value-format=cdc-hub (or value.format=cdc-hub for a connector)";
    }
}
