package io.cdchub.source;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.debezium.embedded.KafkaConnectUtil;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.storage.KafkaOffsetBackingStore;
import org.apache.kafka.connect.storage.OffsetBackingStore;
import org.apache.kafka.connect.util.SharedTopicAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Offsets in a compacted Kafka topic (cdc.source.offset-store=kafka), written only past acknowledged changes. */
public class SourceKafkaOffsetStore extends SourceOffsetStore {

    /**
     * How long stopping waits before forcing the store closed. Kafka Connect's store stops with no time limit: it
     * waits for its reader thread (which retries reading the topic while Kafka is away), then closes its producer
     * without a limit, and its writes never expire. With Kafka unreachable the engine, its route, Camel and cdc-hub
     * would never stop. Short, so that the engine's own stop (its last commit waits cdc.source.offset-commit-timeout,
     * 30 s; the engine gives up on its task after 40 s) and this fit in Camel's 45 s shutdown timeout. A write
     * still pending by then is one the engine's last commit already gave up on.
     */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(3);
    /** How long each forcing step (closing the admin client, then interrupting the producer's close) may take. */
    private static final Duration FORCING_STEP_TIMEOUT = Duration.ofSeconds(1);
    /** Its pending calls are topic creation and end-offset reads: safe to abandon when stopping. */
    private static final Duration ADMIN_CLOSE_TIMEOUT = Duration.ofSeconds(3);
    private static final Logger LOG = LoggerFactory.getLogger(SourceKafkaOffsetStore.class);

    /**
     * Kafka Connect's store, built as Debezium's {@code KafkaConnectUtil.kafkaOffsetBackingStore} builds it but
     * with a bounded stop that also closes its topic admin: Debezium's never closes it, so every engine start (each
     * restart, pause/resume of a runtime connector) left an admin client retrying against Kafka until the JVM
     * exits. Client ids name the engine (cdc-hub-&lt;engine&gt;-offsets), so logs say whose offsets a client holds.
     */
    @Override
    protected OffsetBackingStore createDelegate(Map<String, String> workerConfig) {
        for (String required : List.of("bootstrap.servers", "offset.storage.topic", "offset.storage.partitions",
                "offset.storage.replication.factor")) {
            if (!workerConfig.containsKey(required)) {
                throw new ConnectException("Cannot initialize Kafka offset storage, mandatory configuration option '" + required + "' is missing");
            }
        }
        String engine = workerConfig.get("name");
        String clientIdBase = "cdc-hub-" + engine + "-";
        Map<String, Object> adminSettings = new HashMap<>(workerConfig);
        adminSettings.put("client.id", clientIdBase + "offsets-admin");
        SharedTopicAdmin topicAdmin = new SharedTopicAdmin(adminSettings);
        return new KafkaOffsetBackingStore(topicAdmin, () -> clientIdBase, KafkaConnectUtil.converterForOffsetStore()) {
            @Override
            public void stop() {
                Thread stopper = new Thread(() -> {
                    try {
                        super.stop();
                    } finally {
                        topicAdmin.close(ADMIN_CLOSE_TIMEOUT);
                    }
                }, "offset-store-stop-" + engine);
                stopper.setDaemon(true);
                stopper.start();
                if (stopped(stopper, STOP_TIMEOUT)) {
                    return;
                }
                LOG.warn("Offset store of {} did not stop within {} s (Kafka unreachable?): closing it by force; offsets not yet "
                        + "written are dropped, so changes after the last written offsets are read again after a restart",
                        engine, STOP_TIMEOUT.toSeconds());
                // the reader thread waits on admin calls (end offsets): closed, they fail at once and it can end
                topicAdmin.close(Duration.ofMillis(1));
                if (stopped(stopper, FORCING_STEP_TIMEOUT)) {
                    return;
                }
                // a Kafka producer interrupted while closing gives up its unsent records
                stopper.interrupt();
                if (!stopped(stopper, FORCING_STEP_TIMEOUT)) {
                    LOG.warn("Offset store of {} still not stopped; leaving it behind", engine);
                }
            }
        };
    }

    /**
     * Waits for the thread to end, even if this thread is interrupted meanwhile (its interrupt is kept): the wait
     * is short, and giving up early would leave the store's Kafka clients running.
     */
    private static boolean stopped(Thread thread, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        try {
            while (thread.isAlive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    thread.join(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            return true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
