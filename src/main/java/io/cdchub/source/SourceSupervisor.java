package io.cdchub.source;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.apache.camel.CamelContext;
import org.apache.camel.component.seda.SedaEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Restarts the source after a change could not be published (a non-retriable Kafka error; an
 * unreachable Kafka only makes the publisher wait). The source's offsets never passed the failed
 * change, so the restart reads it and everything after it again: duplicates, never a gap, and
 * per-key order is restored by the replay. Changes already queued for publishing are dropped, since
 * the replay brings them back in order.
 */
@Component
public class SourceSupervisor {

    public static final String SOURCE_ROUTE_ID = "postgres-to-kafka";
    public static final String PUBLISHER_QUEUE = "seda:kafka-publisher";

    private static final Logger LOG = LoggerFactory.getLogger(SourceSupervisor.class);

    private final CamelContext camel;
    private final PublishLedger ledger;
    private final SourceProperties source;
    private final io.cdchub.cluster.SourceLeadership leadership;
    private final ExecutorService restarter = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "cdc-hub-source-supervisor");
        t.setDaemon(true);
        return t;
    });

    public SourceSupervisor(CamelContext camel, PublishLedger ledger, SourceProperties source,
            io.cdchub.cluster.SourceLeadership leadership) {
        this.camel = camel;
        this.ledger = ledger;
        this.source = source;
        this.leadership = leadership;
        ledger.onFailure(() -> restarter.execute(this::restartSource));
    }

    void restartSource() {
        LOG.error("Publishing a change to Kafka failed ({}). Restarting the source route {} in {} ms from its last committed offsets;"
                + " changes after them are published again", ledger.failure(), SOURCE_ROUTE_ID, source.restartBackoff().toMillis());
        try {
            camel.getRouteController().stopRoute(SOURCE_ROUTE_ID);
            AckGatedOffsetStore.stopLeftovers(source.name());
            camel.getEndpoint(PUBLISHER_QUEUE, SedaEndpoint.class).purgeQueue();
            ledger.reset();
            TimeUnit.MILLISECONDS.sleep(source.restartBackoff().toMillis());
            if (camel.getStatus().isStarted() && leadership.isLeader()) {
                camel.getRouteController().startRoute(SOURCE_ROUTE_ID);
                LOG.info("Source route {} restarted", SOURCE_ROUTE_ID);
            } else if (!leadership.isLeader()) {
                // leader election: the Lease went to another instance meanwhile; it runs the source now
                LOG.warn("Source route {} not restarted: this instance no longer holds the source's Lease", SOURCE_ROUTE_ID);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.error("Could not restart source route {}; restart cdc-hub to resume capturing", SOURCE_ROUTE_ID, e);
        }
    }

    @jakarta.annotation.PreDestroy
    void stop() {
        restarter.shutdownNow();
    }
}
