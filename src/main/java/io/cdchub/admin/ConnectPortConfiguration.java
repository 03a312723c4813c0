package io.cdchub.admin;

import java.io.IOException;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.config.InvalidConfigurationException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.catalina.connector.Connector;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.security.SecurityProperties;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.context.ServletWebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Serves the Connect-style API on its own port ({@code cdc.admin.connect-port}, 8083 like a Connect worker) as a
 * second connector of the one embedded Tomcat, plus a filter that lets {@code /connectors} through only on that
 * port and nothing else there. One container and one Spring MVC context keep a single connector registry,
 * security chain and error handling for both APIs; a second application context (as Boot does for a separate
 * management port) would duplicate all of them for six endpoints. The extra connector follows the main one's
 * {@code server.address} and {@code server.ssl.*}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(name = "org.apache.catalina.startup.Tomcat")
public class ConnectPortConfiguration {

    /** Set once the server runs: the Connect-style API's actual port (useful with cdc.admin.connect-port=0). */
    public static final String LOCAL_PORT_PROPERTY = "local.cdc.admin.connect-port";

    /** The extra connector, once made; its local port is known after the server starts. */
    public static final class ConnectPort {
        private volatile Connector connector;

        public int localPort() {
            Connector c = connector;
            return c == null ? -1 : c.getLocalPort();
        }
    }

    @Bean
    ConnectPort connectPort() {
        return new ConnectPort();
    }

    /** Last, so the main connector's address and TLS are known (Boot's own customizers run at order 0). */
    @Bean
    @org.springframework.core.annotation.Order(org.springframework.core.Ordered.LOWEST_PRECEDENCE)
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> connectPortConnector(AdminProperties properties, ConnectPort port,
            org.springframework.core.env.Environment env) {
        return factory -> {
            if (properties.connectPort() < 0) {
                return;
            }
            int serverPort = env.getProperty("server.port", Integer.class, 8080);
            if (properties.connectPort() != 0 && properties.connectPort() == serverPort) {
                throw new InvalidConfigurationException("cdc.admin.connect-port", "must differ from server.port (" + serverPort + ")");
            }
            Connector connector = new Connector(TomcatServletWebServerFactory.DEFAULT_PROTOCOL);
            // the main connector's settings: server.address, server.ssl.* (and bundle reloads), compression, the
            // connector customizers; then its own port
            followMainConnector(factory, connector);
            connector.setPort(properties.connectPort());
            factory.addAdditionalTomcatConnectors(connector);
            port.connector = connector;
        };
    }

    /**
     * Applies to the extra connector what Spring Boot applies to the main one ({@code customizeConnector}: address,
     * TLS from {@code server.ssl.*} or its bundle, compression, connector customizers), so the Connect-style API, which
     * carries the same admin credentials, never listens in plaintext or on other interfaces than the rest.
     * Boot only offers this to subclasses of the factory; the factory here is Boot's own, hence the reflective call.
     */
    static void followMainConnector(TomcatServletWebServerFactory factory, Connector connector) {
        try {
            java.lang.reflect.Method customize = TomcatServletWebServerFactory.class.getDeclaredMethod("customizeConnector", Connector.class);
            customize.setAccessible(true);
            customize.invoke(factory, connector);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw new IllegalStateException("Cannot configure the Connect-style API's port like server.port: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Cannot configure the Connect-style API's port like server.port (Spring Boot changed): " + e, e);
        }
    }

    @Bean
    ApplicationListener<ServletWebServerInitializedEvent> connectPortPublisher(ConnectPort port, ConfigurableEnvironment env) {
        return event -> {
            if (port.localPort() > 0) {
                env.getPropertySources().addFirst(new MapPropertySource("cdcAdminConnectPort", Map.of(LOCAL_PORT_PROPERTY, port.localPort())));
                org.slf4j.LoggerFactory.getLogger(ConnectPortConfiguration.class).info("Connect-style API (/connectors) on port {}", port.localPort());
            }
        };
    }

    /** After the security chain, so the admin surface asks for credentials before it says anything else. */
    @Bean
    FilterRegistrationBean<ConnectPortFilter> connectPortFilter(ConnectPort port, AdminProperties properties, ObjectMapper mapper,
            org.springframework.beans.factory.ObjectProvider<ConnectWorker> worker) {
        FilterRegistrationBean<ConnectPortFilter> registration = new FilterRegistrationBean<>(new ConnectPortFilter(port, properties, mapper,
                worker));
        registration.setOrder(SecurityProperties.DEFAULT_FILTER_ORDER + 1);
        return registration;
    }

    /** Paths of the Connect-style API (besides GET / and /health): served on its port only. */
    static final java.util.List<String> CONNECT_PATHS = java.util.List.of("/connectors", "/connector-plugins");

    static final class ConnectPortFilter extends OncePerRequestFilter {
        private final ConnectPort port;
        private final AdminProperties properties;
        private final ObjectMapper mapper;
        private final org.springframework.beans.factory.ObjectProvider<ConnectWorker> worker;

        ConnectPortFilter(ConnectPort port, AdminProperties properties, ObjectMapper mapper,
                org.springframework.beans.factory.ObjectProvider<ConnectWorker> worker) {
            this.port = port;
            this.properties = properties;
            this.mapper = mapper;
            this.worker = worker;
        }

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            String path = request.getRequestURI().substring(request.getContextPath().length());
            boolean connectPath = CONNECT_PATHS.stream().anyMatch(prefix -> path.equals(prefix) || path.startsWith(prefix + "/"));
            boolean onConnectPort = port.localPort() > 0 && request.getLocalPort() == port.localPort();
            if (onConnectPort && "GET".equals(request.getMethod()) && (path.equals("/") || path.isEmpty() || path.equals("/health"))) {
                // Connect's root resource (tools call it to check they talk to a worker, and which Kafka cluster) and health
                ConnectWorker answers = worker.getIfAvailable();
                if (answers == null) {
                    write(response, 404, error(404, "the Connect-style API is not available"));
                    return;
                }
                ConnectWorker.Answer answer = path.equals("/health") ? answers.health() : answers.root();
                write(response, answer.status(), answer.body());
                return;
            }
            if (onConnectPort && !connectPath) {
                write(response, 404, error(404, "this port serves the Connect-style API only (/connectors, /connector-plugins)"));
                return;
            }
            if (!onConnectPort && connectPath) {
                write(response, 404, error(404, properties.connectPort() < 0
                        ? "the Connect-style API is turned off (cdc.admin.connect-port=-1)"
                        : "the Connect-style API is served on port " + port.localPort() + " (cdc.admin.connect-port)"));
                return;
            }
            chain.doFilter(request, response);
        }

        private static Map<String, Object> error(int status, String message) {
            return ConnectWorker.error(status, message);
        }

        private void write(HttpServletResponse response, int status, Object body) throws IOException {
            response.setStatus(status);
            response.setContentType(MediaType.APPLICATION_JSON_VALUE);
            mapper.writeValue(response.getOutputStream(), body);
        }
    }
}
