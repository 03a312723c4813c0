package io.cdchub.sink;

import io.cdchub.change.ChangeEvent;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.springframework.stereotype.Component;

/**
 * Sends single records of a batch (a sink's, an aggregation consumer's) to the shared dead-letter route (which adds the reason and the
 * original topic/partition/offset as headers). A copy is sent so the batch keeps the record's commit
 * handle; a record is dead-lettered once even when its batch is retried.
 */
@Component
public class SinkDeadLetters {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SinkDeadLetters.class);

    static final String DEAD_LETTERED = "cdc.sink.dead-lettered";

    private final ProducerTemplate producer;

    public SinkDeadLetters(CamelContext camel) {
        this.producer = camel.createProducerTemplate();
    }

    /** True once the record went to the dead-letter topic (in this or an earlier attempt at its batch). */
    public static boolean isDeadLettered(Exchange record) {
        return record.getProperty(DEAD_LETTERED, false, Boolean.class);
    }

    /**
     * @throws SinkUnavailableException when the dead letter cannot be written: the batch is then retried,
     *                                  so the record is never lost
     */
    public void send(Exchange record, Throwable reason, String routeId, String endpoint, SinkMetrics metrics) {
        if (send(record, reason, routeId, endpoint)) {
            metrics.deadLetter();
            LOG.warn("Dead-lettered {} from sink {}: {}", ChangeEvent.origin(record), metrics.sink(), reason.getMessage());
        }
    }

    /**
     * Sends one record of a batch (of any route reading change topics in batches) to the dead-letter route.
     *
     * @return false when the record had been dead-lettered already (by an earlier attempt at its batch)
     * @throws SinkUnavailableException when the dead letter cannot be written: the batch is then retried, so the record
     *                                  is never lost
     */
    public boolean send(Exchange record, Throwable reason, String routeId, String endpoint) {
        if (isDeadLettered(record)) {
            return false;
        }
        Exchange letter = record.copy();
        letter.setProperty(Exchange.EXCEPTION_CAUGHT, reason);
        letter.setProperty(Exchange.FAILURE_ROUTE_ID, routeId);
        letter.setProperty(Exchange.FAILURE_ENDPOINT, endpoint);
        producer.send("direct:dead-letter", letter);
        if (letter.getException() != null) {
            throw new SinkUnavailableException("Cannot write a dead letter for " + ChangeEvent.origin(record) + ": "
                    + letter.getException().getMessage(), letter.getException());
        }
        record.setProperty(DEAD_LETTERED, true);
        return true;
    }
}
