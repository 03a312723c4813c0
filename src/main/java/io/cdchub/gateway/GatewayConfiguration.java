package io.cdchub.gateway;

import io.cdchub.config.CdcHubProperties;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.coyote.AbstractProtocol;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.server.standard.ServletServerContainerFactoryBean;

/**
 * The real-time gateway (issue 4), present with {@code cdc.gateway.enabled=true}: WebSocket {@code /ws/stream} and
 * SSE {@code /sse/stream} on {@code server.port}, fed by the kafka-to-gateway route.
 *
 * <p>Why Spring's WebSocket support on Tomcat and not a Camel consumer endpoint: the issue asks for the gateway on
 * {@code server.port}, which Spring Boot's Tomcat already serves (actuator, the management API, Hawtio). Camel 4 has
 * no websocket-jsr356; {@code vertx-websocket} consumers start their own Vert.x HTTP server on their own host:port
 * (only Camel Quarkus shares the runtime's server), and on Spring Boot the platform-http engine maps servlet
 * request/response pairs through Spring MVC without any WebSocket upgrade; platform-http-vertx again runs its own
 * Vert.x server on another port. Tomcat's JSR-356 container (with permessage-deflate) under Spring's handler API shares
 * the port, the servlet stack and its TLS/proxy settings; the Camel route still does the fan-out, into
 * {@link GatewayHub}. bench/ compares this with a plain vertx-websocket server.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "cdc.gateway.enabled", havingValue = "true")
@EnableWebSocket
public class GatewayConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayConfiguration.class);
    /** bytes: clients send no binary messages (Tomcat's default, 8,192, would be allocated per connection for nothing) */
    static final int BINARY_BUFFER = 1024;
    /**
     * characters: Tomcat's per-connection text message buffer. Subscribe actions are short; a longer client message
     * (a resume position of many partitions) arrives in parts that GatewayWebSocketHandler joins up to
     * cdc.gateway.max-message-size, so the 2 bytes per character of that limit are not held by every connection.
     */
    static final int TEXT_BUFFER = 1024;
    /**
     * bytes: Tomcat's WebSocket frame buffers (read, write, text encoder, and permessage-deflate's), 8,192 each by
     * default, set JVM-wide by the system property org.apache.tomcat.websocket.DEFAULT_BUFFER_SIZE. Change frames are
     * a few hundred bytes; a longer one is sent as continuation frames of this size (clients join them).
     */
    static final int WEBSOCKET_BUFFER = 2048;
    /** bytes: the NIO connector's per-connection socket read and write buffers (8,192 each by default) */
    static final int SOCKET_READ_BUFFER = 2048;
    static final int SOCKET_WRITE_BUFFER = 4096;

    static {
        // read once, when Tomcat's WebSocket classes load (after this configuration, before the server starts); an
        // explicit -D setting wins
        if (System.getProperty("org.apache.tomcat.websocket.DEFAULT_BUFFER_SIZE") == null) {
            System.setProperty("org.apache.tomcat.websocket.DEFAULT_BUFFER_SIZE", Integer.toString(WEBSOCKET_BUFFER));
        }
    }

    @Bean
    GatewayMetrics gatewayMetrics(MeterRegistry registry) {
        return new GatewayMetrics(registry);
    }

    @Bean
    GatewayTopics gatewayTopics(GatewayProperties settings, CdcHubProperties hub, Admin kafkaAdmin) {
        return new GatewayTopics(settings, hub, kafkaAdmin);
    }

    @Bean(destroyMethod = "close")
    GatewayHub gatewayHub(GatewayProperties settings, GatewayTopics topics, GatewayMetrics metrics, CdcHubProperties hub) {
        return new GatewayHub(settings, topics, metrics, hub);
    }

    /** The kafka-to-gateway route's client factory (endpoint option kafkaClientFactory): positions new partitions. */
    @Bean
    GatewayKafkaClientFactory gatewayKafkaClientFactory(GatewayHub hub) {
        return new GatewayKafkaClientFactory(hub);
    }

    /** {@code gateway} in the readiness group: not ready until the fan-out's consumer is assigned and positioned. */
    @Bean
    GatewayHealthIndicator gatewayHealthIndicator(GatewayHub hub) {
        return new GatewayHealthIndicator(hub);
    }

    @Bean
    TokenVerifier gatewayTokenVerifier(GatewayProperties settings) {
        if (settings.allowAnonymous()) {
            LOG.warn("""
                    ********************************************************************************
                    cdc.gateway.allow-anonymous=true: the real-time gateway accepts clients WITHOUT A TOKEN
                    and lets them read every topic it serves. This is for the embedded quick start only:
                    set cdc.gateway.jwt.secret or cdc.gateway.jwt.jwks-url and remove allow-anonymous.
                    ********************************************************************************""");
        }
        return new TokenVerifier(settings);
    }

    @Bean
    WebSocketConfigurer gatewayWebSocket(GatewayHub hub, TokenVerifier verifier) {
        // Spring's own origin check lets any through: GatewayHandshakeInterceptor applies cdc.gateway.allowed-origins
        // (any origin with tokens unless listed; only the gateway's own with allow-anonymous), as the SSE endpoint does
        return registry -> registry.addHandler(new GatewayWebSocketHandler(hub), "/ws/stream")
                .addInterceptors(new GatewayHandshakeInterceptor(verifier, hub))
                .setAllowedOriginPatterns("*");
    }

    /**
     * Tomcat's JSR-356 container: its message buffers and the write timeout for blocking sends (pings, closes).
     * Tomcat allocates each session's text and binary message buffers up front at these sizes (a text buffer of 65,536
     * characters was 128 KB of heap per connection), so both stay small: clients send short subscribe actions (longer
     * ones arrive in parts, see TEXT_BUFFER), never binary messages (which the handler refuses anyway).
     */
    @Bean
    ServletServerContainerFactoryBean gatewayWebSocketContainer(GatewayProperties settings) {
        ServletServerContainerFactoryBean container = new ServletServerContainerFactoryBean();
        container.setMaxTextMessageBufferSize(TEXT_BUFFER);
        container.setMaxBinaryMessageBufferSize(BINARY_BUFFER);
        container.setAsyncSendTimeout(settings.sendTimeout().toMillis());
        return container;
    }

    /**
     * Tomcat counts every open WebSocket/SSE client as a connection (8192 by default): leave room for the gateway's.
     * With allow-anonymous (the embedded quick start) and no server.address, the server listens on 127.0.0.1 only:
     * a gateway that serves every topic without a token must not be reachable from the network by default.
     */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> gatewayTomcatConnections(GatewayProperties settings) {
        return factory -> {
            if (settings.allowAnonymous() && factory.getAddress() == null) {
                factory.setAddress(java.net.InetAddress.getLoopbackAddress());
                LOG.warn("cdc.gateway.allow-anonymous=true: listening on {} only (set server.address to listen elsewhere)",
                        java.net.InetAddress.getLoopbackAddress().getHostAddress());
            }
            tomcatConnections(factory, settings);
        };
    }

    private static void tomcatConnections(TomcatServletWebServerFactory factory, GatewayProperties settings) {
        factory.addConnectorCustomizers(connector -> {
            // each open client holds these (heap) buffers for its whole life: small, since its frames are small; HTTP
            // requests and responses (admin, actuator) work with them too, in more reads and writes for large bodies
            connector.setProperty("socket.appReadBufSize", Integer.toString(SOCKET_READ_BUFFER));
            connector.setProperty("socket.appWriteBufSize", Integer.toString(SOCKET_WRITE_BUFFER));
            if (connector.getProtocolHandler() instanceof AbstractProtocol<?> protocol) {
                int wanted = settings.maxConnections() + 1000;
                if (protocol.getMaxConnections() >= 0 && protocol.getMaxConnections() < wanted) {
                    protocol.setMaxConnections(wanted);
                }
            }
        });
    }
}
