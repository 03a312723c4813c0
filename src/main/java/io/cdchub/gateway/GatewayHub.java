package io.cdchub.gateway;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.cdchub.config.CdcHubProperties;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's fan-out registry: the kafka-to-gateway route hands every Kafka poll to {@link #dispatch}, which
 * parses each record once and appends it to the queue of each connection subscribed to its topic. Nothing here waits for a
 * client: the route's Kafka consumer runs at the pace of Kafka, whatever the clients do.
 *
 * <p>Each instance reads every gateway topic itself under a consumer group of its own ({@link #groupId()}), never
 * committing: any client can connect to any instance; history comes from a resume. Where it starts: see
 * {@link #startLive}.
 */
public class GatewayHub implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayHub.class);
    private static final int GOING_AWAY = 1001;

    /** Topics seen with records in a value form the gateway does not read (logged once each). */
    private final Set<String> foreignFormTopics = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final GatewayProperties settings;
    private final GatewayTopics topics;
    private final GatewayMetrics metrics;
    private final CdcHubProperties hub;
    private final String groupId = "cdc-hub-gateway-" + UUID.randomUUID();
    /** clients can subscribe from here on: the live consumer starts every partition no later than this (see startLive) */
    private final long startedMs = System.currentTimeMillis();
    /** per partition, the offset after the last record the fan-out had (where a re-created consumer carries on) */
    private final Map<TopicPartition, Long> fannedOut = new ConcurrentHashMap<>();
    private volatile boolean live;
    private volatile long liveSinceMs;
    private final AtomicInteger assignedPartitions = new AtomicInteger();
    private final Set<ClientConnection> connections = ConcurrentHashMap.newKeySet();
    private final Map<String, Set<ClientConnection>> byTopic = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong notJson = new AtomicLong();
    private final AtomicLong ids = new AtomicLong();
    private final int senderThreads;
    private final ExecutorService senders;
    private final ThreadPoolExecutor catchUps;
    private final ScheduledThreadPoolExecutor scheduler;
    private final ThreadPoolExecutor closers;
    private final Position.Codec positions;
    /** open connections per token subject (cdc.gateway.max-connections-per-subject) */
    private final Map<String, Integer> bySubject = new ConcurrentHashMap<>();
    /** characters queued for all clients (cdc.gateway.max-total-queued-bytes) */
    private final AtomicLong queuedBytes = new AtomicLong();

    public GatewayHub(GatewayProperties settings, GatewayTopics topics, GatewayMetrics metrics, CdcHubProperties hub) {
        this.settings = settings;
        this.topics = topics;
        this.metrics = metrics;
        this.hub = hub;
        int cores = Runtime.getRuntime().availableProcessors();
        // start writes (WebSocket writes are asynchronous; SSE ones block a thread of their own pool, see SseOutlet)
        senderThreads = Math.max(2, cores);
        senders = Executors.newFixedThreadPool(senderThreads, threads("cdc-gateway-send-"));
        // bounded: resumes beyond threads + queue are refused (the client retries later), never queued without end
        catchUps = new ThreadPoolExecutor(settings.catchUpThreads(), settings.catchUpThreads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(settings.catchUpQueue()), threads("cdc-gateway-resume-"));
        catchUps.allowCoreThreadTimeOut(true);
        closers = new ThreadPoolExecutor(2, 2, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads("cdc-gateway-close-"));
        closers.allowCoreThreadTimeOut(true);
        positions = new Position.Codec(settings.resumeKey(), settings.resumeMaxPartitions(), settings.resumeMaxAge().toMillis());
        scheduler = new ScheduledThreadPoolExecutor(1, threads("cdc-gateway-ping-"));
        scheduler.setRemoveOnCancelPolicy(true); // expiry closes of connections that ended first
        long ping = settings.pingInterval().toMillis();
        scheduler.scheduleAtFixedRate(this::pingAll, ping, ping, TimeUnit.MILLISECONDS);
        long check = Math.max(100, Math.min(1000, settings.sendTimeout().toMillis() / 2));
        scheduler.scheduleAtFixedRate(this::checkWrites, check, check, TimeUnit.MILLISECONDS);
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    // ---------------------------------------------------------------- the route's side

    /** The kafka endpoint's topics: names or a regex. */
    public String topics() {
        return topics.endpointTopics();
    }

    public boolean topicIsPattern() {
        return topics.isPattern();
    }

    /** A consumer group of this instance alone (it never commits: each instance reads every record). */
    public String groupId() {
        return groupId;
    }

    /**
     * One Kafka poll from the route (camel-kafka batching: the body holds an exchange per record): each record is
     * parsed once, if anyone is subscribed to its topic, and then {@link #fanOut fanned out} as one batch.
     */
    public void dispatch(Exchange poll) {
        List<?> polled = poll.getMessage().getBody(List.class);
        if (polled == null || polled.isEmpty()) {
            return;
        }
        List<GatewayRecord> records = new ArrayList<>(polled.size());
        for (Object item : polled) {
            GatewayRecord record = read(((Exchange) item).getMessage());
            if (record != null) {
                records.add(record);
            }
        }
        if (!records.isEmpty()) {
            fanOut(records);
        }
    }

    /** A polled record as the gateway sends it; null when nobody is subscribed to its topic or it is not sent at all. */
    private GatewayRecord read(Message message) {
        String topic = message.getHeader(KafkaConstants.TOPIC, String.class);
        int partition = message.getHeader(KafkaConstants.PARTITION, Integer.class);
        long offset = message.getHeader(KafkaConstants.OFFSET, Long.class);
        fannedOut.put(new TopicPartition(topic, partition), offset + 1);
        String foreignForm = io.cdchub.sink.SinkHeaderFilterStrategy.foreignForm(message);
        if (foreignForm != null) {
            // never sent as if it were the cdc-hub form; the record stays in Kafka
            if (foreignFormTopics.add(topic)) {
                LOG.warn("Gateway skips the records of {}: {}", topic, io.cdchub.sink.SinkHeaderFilterStrategy.foreignFormReason(topic, foreignForm));
            }
            return null;
        }
        Set<ClientConnection> subscribers = byTopic.get(topic);
        if (subscribers == null || subscribers.isEmpty()) {
            return null;
        }
        return parse(topic, partition, offset, message.getHeader(KafkaConstants.KEY, byte[].class),
                message.getBody(byte[].class), message.getHeader(KafkaConstants.TIMESTAMP, 0L, Long.class));
    }

    /**
     * Positions partitions the live consumer was just assigned (its rebalance listener, on the consumer's thread, see
     * {@link GatewayKafkaClientFactory}). Starting at the end, as auto.offset.reset=latest would, loses what is
     * committed between a client's subscription and the assignment: the group join takes seconds after start-up, and a
     * topic created later is only assigned at the next metadata refresh (cdc.gateway.topic-refresh-ms). So a partition
     * starts where this hub's fan-out left it (a consumer Camel re-created), else at the first record since this hub
     * started minus cdc.gateway.resume-lookback (producer clocks), else at the end offset taken before that lookup.
     * Every record a client can have subscribed before is thus read; a few from just before its subscription may reach
     * it too. Retries while Kafka does not answer (the gateway stays not ready meanwhile).
     */
    void startLive(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        while (!partitions.isEmpty()) {
            try {
                Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
                long since = Math.max(0, startedMs - settings.resumeLookback().toMillis());
                List<TopicPartition> nothingSince = PartitionStarts.seek(consumer, partitions, fannedOut::get, since);
                nothingSince.forEach(partition -> consumer.seek(partition, ends.get(partition)));
                LOG.debug("Gateway consumer starts {} (by time since {} ms; at the end, nothing since: {})", partitions, since, nothingSince);
                break;
            } catch (WakeupException | InterruptException e) {
                throw e; // the route is stopping
            } catch (RuntimeException e) {
                LOG.warn("Gateway consumer could not position its new partitions {} ({}); trying again in a second", partitions, e.toString());
                try {
                    TimeUnit.SECONDS.sleep(1);
                } catch (InterruptedException interrupted) {
                    throw new InterruptException(interrupted);
                }
            }
        }
        assignedPartitions.addAndGet(partitions.size());
        if (!live) {
            liveSinceMs = System.currentTimeMillis();
            live = true;
            LOG.info("Gateway consumer is live: {} partitions assigned and positioned", assignedPartitions.get());
        }
    }

    /** Partitions the live consumer was revoked or lost (a deleted topic): only counted. */
    void unassigned(Collection<TopicPartition> partitions) {
        assignedPartitions.addAndGet(-partitions.size());
    }

    /** Whether the live consumer has had its first assignment and positioned it (readiness: the gateway indicator). */
    public boolean isLive() {
        return live;
    }

    /** When the live consumer's first assignment was positioned (0: not yet). */
    long liveSinceMs() {
        return liveSinceMs;
    }

    int assignedPartitions() {
        return assignedPartitions.get();
    }

    /**
     * Queues a poll's records (in poll order) for their topics' subscribers, then starts the writes of the connections
     * that were idle. A poll holds runs of one topic (it is grouped by partition): each subscriber takes a whole run
     * under one lock, and its write is started once per poll, not once per record.
     */
    void fanOut(List<GatewayRecord> records) {
        List<ClientConnection> idle = new ArrayList<>();
        for (int from = 0; from < records.size(); ) {
            String topic = records.get(from).topic();
            int to = from + 1;
            while (to < records.size() && records.get(to).topic().equals(topic)) {
                to++;
            }
            Set<ClientConnection> subscribers = byTopic.get(topic);
            if (subscribers != null) {
                queue(records.subList(from, to), subscribers, idle);
            }
            from = to;
        }
        checkQueuedTotal();
        startWrites(idle);
    }

    /** Records of one topic to these subscribers (tests: a given set), then their writes. */
    void fanOut(List<GatewayRecord> records, Collection<ClientConnection> subscribers) {
        List<ClientConnection> idle = new ArrayList<>();
        queue(records, subscribers, idle);
        checkQueuedTotal();
        startWrites(idle);
    }

    private static void queue(List<GatewayRecord> run, Collection<ClientConnection> subscribers, List<ClientConnection> idle) {
        for (ClientConnection connection : subscribers) {
            if (connection.offerLive(run)) {
                idle.add(connection);
            }
        }
    }

    /**
     * Starts the writes of connections that were idle, a few tasks for all: one task per connection would wake a
     * sender thread per connection (10,000 per poll at 10,000 subscribers); a pump only starts an asynchronous write,
     * so slices are cheap.
     */
    private void startWrites(List<ClientConnection> idle) {
        if (idle.isEmpty()) {
            return;
        }
        int slices = Math.min(senderThreads, (idle.size() + 63) / 64);
        int size = (idle.size() + slices - 1) / slices;
        for (int from = 0; from < idle.size(); from += size) {
            List<ClientConnection> slice = idle.subList(from, Math.min(idle.size(), from + size));
            senders.execute(() -> slice.forEach(ClientConnection::pump));
        }
    }

    /** A record as the gateway sends it; null for a tombstone or a value that is not a JSON object (counted, logged). */
    GatewayRecord parse(String topic, int partition, long offset, byte[] key, byte[] value, long timestamp) {
        try {
            return GatewayRecord.parse(topic, partition, offset, key, value, timestamp);
        } catch (IllegalArgumentException e) {
            metrics.notJson();
            long n = notJson.incrementAndGet();
            if (n == 1 || n % 1000 == 0) {
                LOG.warn("Gateway skips {}/{}@{}: the value is {} ({} such records so far)", topic, partition, offset, e.getMessage(), n);
            }
            return null;
        }
    }

    // ---------------------------------------------------------------- connections

    /**
     * A new connection, or null when cdc.gateway.max-connections are open or its subject has
     * cdc.gateway.max-connections-per-subject. It is closed at its token's exp (plus clock-skew, 4001) or after
     * max-session (4002), whichever comes first.
     */
    ClientConnection open(GatewayPrincipal principal, Outlet outlet) {
        if (!takeSubjectSlot(principal.subject())) {
            metrics.refusedLimit();
            return null;
        }
        if (open.incrementAndGet() > settings.maxConnections()) {
            open.decrementAndGet();
            releaseSubjectSlot(principal.subject());
            metrics.refusedLimit();
            return null;
        }
        ClientConnection connection = new ClientConnection(outlet.transport() + "-" + ids.incrementAndGet(), principal, outlet, this);
        connections.add(connection);
        metrics.connections(outlet.transport()).incrementAndGet();
        scheduleExpiry(connection);
        return connection;
    }

    private void scheduleExpiry(ClientConnection connection) {
        long now = System.currentTimeMillis();
        long at = Long.MAX_VALUE;
        int code = 0;
        if (connection.principal.expiresAtMs() > 0) {
            at = connection.principal.expiresAtMs() + settings.jwt().clockSkew().toMillis();
            code = ClientConnection.TOKEN_EXPIRED;
        }
        if (!settings.maxSession().isZero() && now + settings.maxSession().toMillis() < at) {
            at = now + settings.maxSession().toMillis();
            code = ClientConnection.SESSION_EXPIRED;
        }
        if (code != 0) {
            int closeCode = code;
            connection.expiry(scheduler.schedule(() -> connection.expire(closeCode), Math.max(0, at - now), TimeUnit.MILLISECONDS));
        }
    }

    private boolean takeSubjectSlot(String subject) {
        int max = settings.maxConnectionsPerSubject();
        if (max <= 0) {
            return true;
        }
        boolean[] taken = {false};
        bySubject.compute(subject, (s, n) -> {
            int have = n == null ? 0 : n;
            if (have >= max) {
                return n;
            }
            taken[0] = true;
            return have + 1;
        });
        return taken[0];
    }

    private void releaseSubjectSlot(String subject) {
        if (settings.maxConnectionsPerSubject() > 0) {
            bySubject.computeIfPresent(subject, (s, n) -> n <= 1 ? null : n - 1);
        }
    }

    /** Whether another client would be over the limit (checked at the handshake, before the upgrade). */
    boolean full() {
        return open.get() >= settings.maxConnections();
    }

    /** Whether the subject has cdc.gateway.max-connections-per-subject open (checked at the handshake). */
    boolean fullFor(GatewayPrincipal principal) {
        int max = settings.maxConnectionsPerSubject();
        return max > 0 && bySubject.getOrDefault(principal.subject(), 0) >= max;
    }

    /** Signs and checks resume positions. */
    Position.Codec positions() {
        return positions;
    }

    /** A connection's queue grew or shrank by this many characters. */
    void queued(long delta) {
        queuedBytes.addAndGet(delta);
    }

    long queuedBytes() {
        return queuedBytes.get();
    }

    /**
     * Over cdc.gateway.max-total-queued-bytes, the clients with the most queued are closed as lagging (1013) until the
     * total is under it again: the laggards pay, not whoever happens to receive the next change.
     */
    void checkQueuedTotal() {
        long max = settings.maxTotalQueuedBytes().toBytes();
        for (int round = 0; round < 8 && queuedBytes.get() > max; round++) {
            ClientConnection largest = null;
            for (ClientConnection connection : connections) {
                if (largest == null || connection.queuedBytes() > largest.queuedBytes()) {
                    largest = connection;
                }
            }
            if (largest == null || largest.queuedBytes() == 0) {
                return;
            }
            LOG.info("Gateway: {} bytes queued for all clients, over cdc.gateway.max-total-queued-bytes ({}); closing the client with the most ({})",
                    queuedBytes.get(), max, largest.id);
            largest.shed("the gateway's total of queued bytes is over cdc.gateway.max-total-queued-bytes and this client had the most");
        }
    }

    /** The watchdog: writes that have not completed within cdc.gateway.send-timeout close their client. */
    private void checkWrites() {
        long now = System.nanoTime();
        long timeout = settings.sendTimeout().toNanos();
        for (ClientConnection connection : connections) {
            try {
                connection.checkWrite(now, timeout);
            } catch (RuntimeException e) {
                LOG.debug("Write check of {} failed: {}", connection.id, e.toString());
            }
        }
    }

    ExecutorService closers() {
        return closers;
    }

    void subscribed(ClientConnection connection, Collection<String> subscribedTopics, int added) {
        for (String topic : subscribedTopics) {
            byTopic.computeIfAbsent(topic, t -> ConcurrentHashMap.newKeySet()).add(connection);
        }
        metrics.subscriptions(added);
        if (connection.isClosed()) {
            // closed while subscribing: undo what closed() could not see
            for (String topic : subscribedTopics) {
                Set<ClientConnection> set = byTopic.get(topic);
                if (set != null) {
                    set.remove(connection);
                }
            }
        }
    }

    void unsubscribed(ClientConnection connection, Collection<String> removedTopics, int removed) {
        for (String topic : removedTopics) {
            Set<ClientConnection> set = byTopic.get(topic);
            if (set != null) {
                set.remove(connection);
            }
        }
        metrics.subscriptions(-removed);
    }

    void closed(ClientConnection connection, int subscriptions) {
        if (!connections.remove(connection)) {
            return;
        }
        for (String topic : connection.subscribedTopics()) {
            Set<ClientConnection> set = byTopic.get(topic);
            if (set != null) {
                set.remove(connection);
            }
        }
        metrics.subscriptions(-subscriptions);
        metrics.connections(connection.transport()).decrementAndGet();
        open.decrementAndGet();
        releaseSubjectSlot(connection.principal.subject());
    }

    /**
     * Resume: reads the topics' history for a connection on a thread of the catch-up pool.
     *
     * @return false when the pool and its queue are full (the resume is refused)
     */
    boolean catchUp(ClientConnection connection, Set<String> catchUpTopics) {
        try {
            catchUps.execute(new CatchUp(connection, catchUpTopics, this, hub.kafka().clientSettings()));
            return true;
        } catch (RejectedExecutionException e) {
            LOG.info("Gateway: resume of {} refused, {} resumes running and {} waiting (cdc.gateway.catch-up-threads, catch-up-queue)",
                    connection.id, catchUps.getActiveCount(), catchUps.getQueue().size());
            return false;
        }
    }

    /** A lagging client whose last frame cannot be written either is closed after cdc.gateway.send-timeout. */
    void closeLater(ClientConnection connection, int code, String reason) {
        scheduler.schedule(() -> connection.close(code, reason), settings.sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void pingAll() {
        for (ClientConnection connection : connections) {
            try {
                connection.ping();
            } catch (RuntimeException e) {
                LOG.debug("Ping of {} failed: {}", connection.id, e.toString());
            }
        }
    }

    GatewayProperties settings() {
        return settings;
    }

    GatewayTopics topicCatalog() {
        return topics;
    }

    GatewayMetrics metrics() {
        return metrics;
    }

    ExecutorService senders() {
        return senders;
    }

    int connectionCount() {
        return connections.size();
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        for (ClientConnection connection : connections) {
            connection.close(GOING_AWAY, "server shutting down");
        }
        catchUps.shutdownNow();
        closers.shutdown();
        senders.shutdown();
        try {
            senders.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
