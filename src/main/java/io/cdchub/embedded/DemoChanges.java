package io.cdchub.embedded;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.cdchub.admin.AdminTokenGenerator;
import io.cdchub.config.CdcHubProperties;
import io.cdchub.source.SourceProperties;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Profile;
import org.springframework.stereotype.Component;

/**
 * The quick start's trickle of demo inserts, updates and deletes (cdc.embedded.demo-changes), and its
 * banner. Started after everything else and stopped before, so no change is made while Camel is not
 * capturing.
 */
@Component
@Profile(EmbeddedQuickStart.PROFILE)
public class DemoChanges implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(DemoChanges.class);

    private final SourceProperties source;
    private final CdcHubProperties hub;
    private final boolean enabled;
    private final Duration interval;
    private final int serverPort;
    private final String adminAccess;
    private ScheduledExecutorService scheduler;

    public DemoChanges(SourceProperties source, CdcHubProperties hub,
            @Value("${cdc.embedded.demo-changes:true}") boolean enabled,
            @Value("${cdc.embedded.demo-interval:1s}") Duration interval,
            @Value("${server.port:8080}") int serverPort,
            @Value("${cdc.admin.token:}") String adminToken,
            @Value("${" + AdminTokenGenerator.GENERATED_FLAG + ":false}") boolean adminTokenGenerated) {
        this.source = source;
        this.hub = hub;
        this.enabled = enabled;
        this.interval = interval;
        this.serverPort = serverPort;
        // a generated token is printed (it exists only for this run); a configured one is the user's secret
        this.adminAccess = adminTokenGenerated ? "Authorization: Bearer " + adminToken : "cdc.admin.token / cdc.admin.username";
    }

    @Override
    public void start() {
        printBanner();
        if (!enabled) {
            return;
        }
        PGSimpleDataSource db = new PGSimpleDataSource();
        db.setUrl("jdbc:postgresql://" + source.database().hostname() + ":" + source.database().port() + "/" + source.database().dbname());
        db.setUser(source.database().user());
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "cdc-hub-demo-changes"));
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                LOG.debug("Demo change: {}", DemoData.randomChange(db));
            } catch (Exception e) {
                LOG.warn("Demo change failed: {}", e.getMessage());
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void printBanner() {
        String kafka = hub.kafka().bootstrapServers();
        String prefix = hub.topicPrefix();
        LOG.info("""

                ==================================================================================
                 cdc-hub embedded quick start is running
                   PostgreSQL : psql postgresql://{}@{}:{}/{}
                   Kafka      : {}   (topics {}.public.customers, {}.public.orders, cdc.commodity_prices)
                   Demo changes: {} (one every {} ms; cdc.embedded.demo-changes)
                   Live page  : http://127.0.0.1:{}/live   (the demo changes as they happen, in the browser)
                   Pipeline   : http://127.0.0.1:{}/pipeline   (source, topics, sinks, gateway as they run; admin token)
                   Hawtio     : http://127.0.0.1:{}/actuator/hawtio   (routes, exchanges, JMX; admin auth)
                   Health     : http://127.0.0.1:{}/actuator/health
                   Admin API  : http://127.0.0.1:{}/debezium/list/ (OpenAPI at /v3/api-docs)
                   Admin auth : {}
                 Watch the events (second terminal, from this folder):
                   ./mvnw -q exec:java -Dexec.mainClass=io.cdchub.embedded.WatchEvents -Dexec.args={}
                   or: kcat -b {} -C -t {}.public.orders -f '%t %k %s\\n'
                 Stop with Ctrl-C; the next start resumes where this one stopped.
                ==================================================================================""",
                source.database().user(), source.database().hostname(), source.database().port(), source.database().dbname(),
                kafka, prefix, prefix, enabled ? "on" : "off", interval.toMillis(), serverPort, serverPort, serverPort, serverPort, serverPort,
                adminAccess, kafka, kafka, prefix);
    }

    @Override
    public void stop() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                scheduler.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            scheduler = null;
        }
    }

    @Override
    public boolean isRunning() {
        return scheduler != null;
    }
}
