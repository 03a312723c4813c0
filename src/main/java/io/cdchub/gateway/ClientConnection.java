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
                        resumeOf(message.get("resume")));
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
            queue.clear();
            queue.add(Outlet.Frame.last(text, code));
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

    private static Position resumeOf(JsonNode resume) {
        if (resume == null || resume.isNull()) {
            return null;
        }
        if (!resume.isTextual()) {
            throw new ProtocolException("invalid-resume", "resume must be the position string of the last message received");
        }
        return Position.decode(resume.asText());
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
            String topic = hub.topicCatalog().resolve(name);
            if (!principal.mayRead(topic, hub.topicCatalog().aliasesOf(topic)) && !principal.mayRead(name, List.of())) {
                throw new ProtocolException("forbidden-topic", "the token does not grant topic '" + name + "'");
            }
            resolved.put(name, topic);
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
            if (resume != null) {
                sinceMs = sinceMs < 0 ? resume.sinceMs() : Math.min(sinceMs, resume.sinceMs());
                resume.next().forEach((tp, offset) -> next.merge(tp, offset, Math::max));
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
        if (resume != null) {
            hub.catchUp(this, topics);
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
     * A record from the fan-out route (never waits).
     *
     * @return true when this connection was idle and now has frames to write: the caller must run {@link #pump()}
     *         (the fan-out starts many connections' writes with one task instead of one each)
     */
    boolean offerLive(GatewayRecord record) {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            Subscription subscription = subscriptions.get(record.topic());
            if (subscription == null) {
                return false;
            }
            if (subscription.pending != null) {
                // catching up: hold live records; too many, and the catch-up reads further instead (they are in Kafka)
                if (subscription.pending.size() >= settings.buffer()) {
                    subscription.pending.clear();
                    subscription.pendingOverflowed = true;
                }
                subscription.pending.add(record);
                return false;
            }
            deliverLocked(record, subscription.filter);
            if (sending || (queue.isEmpty() && droppedUnreported == 0)) {
                return false;
            }
            sending = true;
            return true;
        }
    }

    /** A record read by this client's resume catch-up; waits while the queue is half full (its own thread only). */
    void offerCatchUp(GatewayRecord record) throws InterruptedException {
        synchronized (lock) {
            while (!closed && queue.size() >= Math.max(1, settings.buffer() / 2)) {
                lock.wait(100);
            }
            Subscription subscription = subscriptions.get(record.topic());
            if (closed || subscription == null) {
                return;
            }
            deliverLocked(record, subscription.filter);
        }
        startSending();
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
            while (!closed && queue.size() + pending(topics) > settings.buffer() && queue.size() > 0) {
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
        String position = new Position(sinceMs, next).encode();
        enqueueLocked(Outlet.Frame.change(record.frame(position), position, record.commitMs()));
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
    }

    /** Queues a server ping (it waits behind the frames already queued). */
    void ping() {
        enqueue(Outlet.Frame.ping());
    }

    private void enqueueLocked(Outlet.Frame frame) {
        if (closed || lagging) {
            return;
        }
        if (queue.size() >= settings.buffer()) {
            if (settings.dropOldest()) {
                queue.poll();
                droppedUnreported++;
                hub.metrics().droppedOldest();
            } else {
                int dropped = queue.size() + 1;
                queue.clear();
                lagging = true;
                hub.metrics().droppedLagging(dropped);
                queue.add(Outlet.Frame.last("{\"type\":\"lagging\",\"buffer\":" + settings.buffer() + ",\"dropped\":" + dropped
                        + ",\"message\":\"the client did not keep up; reconnect and resume from the last position received\"}", TRY_AGAIN_LATER));
                LOG.info("Gateway client {} ({}) is lagging ({} frames queued): closing it with 1013", id, principal.subject(), settings.buffer());
                hub.closeLater(this, TRY_AGAIN_LATER, "lagging");
                return;
            }
        }
        queue.add(frame);
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
                    queue.clear();
                    return;
                }
                if (droppedUnreported > 0 && (queue.isEmpty() || queue.peek().kind() != Outlet.Kind.LAST)) {
                    frame = Outlet.Frame.control("{\"type\":\"lagging\",\"dropped\":" + droppedUnreported
                            + ",\"message\":\"the oldest changes were dropped: the client did not keep up\"}");
                    droppedUnreported = 0;
                } else {
                    frame = queue.poll();
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
                afterSend(sent, error);
                // the write finished after send() returned: this thread carries on
                if (!handedOver.compareAndSet(false, true)) {
                    pump();
                }
            };
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
            close(frame.closeCode(), frame.closeCode() == TRY_AGAIN_LATER ? "try again later" : "policy violation");
        }
    }

    /** Ends the connection (idempotent) and forgets it. */
    void close(int code, String reason) {
        if (!markClosed()) {
            return;
        }
        hub.closed(this, subscriptionCount());
        hub.senders().execute(() -> {
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
            queue.clear();
            lock.notifyAll();
            return true;
        }
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
