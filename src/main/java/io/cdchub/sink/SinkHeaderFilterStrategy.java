package io.cdchub.sink;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.cdchub.change.ChangeEvent;
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

    /** The record's foreign value form, or null: {@link ChangeEvent#foreignForm}. */
    public static String foreignForm(org.apache.camel.Message message) {
        return ChangeEvent.foreignForm(message);
    }

    /** {@link ChangeEvent#foreignFormReason}. */
    public static String foreignFormReason(String topic, String form) {
        return ChangeEvent.foreignFormReason(topic, form);
    }
}
