package io.cdchub.bench;

import java.io.IOException;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The gateway benchmark's baseline server: the plainest Camel WebSocket fan-out, a {@code kafka} consumer
 * on the change topic sending every record's value, as a text frame, to all peers of a
 * {@code vertx-websocket} server ({@code sendToAll}). No token check, no subscriptions, no filters, no
 * per-connection buffer, no position: what Camel gives for free, against which the gateway's cost is
 * read. Run by {@link GatewayBenchmark} in a child JVM of its own, like the gateway.
 *
 * <p>Arguments: Kafka bootstrap servers, topic, port. Prints {@code BASELINE READY} when serving, and stops
 * when its standard input closes (the benchmark ending or dying).
 */
public final class GatewayBenchmarkBaseline {

    private GatewayBenchmarkBaseline() {
    }

    public static void main(String[] args) throws Exception {
        String brokers = args[0];
        String topic = args[1];
        int port = Integer.parseInt(args[2]);
        String server = "vertx-websocket:0.0.0.0:" + port + "/stream";
        CamelContext camel = new DefaultCamelContext();
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                // hosts the WebSocket: peers connect here; what they send is ignored
                from(server).routeId("baseline-peers").stop();
                from("kafka:" + topic + "?brokers=" + brokers + "&groupId=gateway-bench-baseline-" + ProcessHandle.current().pid()
                        + "&autoOffsetReset=latest&valueDeserializer=org.apache.kafka.common.serialization.StringDeserializer")
                        .routeId("baseline-fan-out")
                        .to(server + "?sendToAll=true");
            }
        });
        camel.start();
        System.out.println("BASELINE READY " + port);
        System.out.flush();
        try {
            while (System.in.read() >= 0) {
                // wait for the parent to go away
            }
        } catch (IOException e) {
            // parent gone
        }
        camel.close();
        System.exit(0);
    }
}
