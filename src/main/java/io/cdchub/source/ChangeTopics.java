package io.cdchub.source;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.cdchub.config.CdcHubProperties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Creates each change topic the first time a table produces an event (cdc.topics.*), so production
 * clusters with broker-side auto-creation off work, and topics get the configured partitions,
 * replication and settings. While Kafka is unreachable it keeps trying: the publisher waits, and
 * nothing is skipped.
 */
@Component
public class ChangeTopics {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeTopics.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final Admin admin;
    private final CdcHubProperties.Topics settings;
    private final Set<String> known = ConcurrentHashMap.newKeySet();
    private volatile boolean running = true;

    public ChangeTopics(Admin admin, CdcHubProperties properties) {
        this.admin = admin;
        this.settings = properties.topics();
    }

    /** Makes sure the topic exists, creating it the first time it is asked for; waits while Kafka is unreachable. */
    public void ensureExists(String topic) throws InterruptedException {
        if (!settings.autoCreate() || known.contains(topic)) {
            return;
        }
        create(topic);
        known.add(topic);
    }

    private void create(String topic) throws InterruptedException {
        NewTopic newTopic = new NewTopic(topic,
                settings.partitions() < 0 ? Optional.empty() : Optional.of(settings.partitions()),
                settings.replicationFactor() < 0 ? Optional.empty() : Optional.of(settings.replicationFactor()))
                .configs(settings.config());
        Duration backoff = Duration.ofMillis(200);
        while (running) {
            try {
                admin.createTopics(List.of(newTopic)).all().get(30, TimeUnit.SECONDS);
                LOG.info("Created change topic {}", topic);
                return;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicExistsException) {
                    return;
                }
                LOG.warn("Cannot create change topic {} yet ({}); retrying in {} ms", topic, e.getCause().toString(), backoff.toMillis());
            } catch (java.util.concurrent.TimeoutException e) {
                LOG.warn("Kafka did not answer the creation of topic {} within 30 s; retrying", topic);
            }
            TimeUnit.MILLISECONDS.sleep(backoff.toMillis());
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
        throw new InterruptedException("cdc-hub is stopping; topic " + topic + " not created");
    }

    @jakarta.annotation.PreDestroy
    void stop() {
        running = false;
    }
}
