package io.cdchub.sink;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.camel.component.kafka.KafkaEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.stereotype.Component;

/**
 * What the {@code kafka-to-sink} route template calls: hands each batch to its route's {@link SinkRunner}, made on the
 * route's first batch for the sink the route names ({@link #SINK}, set by the template from its {@code sink}
 * parameter). Routes of the same sink (the built-in one and a user's own) share the sink and its metrics, each with a
 * runner, consumer group and offsets of its own. Also the home of each sink's {@link SinkMetrics}.
 */
@Component("sinkRunners")
public class SinkRunners implements DisposableBean, SmartInitializingSingleton {

    /** Exchange property: the name of the sink the route writes to ({@link Sink#name()}). */
    public static final String SINK = "cdc.sink.name";

    private static final Logger LOG = LoggerFactory.getLogger(SinkRunners.class);

    private final ObjectProvider<Sink<?>> sinks;
    private final SinkDeadLetters deadLetters;
    private final MeterRegistry registry;
    private final SinkLagMonitor lag;
    private final io.cdchub.sink.transform.SinkTransforms transforms;
    private final Map<String, SinkMetrics> metrics = new ConcurrentHashMap<>();
    private final Map<String, SinkRunner<?>> runners = new ConcurrentHashMap<>();

    public SinkRunners(ObjectProvider<Sink<?>> sinks, SinkDeadLetters deadLetters, MeterRegistry registry, SinkLagMonitor lag,
            io.cdchub.sink.transform.SinkTransforms transforms) {
        this.sinks = sinks;
        this.transforms = transforms;
        this.deadLetters = deadLetters;
        this.registry = registry;
        this.lag = lag;
    }

    /** Registers every enabled sink's meters at start-up, so they exist (at zero) before its route's first batch. */
    @Override
    public void afterSingletonsInstantiated() {
        sinks.forEach(sink -> metrics(sink.name()));
    }

    /** The route step {@code write-to-sink}: converts and writes the batch through the route's runner. */
    public void write(Exchange batch) {
        String routeId = batch.getFromRouteId();
        SinkRunner<?> runner = runners.get(routeId);
        if (runner == null) {
            runner = runners.computeIfAbsent(routeId, id -> start(id, batch));
        }
        runner.write(batch);
    }

    private SinkRunner<?> start(String routeId, Exchange batch) {
        String name = batch.getProperty(SINK, String.class);
        Sink<?> sink = sinks.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow(() -> new IllegalStateException(
                "Route " + routeId + " writes to sink '" + name + "', which is not enabled in this instance; enabled sinks: "
                        + sinks.stream().map(Sink::name).collect(Collectors.joining(", ", "[", "]"))));
        SinkMetrics sinkMetrics = metrics(name);
        int fullBatch = Integer.MAX_VALUE;
        Endpoint from = batch.getFromEndpoint();
        if (from instanceof KafkaEndpoint kafka) {
            KafkaConfiguration config = kafka.getConfiguration();
            if (config.getMaxPollRecords() != null) {
                fullBatch = config.getMaxPollRecords();
            }
            lag.watch(config.getGroupId(), new SinkSubscription(config.getTopic(), config.isTopicIsPattern()), sinkMetrics);
        }
        LOG.info("Route {} writes to the {} sink", routeId, name);
        // the route's transforms (its 'transforms' parameter), compiled at start-up: the runner's per-record step
        SinkRunner.ChangeEventStep step = transforms.step(routeId, batch.getProperty(io.cdchub.sink.transform.SinkTransforms.ROUTE_TRANSFORMS, String.class));
        return new SinkRunner<>(sink, routeId, sinkMetrics, deadLetters, fullBatch, step);
    }

    /** A sink's meters (tag {@code sink=<name>}), shared by every route writing to it. */
    public SinkMetrics metrics(String sink) {
        return metrics.computeIfAbsent(sink, s -> new SinkMetrics(registry, s));
    }

    /** Why the sink's writes fail now (retried), or null while they succeed: for its readiness indicator. */
    public String outage(String sink) {
        SinkMetrics m = metrics.get(sink);
        return m == null ? null : m.outage();
    }

    @Override
    public void destroy() throws InterruptedException {
        for (SinkRunner<?> runner : runners.values()) {
            runner.close();
        }
    }
}
