package io.cdchub.ops;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import io.cdchub.change.ChangeTopicRule;
import io.cdchub.config.CdcHubProperties;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.health.CompositeHealth;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthComponent;
import org.springframework.boot.actuate.health.HealthEndpoint;
import org.springframework.boot.actuate.health.Status;

/**
 * {@code /actuator/pipeline}: the pipeline as it runs, for the operator page ({@code /pipeline/}) and scripts, computed
 * from what health and metrics already know: the sources (Debezium's streaming gauges, the slot's health and lag, the
 * polling source), the change topics and the dead-letter topic (Kafka's end offsets), each sink (its {@code cdc.sink.*}
 * meters and its target's health), the aggregation consumers and the gateway. Every part carries a status (its health
 * indicator's, UNKNOWN without one) and the reason of a failing one; {@code totals} are the throughput counters (changes,
 * rows, events, messages: since start, or since the topic began), from which a reader computes rates between two calls. Behind the admin authentication like
 * every actuator endpoint but the probes and Prometheus.
 */
@Endpoint(id = "pipeline")
public class PipelineEndpoint {

    private static final long KAFKA_TIMEOUT_SECONDS = 3;

    private final HealthEndpoint health;
    private final MeterRegistry registry;
    private final Admin admin;
    private final CdcHubProperties hub;
    private final ChangeTopicRule changeTopics;

    public PipelineEndpoint(HealthEndpoint health, MeterRegistry registry, Admin admin, CdcHubProperties hub) {
        this.health = health;
        this.registry = registry;
        this.admin = admin;
        this.hub = hub;
        this.changeTopics = ChangeTopicRule.of(hub);
    }

    /**
     * One part of the pipeline.
     *
     * @param kind    source, kafka, topic, dead-letters, sink, consumer or gateway
     * @param name    its name (source server, topic, sink, consumer id)
     * @param status  UP, DOWN, OUT_OF_SERVICE or UNKNOWN (from its health indicator)
     * @param reason  why it is not UP (its indicator's {@code reason} or error), or a note such as the standby role
     * @param figures current values (lag, connections, state)
     * @param totals  throughput counts since start that a reader turns into rates (per second)
     */
    public record Part(String kind, String name, String status, String reason, Map<String, Object> figures, Map<String, Double> totals) {

        /** Values not known (no meter, NaN, no detail) are left out rather than sent as null or NaN. */
        public Part {
            figures = known(figures);
            totals = known(totals);
        }

        private static <V> Map<String, V> known(Map<String, V> values) {
            Map<String, V> known = new LinkedHashMap<>();
            values.forEach((key, value) -> {
                if (value != null && !(value instanceof Double number && number.isNaN())) {
                    known.put(key, value);
                }
            });
            return known;
        }
    }

    /**
     * @param time   when it was computed (epoch milliseconds)
     * @param status the application's overall health
     * @param parts  source(s) first, then Kafka and the topics, the sinks, the consumers and the gateway
     */
    public record PipelineState(long time, String status, List<Part> parts) {
    }

    @ReadOperation
    public PipelineState pipeline() {
        HealthComponent overall = health.health();
        Map<String, HealthComponent> components = overall instanceof CompositeHealth composite ? composite.getComponents() : Map.of();
        List<Part> parts = new ArrayList<>();
        parts.addAll(sources(components));
        parts.addAll(kafka(components));
        parts.addAll(sinks(components));
        parts.addAll(consumers(components));
        parts.addAll(gateway(components));
        return new PipelineState(Instant.now().toEpochMilli(), overall.getStatus().getCode(), parts);
    }

    private List<Part> sources(Map<String, HealthComponent> components) {
        List<Part> parts = new ArrayList<>();
        Set<String> servers = tagValues("debezium.streaming.connected", "server");
        HealthComponent slot = components.get("replicationSlot");
        if (slot != null) {
            servers.add(hub.topicPrefix());
        }
        for (String server : servers) {
            boolean builtIn = server.equals(hub.topicPrefix());
            Map<String, Object> figures = new LinkedHashMap<>();
            double connected = gauge("debezium.streaming.connected", "server", server);
            figures.put("state", state(server, connected));
            if (gauge("debezium.snapshot.running", "server", server) == 1) {
                figures.put("snapshot rows", sum(registry.find("debezium.snapshot.rows.scanned").tag("server", server).gauges(), g -> g.value()));
            }
            if (builtIn && slot != null) {
                figures.put("slot", detail(slot, "slot"));
                figures.put("slot lag bytes", gauge("cdc.source.slot.lag.bytes", null, null));
                figures.put("role", detail(slot, "role"));
            }
            figures.put("ms behind source", gauge("debezium.streaming.ms.behind.source", "server", server));
            figures.put("queue free", gauge("debezium.streaming.queue.remaining.capacity", "server", server));
            Map<String, Double> totals = new LinkedHashMap<>();
            totals.put("changes", gauge("debezium.streaming.events.seen", "server", server));
            HealthComponent own = builtIn ? slot : null;
            String status = own != null ? own.getStatus().getCode() : connected == 1 ? Status.UP.getCode() : Status.UNKNOWN.getCode();
            parts.add(new Part("source", server, status, reason(own), figures, totals));
        }
        HealthComponent polling = components.get("polling");
        for (String source : tagValues("cdc.polling.rows", "source")) {
            Map<String, Double> totals = Map.of("rows", counterSum("cdc.polling.rows", "source", source));
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("state", "polling");
            parts.add(new Part("source", source, code(polling), reason(polling), figures, totals));
        }
        return parts;
    }

    private String state(String server, double connected) {
        if (gauge("debezium.snapshot.running", "server", server) == 1) {
            return "snapshot";
        }
        if (connected == 1) {
            return "streaming";
        }
        return Double.isNaN(connected) ? "not running here" : "not connected";
    }

    /** Kafka itself, each change topic with its end offsets, and the dead-letter topic. */
    private List<Part> kafka(Map<String, HealthComponent> components) {
        HealthComponent kafka = components.get("kafka");
        List<Part> parts = new ArrayList<>();
        Map<String, Object> brokerFigures = new LinkedHashMap<>();
        brokerFigures.put("bootstrap", hub.kafka().bootstrapServers());
        Map<String, Long> ends;
        String failure = null;
        try {
            ends = endOffsets();
        } catch (Exception e) {
            ends = Map.of();
            failure = "could not read the topics: " + e;
        }
        String kafkaReason = reason(kafka);
        parts.add(new Part("kafka", "kafka", failure != null && kafka == null ? Status.DOWN.getCode() : code(kafka),
                kafkaReason != null ? kafkaReason : failure, brokerFigures, Map.of()));
        String deadLetterTopic = hub.dlq().topic();
        for (Map.Entry<String, Long> topic : ends.entrySet()) {
            boolean deadLetters = topic.getKey().equals(deadLetterTopic);
            if (!deadLetters && !changeTopics.isChangeTopic(topic.getKey())) {
                continue;
            }
            Map<String, Double> totals = Map.of("messages", topic.getValue().doubleValue());
            parts.add(new Part(deadLetters ? "dead-letters" : "topic", topic.getKey(), Status.UP.getCode(), null, Map.of(), totals));
        }
        return parts;
    }

    /** Sum of the end offsets of every partition, by topic name (internal topics left out). */
    private Map<String, Long> endOffsets() throws Exception {
        Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(false)).names().get(KAFKA_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        Set<String> wanted = names.stream().filter(n -> n.equals(hub.dlq().topic()) || changeTopics.isChangeTopic(n))
                .collect(Collectors.toCollection(TreeSet::new));
        if (wanted.isEmpty()) {
            return Map.of();
        }
        Map<String, TopicDescription> descriptions = admin.describeTopics(wanted).allTopicNames().get(KAFKA_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
        descriptions.values().forEach(d -> d.partitions().forEach(p -> latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
        Map<String, Long> ends = new TreeMap<>();
        wanted.forEach(topic -> ends.put(topic, 0L));
        admin.listOffsets(latest).all().get(KAFKA_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .forEach((partition, info) -> ends.merge(partition.topic(), info.offset(), Long::sum));
        return ends;
    }

    private List<Part> sinks(Map<String, HealthComponent> components) {
        List<Part> parts = new ArrayList<>();
        for (String sink : tagValues("cdc.sink.records.written", "sink")) {
            HealthComponent target = components.get(sink);
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("lag", gauge("cdc.sink.lag", "sink", sink));
            figures.put("failures", counterSum("cdc.sink.failures", "sink", sink));
            figures.put("dead letters", counterSum("cdc.sink.dead.letters", "sink", sink));
            Map<String, Double> totals = Map.of("rows", counterSum("cdc.sink.records.written", "sink", sink));
            parts.add(new Part("sink", sink, code(target), reason(target), figures, totals));
        }
        return parts;
    }

    private List<Part> consumers(Map<String, HealthComponent> components) {
        HealthComponent aggregation = components.get("aggregation");
        List<Part> parts = new ArrayList<>();
        for (String consumer : tagValues("cdc.aggregation.events", "consumer")) {
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("failed runs", counterSum("cdc.aggregation.runs", "consumer", consumer, "status", "failed"));
            figures.put("windows", counterSum("cdc.aggregation.windows.completed", "consumer", consumer));
            figures.put("dead letters", counterSum("cdc.aggregation.dead.letters", "consumer", consumer));
            Map<String, Double> totals = Map.of("events", counterSum("cdc.aggregation.events", "consumer", consumer));
            parts.add(new Part("consumer", consumer, code(aggregation), reason(aggregation), figures, totals));
        }
        return parts;
    }

    private List<Part> gateway(Map<String, HealthComponent> components) {
        if (registry.find("cdc.gateway.connections").gauges().isEmpty()) {
            return List.of();
        }
        HealthComponent gateway = components.get("gateway");
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("connections", sum(registry.find("cdc.gateway.connections").gauges(), g -> g.value()));
        figures.put("subscriptions", gauge("cdc.gateway.subscriptions", null, null));
        Map<String, Double> totals = Map.of("messages", counterSum("cdc.gateway.messages.sent", null, null));
        return List.of(new Part("gateway", "gateway", code(gateway), reason(gateway), figures, totals));
    }

    private Set<String> tagValues(String meter, String tag) {
        return registry.find(meter).meters().stream().map(m -> m.getId().getTag(tag)).filter(v -> v != null)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** A gauge's value (the first with the tag, or any without one); NaN when there is none. */
    private double gauge(String name, String tag, String value) {
        var search = registry.find(name);
        var gauge = tag == null ? search.gauge() : search.tag(tag, value).gauge();
        return gauge == null ? Double.NaN : gauge.value();
    }

    private double counterSum(String name, String... tags) {
        var search = registry.find(name);
        for (int i = 0; i + 1 < tags.length; i += 2) {
            if (tags[i] != null) {
                search = search.tag(tags[i], tags[i + 1]);
            }
        }
        return sum(search.counters(), c -> c.count());
    }

    private static <M extends Meter> double sum(Collection<M> meters, java.util.function.ToDoubleFunction<M> value) {
        return meters.stream().mapToDouble(value).filter(v -> !Double.isNaN(v)).sum();
    }

    private static String code(HealthComponent component) {
        return component == null ? Status.UNKNOWN.getCode() : component.getStatus().getCode();
    }

    private static Object detail(HealthComponent component, String key) {
        return component instanceof Health health ? health.getDetails().get(key) : null;
    }

    /** Why a part is not (simply) UP: its indicator's reason, error or outage detail. */
    private static String reason(HealthComponent component) {
        if (!(component instanceof Health health)) {
            return null;
        }
        Function<String, String> text = key -> health.getDetails().get(key) == null ? null : String.valueOf(health.getDetails().get(key));
        for (String key : List.of("reason", "error", "outage")) {
            if (text.apply(key) != null) {
                return text.apply(key);
            }
        }
        return null;
    }
}
