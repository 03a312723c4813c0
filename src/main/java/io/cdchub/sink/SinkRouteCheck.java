package io.cdchub.sink;

import java.util.Collection;
import java.util.List;

import io.cdchub.config.InvalidConfigurationException;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.apache.camel.support.LifecycleStrategySupport;
import io.cdchub.sink.transform.SinkTransforms;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * Refuses a {@code kafka-to-sink} route (a user's own, in {@code cdc.routes.dir}) that names a sink this instance does
 * not run, or a transform that is not declared, when the route is added: at start-up, or at a reload, which then keeps the running routes. Without it the
 * route would start, and every batch would fail and be retried without end.
 */
@Component
public class SinkRouteCheck implements CamelContextConfiguration {

    private final ObjectProvider<Sink<?>> sinks;
    private final SinkTransforms transforms;

    public SinkRouteCheck(ObjectProvider<Sink<?>> sinks, SinkTransforms transforms) {
        this.sinks = sinks;
        this.transforms = transforms;
    }

    @Override
    public void beforeApplicationStart(CamelContext camel) {
        camel.addLifecycleStrategy(new LifecycleStrategySupport() {
            @Override
            public void onRoutesAdd(Collection<Route> routes) {
                routes.forEach(route -> check(camel, route));
            }
        });
    }

    @Override
    public void afterApplicationStart(CamelContext camel) {
        // checked as routes are added
    }

    private void check(CamelContext camel, Route route) {
        // a route made from the kafka-to-sink template: Camel keeps its parameters, not the template's id, so it is known
        // by its error handling (routeConfigurationId: sink) and its 'sink' parameter
        if (!"sink".equals(route.getConfigurationId())) {
            return;
        }
        Object sink = SinkRunners.templateParameter(camel, route.getRouteId(), SinkRunners.TEMPLATE_SINK_PARAMETER);
        Object names = SinkRunners.templateParameter(camel, route.getRouteId(), "transforms");
        if (names != null && !names.toString().contains("{{")) { // the built-in routes' come from cdc.sink.<sink>.transforms, checked at binding
            transforms.checkRoute(route.getRouteId(), names.toString());
        }
        List<String> enabled = sinks.stream().map(Sink::name).sorted().toList();
        if (sink != null && !enabled.contains(sink.toString())) {
            // (Camel keeps no file name for a templated route; the route id is unique)
            throw new InvalidConfigurationException("cdc.routes.dir", "holds route " + route.getRouteId() + ", which writes to sink '"
                    + sink + "', but the sinks enabled in this instance are " + enabled + " (cdc.sink.<name>.enabled=true enables one)");
        }
    }
}
