package io.cdchub.sink;

import java.util.Collection;
import java.util.List;

import io.cdchub.config.InvalidConfigurationException;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.apache.camel.support.LifecycleStrategySupport;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * Refuses a {@code kafka-to-sink} route (a user's own, in {@code cdc.routes.dir}) that names a sink this instance does
 * not run, when the route is added: at start-up, or at a reload, which then keeps the running routes. Without it the
 * route would start, and every batch would fail and be retried without end.
 */
@Component
public class SinkRouteCheck implements CamelContextConfiguration {

    private final ObjectProvider<Sink<?>> sinks;

    public SinkRouteCheck(ObjectProvider<Sink<?>> sinks) {
        this.sinks = sinks;
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
        Object sink = SinkRunners.templateSink(camel, route.getRouteId());
        List<String> enabled = sinks.stream().map(Sink::name).sorted().toList();
        if (sink != null && !enabled.contains(sink.toString())) {
            // (Camel keeps no file name for a templated route; the route id is unique)
            throw new InvalidConfigurationException("cdc.routes.dir", "holds route " + route.getRouteId() + ", which writes to sink '"
                    + sink + "', but the sinks enabled in this instance are " + enabled + " (cdc.sink.<name>.enabled=true enables one)");
        }
    }
}
