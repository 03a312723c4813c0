package io.cdchub.deadletter;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import io.cdchub.change.ChangeEvent;
import io.cdchub.change.UnreadableChangeException;
import io.cdchub.config.CdcHubProperties;
import io.cdchub.sink.SinkDeadLetters;
import io.cdchub.sink.SinkRunners;
import io.cdchub.sink.SinkUnavailableException;
import io.cdchub.source.ChangeEventWriter;
import io.cdchub.source.SourceProperties;
import io.cdchub.source.ValueFormat;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Lists, counts and replays dead letters (README "Dead letters: find, fix, replay"). A replay sends each chosen dead
 * letter back to the route that failed it, and only there:
 * <ul>
 * <li>a sink route's ({@code kafka-to-sink} template): through that route's own {@code SinkRunner}, so it is converted,
 * written (idempotently, by LSN), bisected and dead-lettered exactly like the route's batches, and no other consumer of
 * the original topic sees it again;</li>
 * <li>the source's publisher ({@code postgres-to-kafka}, records Kafka refused for their size): to the original topic,
 * with the headers the source gives its events;</li>
 * <li>any other route's (the aggregation's, a connector's) is refused: see {@link #target}.</li>
 * </ul>
 * Each replayed dead letter is recorded in the {@link ReplayLog} with its outcome, so the same request again replays
 * nothing unless forced. A record that fails again is dead-lettered once more, by the route's own dead-letter path, with
 * its new reason and {@code cdc.dlq.replay-count}/{@code cdc.dlq.replay-of}; that new dead letter is replayable in turn.
 */
@Component
public class DeadLetterReplayer implements DisposableBean {

    /** The source's publishing route (postgres-to-kafka.camel.yaml). */
    public static final String SOURCE_ROUTE_ID = "postgres-to-kafka";
    /** Outcomes of {@code cdc.dlq.replays}. */
    public static final String SKIPPED = "skipped";
    public static final String UNAVAILABLE = "unavailable";
    /** Records handed to a sink in one go: bounds the memory of a large replay. */
    static final int CHUNK = 1000;
    /** Source dead letters whose payload is the event Kafka refused (not a description of a change). */
    private static final Set<String> REFUSED_BY_KAFKA = Set.of(RecordTooLargeException.class.getName(), RecordBatchTooLargeException.class.getName());

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterReplayer.class);

    private final DeadLetterTopic topic;
    private final ReplayLog log;
    private final SinkRunners sinks;
    private final CdcHubProperties hub;
    private final SourceProperties source;
    private final CamelContext camel;
    private final MeterRegistry registry;
    private final ReentrantLock replaying = new ReentrantLock();
    private volatile KafkaProducer<byte[], byte[]> producer;
    private volatile ProducerTemplate deadLetters;

    public DeadLetterReplayer(DeadLetterTopic topic, ReplayLog log, SinkRunners sinks, CdcHubProperties hub, SourceProperties source,
            CamelContext camel, MeterRegistry registry) {
        this.topic = topic;
        this.log = log;
        this.sinks = sinks;
        this.hub = hub;
        this.source = source;
        this.camel = camel;
        this.registry = registry;
    }

    /** A page of the chosen dead letters, each with its last replay. */
    public record Page(int total, int offset, int limit, List<DeadLetter> deadLetters) {
    }

    /** How many chosen dead letters there are per route and reason, and how many of them were replayed. */
    public record Summary(int total, List<Group> groups) {
        public record Group(String routeId, String reason, int count, int replayed) {
        }
    }

    /**
     * What a replay did, or with {@code dryRun} would do.
     *
     * @param selected        dead letters the selection chose
     * @param targets         where they go (or went): per route, the sink or topic and how many
     * @param replayed        taken by their target
     * @param failedAgain     refused again: each is a new dead letter now, with its new reason and a replay count
     * @param alreadyReplayed skipped because they were replayed before (send {@code force} to replay them again)
     * @param unreplayable    dead letters that cannot be replayed, per route and reason (a replay refuses them all)
     */
    public record Result(boolean dryRun, int selected, List<Target> targets, int replayed, int failedAgain, int alreadyReplayed,
            List<Unreplayable> unreplayable) {
        public record Target(String route, String target, int count) {
        }

        public record Unreplayable(String route, String reason, int count) {
        }
    }

    /** The replay cannot be done as asked (some chosen dead letters cannot be replayed): the API answers 422. */
    public static class UnreplayableException extends RuntimeException {
        public UnreplayableException(String message) {
            super(message);
        }
    }

    /** Another replay is running in this instance: the API answers 409. */
    public static class ReplayRunningException extends RuntimeException {
        public ReplayRunningException(String message) {
            super(message);
        }
    }

    public Page list(DeadLetterSelection selection, int offset, int limit) {
        List<DeadLetter> letters = topic.read(selection);
        Map<String, DeadLetter.Replay> replays = log.read();
        List<DeadLetter> page = letters.stream().skip(offset).limit(limit).map(l -> l.withReplay(replays.get(l.position()))).toList();
        return new Page(letters.size(), offset, limit, page);
    }

    public Summary summary(DeadLetterSelection selection) {
        List<DeadLetter> letters = topic.read(selection);
        Map<String, DeadLetter.Replay> replays = log.read();
        Map<List<String>, int[]> counts = new TreeMap<>(Comparator.comparing((List<String> k) -> k.get(0)).thenComparing(k -> k.get(1)));
        for (DeadLetter letter : letters) {
            int[] count = counts.computeIfAbsent(List.of(String.valueOf(letter.routeId()), letter.reason()), k -> new int[2]);
            count[0]++;
            if (replays.containsKey(letter.position())) {
                count[1]++;
            }
        }
        List<Summary.Group> groups = new ArrayList<>();
        counts.forEach((key, count) -> groups.add(new Summary.Group(key.get(0), key.get(1), count[0], count[1])));
        return new Summary(letters.size(), groups);
    }

    /**
     * Replays the chosen dead letters (see the class comment), or says what it would do.
     *
     * @param force also replay dead letters replayed before
     * @throws UnreplayableException         some chosen dead letters cannot be replayed (nothing is replayed)
     * @throws ReplayRunningException        another replay is running here
     * @throws SinkUnavailableException      a target cannot take records now (those done so far are recorded)
     * @throws TimeoutException              Kafka did not answer in time
     */
    public Result replay(DeadLetterSelection selection, boolean dryRun, boolean force) {
        if (!dryRun && !replaying.tryLock()) {
            throw new ReplayRunningException("Another replay is running in this instance: wait for it, then look at the dead letters again");
        }
        try {
            return replayLocked(selection, dryRun, force);
        } finally {
            if (!dryRun) {
                replaying.unlock();
            }
        }
    }

    /** Where a dead letter goes: {@code target} ({@code sink <name>}, {@code topic <name>}), or null and {@code whyNot}. */
    record Destination(String route, String target, String whyNot) {
        static Destination refused(String route, String whyNot) {
            return new Destination(route, null, whyNot);
        }
    }

    private Result replayLocked(DeadLetterSelection selection, boolean dryRun, boolean force) {
        List<DeadLetter> letters = topic.read(selection);
        Map<String, DeadLetter.Replay> replays = log.read();
        Map<Destination, List<DeadLetter>> byDestination = new LinkedHashMap<>();
        Map<String, Integer> skipped = new LinkedHashMap<>(); // by route
        for (DeadLetter letter : letters) {
            if (!force && replays.containsKey(letter.position())) {
                skipped.merge(String.valueOf(letter.routeId()), 1, Integer::sum);
                continue;
            }
            byDestination.computeIfAbsent(destination(letter), d -> new ArrayList<>()).add(letter);
        }
        List<Result.Target> targets = new ArrayList<>();
        List<Result.Unreplayable> refused = new ArrayList<>();
        byDestination.forEach((to, chosen) -> {
            if (to.target() == null) {
                refused.add(new Result.Unreplayable(to.route(), to.whyNot(), chosen.size()));
            } else {
                targets.add(new Result.Target(to.route(), to.target(), chosen.size()));
            }
        });
        int alreadyReplayed = skipped.values().stream().mapToInt(Integer::intValue).sum();
        if (dryRun) {
            return new Result(true, letters.size(), targets, 0, 0, alreadyReplayed, refused);
        }
        if (!refused.isEmpty()) {
            throw new UnreplayableException(refused.stream().mapToInt(Result.Unreplayable::count).sum() + " of the chosen dead letters cannot be"
                    + " replayed, so none was: " + refused.stream().map(u -> u.count() + " of route " + u.route() + " (" + u.reason() + ")").toList()
                    + ". Narrow the selection (route, offsets); dryRun shows what a replay would do.");
        }
        skipped.forEach((route, n) -> count(route, SKIPPED, n));
        int replayed = 0;
        int failedAgain = 0;
        for (Map.Entry<Destination, List<DeadLetter>> group : byDestination.entrySet()) {
            Destination to = group.getKey();
            List<DeadLetter> chosen = group.getValue();
            for (int from = 0; from < chosen.size(); from += CHUNK) {
                Map<String, DeadLetter.Replay> outcomes = new LinkedHashMap<>();
                try {
                    send(to, chosen.subList(from, Math.min(chosen.size(), from + CHUNK)), outcomes);
                } catch (RuntimeException e) {
                    count(to.route(), UNAVAILABLE, chosen.size() - from - outcomes.size());
                    throw e;
                } finally {
                    log.record(outcomes); // what was done stays done, also when the rest failed
                    int again = (int) outcomes.values().stream().filter(r -> DeadLetter.Replay.FAILED_AGAIN.equals(r.outcome())).count();
                    count(to.route(), DeadLetter.Replay.REPLAYED, outcomes.size() - again);
                    count(to.route(), DeadLetter.Replay.FAILED_AGAIN, again);
                    replayed += outcomes.size() - again;
                    failedAgain += again;
                }
            }
        }
        LOG.info("Replayed dead letters of {}: {} taken, {} failed again, {} replayed before and skipped", topic.name(), replayed, failedAgain,
                alreadyReplayed);
        return new Result(false, letters.size(), targets, replayed, failedAgain, alreadyReplayed, List.of());
    }

    /**
     * Where a dead letter would go: {@code sink <name>} or {@code topic <name>}, or refused with the reason.
     * The aggregation's dead letters are not replayable: a window counts each change once, in the window of its commit
     * time, and one already closed and handed to its job cannot take a late change; replaying into it would count a
     * change in a window it does not belong to.
     */
    Destination destination(DeadLetter letter) {
        String route = letter.routeId();
        if (letter.value() == null) {
            return Destination.refused(route, "it has no payload");
        }
        if (new String(letter.value(), 0, Math.min(letter.value().length, 40), StandardCharsets.UTF_8).startsWith("{\"truncated\":true")) {
            return Destination.refused(route, "its payload was not kept (larger than cdc.dlq.max-payload-bytes)");
        }
        if (SOURCE_ROUTE_ID.equals(route)) {
            if (letter.originalTopic() == null || !REFUSED_BY_KAFKA.contains(letter.exceptionClass())) {
                return Destination.refused(route, "the source could not make this change into an event: the dead letter describes the change,"
                        + " it is not the event (re-snapshot the table or touch the row in PostgreSQL to capture it again)");
            }
            return new Destination(route, "topic " + letter.originalTopic(), null);
        }
        var sink = route == null ? java.util.Optional.<String>empty() : sinks.sinkOf(route);
        if (sink.isPresent()) {
            return new Destination(route, "sink " + sink.get(), null);
        }
        if (route == null || camel.getRoute(route) == null) {
            return Destination.refused(route, "route " + route + " does not run in this instance");
        }
        return Destination.refused(route, "only dead letters of sink routes and of the source's publisher can be replayed; route " + route
                + " is neither (the aggregation's windows cannot take a change late, see README)");
    }

    private void send(Destination to, List<DeadLetter> letters, Map<String, DeadLetter.Replay> outcomes) {
        if (to.target().startsWith("sink ")) {
            List<Exchange> records = letters.stream().map(this::record).toList();
            try {
                sinks.replay(to.route(), records);
            } finally {
                // a record dead-lettered again has its new dead letter: recorded even when the rest could not be written
                for (int i = 0; i < records.size(); i++) {
                    if (SinkDeadLetters.isDeadLettered(records.get(i))) {
                        outcomes.put(letters.get(i).position(), replay(DeadLetter.Replay.FAILED_AGAIN, to));
                    }
                }
            }
            for (DeadLetter letter : letters) {
                outcomes.putIfAbsent(letter.position(), replay(DeadLetter.Replay.REPLAYED, to));
            }
        } else {
            for (DeadLetter letter : letters) {
                outcomes.put(letter.position(), replay(publish(letter) ? DeadLetter.Replay.REPLAYED : DeadLetter.Replay.FAILED_AGAIN, to));
            }
        }
    }

    private static DeadLetter.Replay replay(String outcome, Destination to) {
        return new DeadLetter.Replay(outcome, Instant.now(), to.route(), to.target());
    }

    /** The dead letter as the record its route consumed: the original topic, partition, offset, key and value. */
    private Exchange record(DeadLetter letter) {
        Exchange record = new DefaultExchange(camel);
        record.getMessage().setBody(letter.value());
        record.getMessage().setHeader(KafkaConstants.TOPIC, letter.originalTopic());
        if (letter.originalPartition() != null) {
            record.getMessage().setHeader(KafkaConstants.PARTITION, letter.originalPartition());
        }
        if (letter.originalOffset() != null) {
            record.getMessage().setHeader(KafkaConstants.OFFSET, letter.originalOffset());
        }
        if (letter.keyBytes() != null) {
            record.getMessage().setHeader(KafkaConstants.KEY, letter.keyBytes());
        }
        markReplay(record, letter);
        return record;
    }

    private static void markReplay(Exchange exchange, DeadLetter letter) {
        exchange.setProperty(DeadLetterEnricher.REPLAY_COUNT, letter.replayCount() + 1);
        exchange.setProperty(DeadLetterEnricher.REPLAY_OF, letter.position());
    }

    /**
     * Publishes a source dead letter to its original topic with the headers the source gives its events (from the event
     * itself); a record Kafka refuses again for its size is dead-lettered again.
     *
     * @return false when it was dead-lettered again
     */
    private boolean publish(DeadLetter letter) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(letter.originalTopic(), letter.keyBytes(), letter.value());
        try {
            ChangeEvent event = ChangeEvent.read(letter.keyBytes(), letter.value(), letter.timestamp().toEpochMilli());
            header(record, ChangeEventWriter.HEADER_OP, event.op());
            header(record, ChangeEventWriter.HEADER_SCHEMA, event.schema());
            header(record, ChangeEventWriter.HEADER_TABLE, event.table());
            header(record, ChangeEventWriter.HEADER_LSN, event.lsn() < 0 ? null : String.valueOf(event.lsn()));
        } catch (UnreadableChangeException e) {
            // published as it is: its readers dead-letter it with their reason
        }
        header(record, ValueFormat.HEADER, source.valueFormat().label());
        try {
            producer().send(record).get(DeadLetterTopic.READ_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof RecordTooLargeException || e.getCause() instanceof RecordBatchTooLargeException)) {
                throw new TimeoutException("Could not publish the dead letter at " + letter.position() + " to " + letter.originalTopic() + ": "
                        + e.getCause(), e.getCause());
            }
            deadLetterAgain(letter, e.getCause());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TimeoutException("Interrupted while publishing a replayed dead letter", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new TimeoutException("Kafka did not take the replayed dead letter at " + letter.position() + " in time", e);
        }
    }

    private static void header(ProducerRecord<byte[], byte[]> record, String name, String value) {
        if (value != null) {
            record.headers().add(new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** The source's own dead-letter path (ChangeBatchPublisher): the shared dead-letter route, with the replay count. */
    private void deadLetterAgain(DeadLetter letter, Throwable cause) {
        Exchange dead = new DefaultExchange(camel);
        dead.setProperty(Exchange.EXCEPTION_CAUGHT, cause);
        dead.setProperty(Exchange.FAILURE_ROUTE_ID, SOURCE_ROUTE_ID);
        dead.setProperty(Exchange.FAILURE_ENDPOINT, "kafka:" + letter.originalTopic());
        markReplay(dead, letter);
        dead.getMessage().setHeader(KafkaConstants.TOPIC, letter.originalTopic());
        if (letter.keyBytes() != null) {
            dead.getMessage().setHeader(KafkaConstants.KEY, letter.keyBytes());
        }
        dead.getMessage().setBody(letter.value());
        Exchange result = deadLetterTemplate().send("direct:dead-letter", dead);
        if (result.getException() != null) {
            throw new TimeoutException("Could not write the dead letter again for " + letter.position() + ": " + result.getException(),
                    result.getException());
        }
    }

    private void count(String route, String outcome, int n) {
        if (n > 0) {
            Counter.builder("cdc.dlq.replays").tag("route", route).tag("outcome", outcome)
                    .description("Dead letters replayed, by the route that failed them and the outcome").register(registry).increment(n);
        }
    }

    private synchronized KafkaProducer<byte[], byte[]> producer() {
        if (producer == null) {
            producer = DeadLetterTopic.producer(hub, "cdc-hub-dlq-replayer");
        }
        return producer;
    }

    private synchronized ProducerTemplate deadLetterTemplate() {
        if (deadLetters == null) {
            deadLetters = camel.createProducerTemplate();
        }
        return deadLetters;
    }

    @Override
    public void destroy() {
        if (producer != null) {
            producer.close(java.time.Duration.ofSeconds(5));
        }
    }
}
