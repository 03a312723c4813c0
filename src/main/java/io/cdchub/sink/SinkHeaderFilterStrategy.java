package io.cdchub.sink;

import org.apache.camel.Exchange;
import org.apache.camel.spi.HeaderFilterStrategy;
import org.springframework.stereotype.Component;

/**
 * The sink consumers' header filter: none of a change record's own Kafka headers becomes a Camel header. The
 * sinks, their commits and their dead letters use only what the Kafka component sets itself (key, topic,
 * partition, offset, the commit handle); copying the publisher's headers for every record was pure cost.
 * (The record's headers stay reachable as a whole under {@code kafka.HEADERS}.)
 */
@Component("sinkHeaderFilterStrategy")
public class SinkHeaderFilterStrategy implements HeaderFilterStrategy {

    @Override
    public boolean applyFilterToCamelHeaders(String headerName, Object headerValue, Exchange exchange) {
        return true;
    }

    @Override
    public boolean applyFilterToExternalHeaders(String headerName, Object headerValue, Exchange exchange) {
        return true;
    }
}
