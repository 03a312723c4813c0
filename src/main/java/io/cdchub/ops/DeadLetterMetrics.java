package io.cdchub.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Route;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutePolicyFactory;
import org.apache.camel.support.RoutePolicySupport;

/**
 * Counts dead letters as {@code cdc.dlq.records{route=<failing route id>,exception=<exception class>}} (the class, not the
 * message: messages carry row values and would make a series per record): a route policy on the shared
 * {@code dead-letter} route only (camel-spring-boot adds RoutePolicyFactory beans to the context), so the
 * route YAML and the enricher stay as they are and no other route pays for it. The route tag is what the
 * dead letter's {@code cdc.dlq.route-id} header says: the failure route id, else the route the exchange came from.
 */
public class DeadLetterMetrics implements RoutePolicyFactory {

    /** The id of the route every dead letter passes through (error-handling.camel.yaml). */
    public static final String DEAD_LETTER_ROUTE = "dead-letter";

    private final MeterRegistry registry;

    public DeadLetterMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public RoutePolicy createRoutePolicy(CamelContext camelContext, String routeId, NamedNode route) {
        return DEAD_LETTER_ROUTE.equals(routeId) ? new Counting() : null;
    }

    /** Counts one dead letter for the route it came from. */
    void count(Exchange exchange) {
        String from = exchange.getProperty(Exchange.FAILURE_ROUTE_ID, exchange.getFromRouteId(), String.class);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        Counter.builder("cdc.dlq.records").tag("route", from == null ? "unknown" : from)
                .tag("exception", cause == null ? "unknown" : cause.getClass().getName())
                .description("Records handed to the dead-letter topic, by the route that failed them and why").register(registry).increment();
    }

    private final class Counting extends RoutePolicySupport {
        @Override
        public void onExchangeBegin(Route route, Exchange exchange) {
            count(exchange);
        }
    }
}
