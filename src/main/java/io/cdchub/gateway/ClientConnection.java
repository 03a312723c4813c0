package io.cdchub.gateway;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client: its subscriptions (topic -> filter), its resume position and its bounded queue of frames.
 *
 * <p>Threads: the fan-out route and resume catch-ups only append to the queue (under this connection's lock, never
 * waiting for the network); frames are written one at a time by a sender task, and with WebSocket asynchronously, so
 * a slow client only fills its own queue. When the queue holds {@code cdc.gateway.buffer} frames the client is
 * lagging: it gets a {@code lagging} frame and is closed with 1013, or with {@code overflow=drop-oldest} loses its
 * oldest frames and is told how many.
 */
final class ClientConnection {

    private static final Logger LOG = LoggerFactory.getLogger(ClientConnection.class);

    static final int POLICY_VIOLATION = 1008;
    static final int TRY_AGAIN_LATER = 1013;
    static final int SERVER_ERROR = 1011;
    /** the token's exp (plus cdc.gateway.jwt.clock-skew) has passed: connect again with a new token */
    static final int TOKEN_EXPIRED = 4001;
    /** the connection reached cdc.gateway.max-session: connect again and resume */
    static final int SESSION_EXPIRED = 4002;

    final String id;
    final GatewayPrincipal principal;
    private final Outlet outlet;
    private final GatewayHub hub;
    private final GatewayProperties settings;

    private final Object lock = new Object();
    /** topic -> its subscription; guarded by lock */
    private final Map<String, Subscription> subscriptions = new HashMap<>();
    /** next offset per topic-partition this client has not had; guarded by lock */
    private final Map<TopicPartition, Long> next = new LinkedHashMap<>();
    private long sinceMs = -1;
    private final ArrayDeque<Outlet.Frame> queue = new ArrayDeque<>();
    /** characters of the frames in queue; written under lock, read by the hub's total check */
    private volatile long queuedBytes;
    /** when the frame being written was handed to the outlet (System.nanoTime), 0 when none is */
    private volatile long writeStartedNanos;
    /** the close at token expiry or max-session, cancelled when the connection ends first */
    private volatile java.util.concurrent.Future<?> expiry;
    private boolean sending;
    private boolean closed;
    private boolean lagging;
    private long droppedUnreported;
    private int catchUps;

    private int badMessages;
    private double subscribeTokens;
    private long tokensAt = System.nanoTime();

    /** A topic's filter; {@code pending} holds live records while a resume catches up (null once live). */
    static final class Subscription {
        final ChangeFilter filter;
        List<GatewayRecord> pending;
        boolean pendingOverflowed;

        Subscription(ChangeFilter filter, boolean catchingUp) {
            this.filter = filter;
            this.pending = catchingUp ? new ArrayList<>() : null;
        }
    }

    ClientConnection(String id, GatewayPrincipal principal, Outlet outlet, GatewayHub hub) {
        this.id = id;
        this.principal = principal;
        this.outlet = outlet;
        this.hub = hub;
        this.settings = hub.settings();
        this.subscribeTokens = settings.subscribeRate();
    }

    String transport() {
        return outlet.transport();
    }

    boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    // ---------------------------------------------------------------- client actions (WebSocket text frames)

    /** Handles one client message; refusals become error frames, too many of them close the connection with 1008. */
    void handle(String text) {
        try {
            JsonNode message;
            try {
                message = GatewayRecord.JSON.readTree(text);
            } catch (IOException e) {
                throw new ProtocolException("bad-request", "not a JSON message");
            }
            if (message == null || !message.isObject() || !message.path("action").isTextual()) {
                throw new ProtocolException("bad-request", "a message is a JSON object with an \"action\": subscribe, unsubscribe or ping");
            }
            switch (message.get("action").asText()) {
                case "subscribe" -> subscribe(topicsOf(message, true), ChangeFilter.fromJson(message.get("filter"), message.get("ops")),
                        resumeOf(message.get("resume"), hub.positions()));
                case "unsubscribe" -> unsubscribe(topicsOf(message, false));
                case "ping" -> enqueue(Outlet.Frame.control("{\"type\":\"pong\"}"));
                default -> throw new ProtocolException("unknown-action", "unknown action '" + message.get("action").asText()
                        + "': use subscribe, unsubscribe or ping");
            }
        } catch (ProtocolException e) {
            refuse(e);
        }
    }

    private void refuse(ProtocolException e) {
        String error = errorFrame(e.code(), e.getMessage());
        boolean abusive;
        synchronized (lock) {
            abusive = ++badMessages >= settings.maxBadMessages();
        }
        if (abusive) {
            LOG.info("Gateway client {} ({}) closed with 1008 after {} refused messages", id, principal.subject(), settings.maxBadMessages());
            last(error, POLICY_VIOLATION, "too many refused messages");
        } else {
            enqueue(Outlet.Frame.control(error));
        }
    }

    static String errorFrame(String code, String message) {
        return GatewayRecord.JSON.createObjectNode().put("type", "error").put("code", code).put("message", message).toString();
    }

    /** The resume could not read Kafka: the client is told and closed (1013), so it reconnects and resumes again. */
    void refuseResume(String message) {
        last(errorFrame("resume-failed", message), TRY_AGAIN_LATER, "resume failed");
    }

    /**
     * Replaces whatever is queued with one last frame, then closes with {@code code}; if even that frame cannot be
     * written within cdc.gateway.send-timeout, the connection is closed anyway.
     */
    private void last(String text, int code, String reason) {
        synchronized (lock) {
            if (closed || lagging) {
                return;
            }
            lagging = true; // nothing more is queued
            clearLocked();
            addLocked(Outlet.Frame.last(text, code));
        }
        hub.closeLater(this, code, reason);
        startSending();
    }

    /** A record the catch-up read but cannot send (tombstone, not JSON): the client's position moves past it. */
    void skipped(TopicPartition partition, long offset) {
        synchronized (lock) {
            Long had = next.get(partition);
            if (had == null || offset >= had) {
                next.put(partition, offset + 1);
            }
        }
    }

    private static List<String> topicsOf(JsonNode message, boolean required) {
        JsonNode topics = message.get("topics");
        if (topics == null || topics.isNull()) {
            if (required) {
                throw new ProtocolException("bad-request", "subscribe needs \"topics\": an array of topic names or aliases");
            }
            return List.of();
        }
        if (topics.isTextual()) {
            return List.of(topics.asText());
        }
        if (!topics.isArray() || topics.isEmpty()) {
            throw new ProtocolException("bad-request", "\"topics\" must be a non-empty array of topic names or aliases");
        }
        List<String> names = new ArrayList<>();
        for (JsonNode topic : topics) {
            if (!topic.isTextual() || topic.asText().isEmpty()) {
                throw new ProtocolException("bad-request", "\"topics\" must hold strings");
            }
            names.add(topic.asText());
        }
        return names;
    }

    private static Position resumeOf(JsonNode resume, Position.Codec positions) {
        if (resume == null || resume.isNull()) {
            return null;
        }
        if (!resume.isTextual()) {
            throw new ProtocolException("invalid-resume", "resume must be the position string of the last message received");
        }
        return positions.decode(resume.asText());
    }

    /**
     * Subscribes to topics (names or aliases), replacing their filter if already subscribed. With a resume position,
     * first everything after it (per topic-partition) is sent, then the live stream.
     *
     * @throws ProtocolException for an unknown or forbidden topic, too many subscribes, a bad filter
     */
    void subscribe(List<String> requested, ChangeFilter filter, Position resume) {
        takeSubscribeToken();
        Map<String, String> resolved = new LinkedHashMap<>();
        for (String name : requested) {
            // permission first, existence second: a token learns nothing about topics it may not read
            String target = settings.aliases().getOrDefault(name, name);
            if (!principal.mayRead(target, hub.topicCatalog().aliasesOf(target)) && !principal.mayRead(name, List.of())) {
                throw new ProtocolException("forbidden-or-unknown", "'" + name + "' is not a topic this token may read, or does not exist");
            }
            resolved.put(name, hub.topicCatalog().resolve(name));
        }
        Set<String> topics = new LinkedHashSet<>(resolved.values());
        ObjectNode subscribed = GatewayRecord.JSON.createObjectNode().put("type", "subscribed");
        ArrayNode names = subscribed.putArray("topics");
        ObjectNode kafkaTopics = subscribed.putObject("kafkaTopics");
        resolved.forEach((name, topic) -> {
            names.add(name);
            kafkaTopics.put(name, topic);
        });
        if (!filter.fields().isEmpty()) {
            subscribed.set("filter", GatewayRecord.JSON.valueToTree(filter.fields()));
        }
        if (!filter.ops().isEmpty()) {
            subscribed.set("ops", GatewayRecord.JSON.valueToTree(filter.ops()));
        }
        subscribed.put("resumed", resume != null);
        int added = 0;
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (resume != null && catchUps >= settings.maxCatchUps()) {
                throw new ProtocolException("too-many-catch-ups", "this connection already has " + catchUps
                        + " resumes reading history (cdc.gateway.max-catch-ups); wait for them to finish");
            }
            if (resume != null) {
                // never further back than resume-max-age, and only partitions of the topics subscribed now
                long since = Math.max(resume.sinceMs(), System.currentTimeMillis() - settings.resumeMaxAge().toMillis());
                sinceMs = sinceMs < 0 ? since : Math.min(sinceMs, since);
                resume.next().forEach((tp, offset) -> {
                    if (topics.contains(tp.topic())) {
                        next.merge(tp, offset, Math::max);
                    }
                });
            } else if (sinceMs < 0) {
                sinceMs = System.currentTimeMillis();
            }
            // the confirmation is queued before any change of these topics
            enqueueLocked(Outlet.Frame.control(subscribed.toString()));
            for (String topic : topics) {
                Subscription previous = subscriptions.get(topic);
                Subscription subscription = new Subscription(filter, resume != null);
                if (previous != null && previous.pending != null) {
                    // still catching up: the running catch-up hands over these held records
                    subscription.pending = previous.pending;
                    subscription.pendingOverflowed = previous.pendingOverflowed;
                }
                if (subscriptions.put(topic, subscription) == null) {
                    added++;
                }
            }
            if (resume != null) {
                catchUps++;
            }
        }
        hub.subscribed(this, topics, added);
        startSending();
        if (resume != null && !hub.catchUp(this, topics)) {
            refuseResume("the gateway is busy resuming other clients; reconnect and resume again later");
        }
    }

    void unsubscribe(List<String> requested) {
        Set<String> topics = new LinkedHashSet<>();
        synchronized (lock) {
            if (requested.isEmpty()) {
                topics.addAll(subscriptions.keySet());
            } else {
                for (String name : requested) {
                    topics.add(settings.aliases().getOrDefault(name, name));
                }
            }
        }
        int removed = 0;
        ObjectNode frame = GatewayRecord.JSON.createObjectNode().put("type", "unsubscribed");
        ArrayNode names = frame.putArray("topics");
        synchronized (lock) {
            for (String topic : topics) {
                if (subscriptions.remove(topic) != null) {
                    removed++;
                    names.add(topic);
                    next.keySet().removeIf(partition -> partition.topic().equals(topic));
                }
            }
            enqueueLocked(Outlet.Frame.control(frame.toString()));
        }
        hub.unsubscribed(this, topics, removed);
        startSending();
    }

    private void takeSubscribeToken() {
        synchronized (lock) {
            long now = System.nanoTime();
            double rate = settings.subscribeRate();
            subscribeTokens = Math.min(rate, subscribeTokens + (now - tokensAt) / 1e9 * rate);
            tokensAt = now;
            if (subscribeTokens < 1) {
                throw new ProtocolException("rate-limited", "more than " + settings.subscribeRate() + " subscribe actions a second");
            }
            subscribeTokens -= 1;
        }
    }

    // ---------------------------------------------------------------- changes in

    /**
     * Records of one topic from the fan-out route, in order (never waits).
     *
     * @return true when this connection was idle and now has frames to write: the caller must run {@link #pump()}
     *         (the fan-out starts many connections' writes with one task instead of one each)
     */
    boolean offerLive(List<GatewayRecord> records) {
        synchronized (lock) {
            if (closed || records.isEmpty()) {
                return false;
            }
            Subscription subscription = subscriptions.get(records.get(0).topic());
            if (subscription == null) {
                return false;
            }
            if (subscription.pending != null) {
                // catching up: hold live records; too many, and the catch-up reads further instead (they are in Kafka)
                for (GatewayRecord record : records) {
                    if (subscription.pending.size() >= settings.buffer()) {
                        subscription.pending.clear();
                        subscription.pendingOverflowed = true;
                    }
                    subscription.pending.add(record);
                }
                return false;
            }
            for (GatewayRecord record : records) {
                deliverLocked(record, subscription.filter);
            }
            if (sending || (queue.isEmpty() && droppedUnreported == 0)) {
                return false;
            }
            sending = true;
            return true;
        }
    }

    /** A record read by this client's resume catch-up; waits while the queue is half full (its own thread only). */
    void offerCatchUp(GatewayRecord record) throws InterruptedException {
        boolean stuck = false;
        synchronized (lock) {
            // a client that reads nothing for cdc.gateway.send-timeout is lagging: the catch-up thread is not held longer
            long deadline = System.nanoTime() + settings.sendTimeout().toNanos();
            while (!closed && !lagging && (queue.size() >= Math.max(1, settings.buffer() / 2) || queuedBytes >= settings.maxQueuedBytes().toBytes() / 2)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    stuck = true;
                    break;
                }
                lock.wait(Math.max(1, Math.min(100, left / 1_000_000)));
            }
            Subscription subscription = subscriptions.get(record.topic());
            if (!stuck && !closed && !lagging && subscription != null) {
                deliverLocked(record, subscription.filter);
            }
        }
        if (stuck) {
            shed("its resume could not hand it anything for cdc.gateway.send-timeout");
            return;
        }
        startSending();
        hub.checkQueuedTotal();
    }

    /** Whether the connection ends (closed, or closing as lagging): a catch-up for it stops. */
    boolean isEnding() {
        synchronized (lock) {
            return closed || lagging;
        }
    }

    /** The offset a catch-up starts a partition at (null: none known, read from {@link #sinceMs()}). */
    Long nextOffset(TopicPartition partition) {
        synchronized (lock) {
            return next.get(partition);
        }
    }

    long sinceMs() {
        synchronized (lock) {
            return sinceMs;
        }
    }

    /**
     * The catch-up has read its topics up to the end offsets it took: send the live records held meanwhile (those
     * not already sent) and go live. False when live records had to be let go meanwhile: the caller reads on to new
     * end offsets (taken after this call) and tries again.
     */
    boolean handOver(Set<String> topics) throws InterruptedException {
        synchronized (lock) {
            boolean overflowed = false;
            for (String topic : topics) {
                Subscription s = subscriptions.get(topic);
                if (s != null && s.pending != null && s.pendingOverflowed) {
                    overflowed = true;
                }
            }
            if (overflowed) {
                for (String topic : topics) {
                    Subscription s = subscriptions.get(topic);
                    if (s != null && s.pending != null) {
                        s.pending.clear();
                        s.pendingOverflowed = false;
                    }
                }
                return false;
            }
            long deadline = System.nanoTime() + settings.sendTimeout().toNanos();
            while (!closed && !lagging && queue.size() + pending(topics) > settings.buffer() && queue.size() > 0) {
                if (System.nanoTime() > deadline) {
                    break; // the queue's own limit takes over: the client is closed as lagging if it is still full
                }
                lock.wait(100);
            }
            for (String topic : topics) {
                Subscription s = subscriptions.get(topic);
                if (s != null && s.pending != null) {
                    if (s.pendingOverflowed) {
                        return handOver(topics);
                    }
                    for (GatewayRecord record : s.pending) {
                        deliverLocked(record, s.filter);
                    }
                    s.pending = null;
                }
            }
            catchUps--;
        }
        startSending();
        hub.checkQueuedTotal();
        return true;
    }

    private int pending(Set<String> topics) {
        int n = 0;
        for (String topic : topics) {
            Subscription s = subscriptions.get(topic);
            if (s != null && s.pending != null) {
                n += s.pending.size();
            }
        }
        return n;
    }

    /** Queues a record unless the client had it (by partition offset) or the filters drop it. Holds lock. */
    private void deliverLocked(GatewayRecord record, ChangeFilter filter) {
        Long had = next.get(record.partition());
        if (had != null && record.offset() < had) {
            return;
        }
        next.put(record.partition(), record.offset() + 1);
        if (!filter.accepts(record) || !rowAllowed(record)) {
            return;
        }
        String position = hub.positions().encode(sinceMs, next);
        // an update that moved the row here from another tenant: that tenant's image is not ours to see
        String frame = record.before() != null && principal.rowValues() != null
                && !ChangeFilter.anyEquals(record.before(), settings.rowFilter().column(), principal.rowValues())
                ? record.frameWithoutBefore(position) : record.frame(position);
        enqueueLocked(Outlet.Frame.change(frame, position, record.commitMs()));
    }

    /** The row-level rule: the row's column must equal one of the token's claim values (deletes: the before image). */
    private boolean rowAllowed(GatewayRecord record) {
        if (principal.rowValues() == null) {
            return true;
        }
        return ChangeFilter.anyEquals(record.row(), settings.rowFilter().column(), principal.rowValues());
    }

    // ---------------------------------------------------------------- frames out

    void enqueue(Outlet.Frame frame) {
        synchronized (lock) {
            enqueueLocked(frame);
        }
        startSending();
        hub.checkQueuedTotal();
    }

    /** Queues a server ping (it waits behind the frames already queued). */
    void ping() {
        enqueue(Outlet.Frame.ping());
    }

    private void enqueueLocked(Outlet.Frame frame) {
        if (closed || lagging) {
            return;
        }
        long maxBytes = settings.maxQueuedBytes().toBytes();
        while (!queue.isEmpty() && (queue.size() >= settings.buffer() || queuedBytes + frame.size() > maxBytes)) {
            if (settings.dropOldest()) {
                pollLocked();
                droppedUnreported++;
                hub.metrics().droppedOldest();
            } else {
                laggingLocked(queue.size() >= settings.buffer() ? settings.buffer() + " frames queued" : queuedBytes + " bytes queued", 1);
                return;
            }
        }
        addLocked(frame);
    }

    /** Replaces the queue with a lagging frame and closes the connection with 1013 once it is written (or after send-timeout). */
    private void laggingLocked(String why, int more) {
        int dropped = queue.size() + more;
        clearLocked();
        lagging = true;
        hub.metrics().droppedLagging(dropped);
        addLocked(Outlet.Frame.last("{\"type\":\"lagging\",\"buffer\":" + settings.buffer() + ",\"dropped\":" + dropped
                + ",\"message\":\"the client did not keep up; reconnect and resume from the last position received\"}", TRY_AGAIN_LATER));
        LOG.info("Gateway client {} ({}) is lagging ({}): closing it with 1013", id, principal.subject(), why);
        hub.closeLater(this, TRY_AGAIN_LATER, "lagging");
    }

    /** Closes the client as lagging (1013) from outside: the total of queued bytes is over its limit, or it stopped reading. */
    void shed(String why) {
        synchronized (lock) {
            if (closed || lagging) {
                return;
            }
            laggingLocked(why, 0);
        }
        startSending();
    }

    long queuedBytes() {
        return queuedBytes;
    }

    private void addLocked(Outlet.Frame frame) {
        queue.add(frame);
        queuedBytes += frame.size();
        hub.queued(frame.size());
    }

    private Outlet.Frame pollLocked() {
        Outlet.Frame frame = queue.poll();
        if (frame != null) {
            queuedBytes -= frame.size();
            hub.queued(-frame.size());
        }
        return frame;
    }

    private void clearLocked() {
        queue.clear();
        hub.queued(-queuedBytes);
        queuedBytes = 0;
    }

    /** Closes the connection at its token's expiry (4001) or when it reached max-session (4002). */
    void expire(int code) {
        String error = code == TOKEN_EXPIRED
                ? errorFrame("token-expired", "the token has expired; connect again with a new token and resume")
                : errorFrame("session-expired", "the connection reached the gateway's max-session; connect again and resume");
        LOG.debug("Gateway client {} ({}): closing with {}", id, principal.subject(), code);
        last(error, code, code == TOKEN_EXPIRED ? "token expired" : "session expired");
    }

    void expiry(java.util.concurrent.Future<?> scheduled) {
        expiry = scheduled;
    }

    /** Called by the hub's watchdog: a write the client has not taken for cdc.gateway.send-timeout closes it (1013). */
    void checkWrite(long nowNanos, long timeoutNanos) {
        long started = writeStartedNanos;
        if (started != 0 && nowNanos - started > timeoutNanos && !isClosed()) {
            LOG.info("Gateway client {} ({}): a write did not complete within cdc.gateway.send-timeout; closing it with 1013", id, principal.subject());
            hub.metrics().droppedLagging(1);
            close(TRY_AGAIN_LATER, "send timeout");
        }
    }

    private void startSending() {
        synchronized (lock) {
            if (sending || closed || (queue.isEmpty() && droppedUnreported == 0)) {
                return;
            }
            sending = true;
        }
        hub.senders().execute(this::pump);
    }

    /**
     * Writes queued frames one at a time; continues on whichever thread a write completes on. Called by whoever set
     * {@code sending} (startSending, or the fan-out after {@link #offerLive} returned true).
     */
    void pump() {
        while (true) {
            Outlet.Frame frame;
            synchronized (lock) {
                if (closed) {
                    sending = false;
                    clearLocked();
                    return;
                }
                if (droppedUnreported > 0 && (queue.isEmpty() || queue.peek().kind() != Outlet.Kind.LAST)) {
                    frame = Outlet.Frame.control("{\"type\":\"lagging\",\"dropped\":" + droppedUnreported
                            + ",\"message\":\"the oldest changes were dropped: the client did not keep up\"}");
                    droppedUnreported = 0;
                } else {
                    frame = pollLocked();
                }
                if (frame == null) {
                    sending = false;
                    return;
                }
                if (catchUps > 0) {
                    lock.notifyAll();
                }
            }
            AtomicBoolean handedOver = new AtomicBoolean();
            Outlet.Frame sent = frame;
            Consumer<Throwable> done = error -> {
                writeStartedNanos = 0;
                afterSend(sent, error);
                // the write finished after send() returned: this thread carries on
                if (!handedOver.compareAndSet(false, true)) {
                    pump();
                }
            };
            writeStartedNanos = System.nanoTime();
            try {
                outlet.send(frame, done);
            } catch (RuntimeException e) {
                done.accept(e);
            }
            if (handedOver.compareAndSet(false, true)) {
                return; // still writing: its completion carries on
            }
        }
    }

    private void afterSend(Outlet.Frame frame, Throwable error) {
        if (error != null) {
            LOG.debug("Gateway client {}: write failed ({}), closing", id, error.toString());
            close(SERVER_ERROR, "write failed");
            return;
        }
        if (frame.kind() == Outlet.Kind.CHANGE) {
            hub.metrics().sent(frame.commitMs());
        } else if (frame.kind() == Outlet.Kind.LAST) {
            close(frame.closeCode(), reason(frame.closeCode()));
        }
    }

    static String reason(int code) {
        return switch (code) {
            case TRY_AGAIN_LATER -> "try again later";
            case TOKEN_EXPIRED -> "token expired";
            case SESSION_EXPIRED -> "session expired";
            default -> "policy violation";
        };
    }

    /** Ends the connection (idempotent) and forgets it. */
    void close(int code, String reason) {
        if (!markClosed()) {
            return;
        }
        hub.closed(this, subscriptionCount());
        // on a pool of its own: closing can block (a WebSocket close frame to a full socket, an SSE write in progress)
        hub.closers().execute(() -> {
            try {
                outlet.close(code, reason);
            } catch (RuntimeException e) {
                LOG.debug("Gateway client {}: close failed: {}", id, e.toString());
            }
        });
    }

    /** The transport ended (client closed, network gone). */
    void closedByTransport() {
        if (markClosed()) {
            hub.closed(this, subscriptionCount());
        }
    }

    /** Marks the connection closed and drops what it still had to send; false when it was closed already. */
    private boolean markClosed() {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            closed = true;
            clearLocked();
            lock.notifyAll();
        }
        java.util.concurrent.Future<?> scheduled = expiry;
        if (scheduled != null) {
            scheduled.cancel(false);
        }
        return true;
    }

    private int subscriptionCount() {
        synchronized (lock) {
            int n = subscriptions.size();
            return n;
        }
    }

    Set<String> subscribedTopics() {
        synchronized (lock) {
            return Set.copyOf(subscriptions.keySet());
        }
    }
}
