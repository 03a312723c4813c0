package io.cdchub.sink;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Measures each running sink's consumer lag with the admin client: for every partition of the topics the
 * sink reads, the end offset minus the group's committed offset (or minus the start offset while nothing is
 * committed). Published as the gauge {@code cdc.sink.lag}.
 */
@Component
public class SinkLagMonitor implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(SinkLagMonitor.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private record Watched(String groupId, SinkSubscription subscription, SinkMetrics metrics) {
    }

    private final Admin admin;
    private final Duration interval;
    private final List<Watched> watched = new CopyOnWriteArrayList<>();
    private ScheduledExecutorService scheduler;

    public SinkLagMonitor(Admin admin, SinkProperties settings) {
        this.admin = admin;
        this.interval = Duration.ofMillis(settings.lagIntervalMs());
    }

    public void watch(String groupId, SinkSubscription subscription, SinkMetrics metrics) {
        watched.add(new Watched(groupId, subscription, metrics));
    }

    /** Measures now; also what the schedule runs. */
    public void measure() {
        for (Watched w : watched) {
            try {
                w.metrics().lag(lag(w));
            } catch (Exception e) {
                LOG.debug("Could not measure the lag of sink {}: {}", w.metrics().sink(), e.toString());
            }
        }
    }

    private long lag(Watched w) throws Exception {
        List<String> topics = admin.listTopics().names().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).stream()
                .filter(w.subscription()::matches).toList();
        if (topics.isEmpty()) {
            return 0;
        }
        Map<String, TopicDescription> descriptions = admin.describeTopics(topics).allTopicNames().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        List<TopicPartition> partitions = descriptions.values().stream()
                .flatMap(d -> d.partitions().stream().map(p -> new TopicPartition(d.name(), p.partition()))).toList();
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(w.groupId()).partitionsToOffsetAndMetadata()
                .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        var ends = admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()))).all()
                .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        var starts = admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.earliest()))).all()
                .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        long lag = 0;
        for (TopicPartition p : partitions) {
            OffsetAndMetadata done = committed.get(p);
            long from = done != null ? done.offset() : starts.get(p).offset();
            lag += Math.max(0, ends.get(p).offset() - from);
        }
        return lag;
    }

    @Override
    public synchronized void start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cdc-sink-lag");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(() -> {
            if (!watched.isEmpty()) {
                measure();
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void stop() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return scheduler != null;
    }
}
