package io.cdchub.sink;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.camel.component.kafka.KafkaEndpoint;
import org.apache.camel.model.Model;
import org.apache.camel.model.RouteDefinition;
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

    /** The route template every sink route is made from, and its parameter naming the sink (kafka-to-sink.camel.yaml). */
    static final String TEMPLATE_SINK_PARAMETER = "sink";

    private final CamelContext camel;
    private final ObjectProvider<Sink<?>> sinks;
    private final SinkDeadLetters deadLetters;
    private final MeterRegistry registry;
    private final SinkLagMonitor lag;
    private final io.cdchub.sink.transform.SinkTransforms transforms;
    private final Map<String, SinkMetrics> metrics = new ConcurrentHashMap<>();
    private final Map<String, SinkRunner<?>> runners = new ConcurrentHashMap<>();

    public SinkRunners(CamelContext camel, ObjectProvider<Sink<?>> sinks, SinkDeadLetters deadLetters, MeterRegistry registry, SinkLagMonitor lag,
            io.cdchub.sink.transform.SinkTransforms transforms) {
        this.camel = camel;
        this.sinks = sinks;
        this.transforms = transforms;
        this.deadLetters = deadLetters;
        this.registry = registry;
        this.lag = lag;
    }

    /**
     * Registers every enabled sink's meters at start-up, so they exist (at zero) before its route's first batch; and
     * drops a route's runner when the route is removed: a reloaded route file (cdc.routes.reload) removes its routes and
     * adds the edited ones under the same ids, which must run with their new parameters (transforms, batch size,
     * topics), not with the runner of the removed route.
     */
    @Override
    public void afterSingletonsInstantiated() {
        sinks.forEach(sink -> metrics(sink.name()));
        camel.addLifecycleStrategy(new org.apache.camel.support.LifecycleStrategySupport() {
            @Override
            public void onRoutesRemove(java.util.Collection<org.apache.camel.Route> routes) {
                routes.forEach(route -> closeRunner(route.getRouteId()));
            }
        });
    }

    /** Stops a removed route's runner; batches it had not finished are not committed, so they are read again. */
    private void closeRunner(String routeId) {
        SinkRunner<?> runner = runners.remove(routeId);
        if (runner == null) {
            return;
        }
        try {
            runner.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("Route {} was removed; its runner is stopped (a route added under that id gets a new one)", routeId);
    }

    /** The route step {@code write-to-sink}: converts and writes the batch through the route's runner. */
    public void write(Exchange batch) {
        String routeId = batch.getFromRouteId();
        SinkRunner<?> runner = runners.get(routeId);
        if (runner == null) {
            runner = runners.computeIfAbsent(routeId, id -> start(id, batch.getProperty(SINK, String.class), batch.getFromEndpoint(),
                    batch.getProperty(io.cdchub.sink.transform.SinkTransforms.ROUTE_TRANSFORMS, String.class)));
        }
        runner.write(batch);
    }

    /**
     * The name of the sink a route writes to, when the route runs here and is made from the {@code kafka-to-sink}
     * template (built in or a user's own) for an enabled sink; empty otherwise.
     */
    public Optional<String> sinkOf(String routeId) {
        if (camel.getRoute(routeId) == null) {
            return Optional.empty();
        }
        Object name = templateParameter(camel, routeId, TEMPLATE_SINK_PARAMETER);
        return sinks.stream().map(Sink::name).filter(n -> n.equals(name)).findFirst();
    }

    /** A parameter of a route made from a route template ({@code kafka-to-sink}); null for any other route or parameter. */
    static Object templateParameter(CamelContext camel, String routeId, String name) {
        RouteDefinition definition = camel.getCamelContextExtension().getContextPlugin(Model.class).getRouteDefinition(routeId);
        return definition == null || !definition.isCreatedFromTemplate() || definition.getTemplateParameters() == null ? null
                : definition.getTemplateParameters().get(name);
    }

    /**
     * Writes records again through the route's runner (made now if the route had no batch yet), so they are converted,
     * written and dead-lettered exactly as the route would: the replay of that route's dead letters, to that sink only.
     *
     * @throws IllegalArgumentException the route is no sink route running here ({@link #sinkOf})
     * @throws SinkUnavailableException the sink cannot take them now
     */
    public void replay(String routeId, List<Exchange> records) {
        String name = sinkOf(routeId).orElseThrow(() -> new IllegalArgumentException("Route " + routeId + " is no sink route running here"));
        runners.computeIfAbsent(routeId, id -> start(id, name, camel.getRoute(id).getEndpoint(), routeTransforms(id))).replay(records);
    }

    /** The transforms a sink route names (its template parameter, placeholders resolved), for a runner made before its first batch. */
    private String routeTransforms(String routeId) {
        Object names = templateParameter(camel, routeId, "transforms");
        return names == null ? "" : camel.resolvePropertyPlaceholders(names.toString());
    }

    private SinkRunner<?> start(String routeId, String name, Endpoint from, String transformNames) {
        Sink<?> sink = sinks.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow(() -> new IllegalStateException(
                "Route " + routeId + " writes to sink '" + name + "', which is not enabled in this instance; enabled sinks: "
                        + sinks.stream().map(Sink::name).collect(Collectors.joining(", ", "[", "]"))));
        SinkMetrics sinkMetrics = metrics(name);
        int fullBatch = Integer.MAX_VALUE;
        if (from instanceof KafkaEndpoint kafka) {
            KafkaConfiguration config = kafka.getConfiguration();
            if (config.getMaxPollRecords() != null) {
                fullBatch = config.getMaxPollRecords();
            }
            lag.watch(config.getGroupId(), new SinkSubscription(config.getTopic(), config.isTopicIsPattern()), sinkMetrics);
        }
        LOG.info("Route {} writes to the {} sink", routeId, name);
        // the route's transforms (its 'transforms' parameter), compiled at start-up: the runner's per-record step
        SinkRunner.ChangeEventStep step = transforms.step(routeId, transformNames);
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
