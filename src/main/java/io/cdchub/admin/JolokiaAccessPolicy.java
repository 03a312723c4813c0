package io.cdchub.admin;

import java.util.List;
import java.util.Set;

import javax.management.ObjectName;

import org.jolokia.server.core.service.api.Restrictor;
import org.jolokia.server.core.util.HttpMethod;
import org.jolokia.server.core.util.RequestType;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Jolokia's access policy (a {@link Restrictor} bean, which Jolokia's Spring Boot support installs in place of
 * the allow-all default). Jolokia is read-only but for what Hawtio's Camel tab needs:
 * <ul>
 * <li>reads, lists, searches and the version: everything;</li>
 * <li>operations: on Camel's MBeans only the lifecycle ({@code start}, {@code stop}, {@code suspend}, {@code resume},
 * {@code restart}, {@code reset*}) and read-only ones ({@code get*}, {@code is*}, {@code dump*}, {@code browse*},
 * {@code explain*}, {@code count*}, {@code list*}); on Hawtio's own MBeans its permission queries. Never
 * {@code send*}/{@code request*} (which put messages into any endpoint), route or endpoint creation, the
 * debugger's expression evaluation, nor anything on the JVM's MBeans (heap dumps, diagnostic commands);</li>
 * <li>attribute writes: only Camel's tracer settings (Hawtio's trace view);</li>
 * <li>CORS: an {@code Origin} is echoed (with {@code Access-Control-Allow-Credentials}) only when listed in
 * {@code cdc.admin.allowed-origins}; the strict origin check (refusing other origins) is {@link AdminRequestGuard}'s,
 * which also knows the server's own origin.</li>
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(name = "org.jolokia.server.core.service.api.Restrictor")
public class JolokiaAccessPolicy {

    @Bean
    Restrictor jolokiaRestrictor(AdminProperties properties) {
        return new Policy(properties.allowedOrigins().stream().map(AdminRequestGuard::normalizedOrigin).toList());
    }

    static final class Policy implements Restrictor {

        private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JolokiaAccessPolicy.class);

        private static final Set<RequestType> TYPES = Set.of(RequestType.READ, RequestType.LIST, RequestType.SEARCH, RequestType.VERSION,
                RequestType.EXEC, RequestType.WRITE);
        private static final Set<String> CAMEL_LIFECYCLE = Set.of("start", "stop", "suspend", "resume", "restart");
        private static final List<String> CAMEL_READ_ONLY_PREFIXES = List.of("get", "is", "has", "dump", "browse", "explain", "count",
                "list", "reset");
        /** Read-only-looking names that are not: they evaluate, send or change. */
        private static final List<String> CAMEL_NEVER = List.of("send", "request", "add", "remove", "create", "evaluate", "set", "update",
                "purge", "shutdown");
        private static final List<String> HAWTIO_PREFIXES = List.of("canInvoke", "list", "get", "is");

        private final List<String> allowedOrigins;

        Policy(List<String> allowedOrigins) {
            this.allowedOrigins = allowedOrigins;
        }

        @Override
        public boolean isHttpMethodAllowed(HttpMethod method) {
            return true;
        }

        @Override
        public boolean isTypeAllowed(RequestType type) {
            return TYPES.contains(type);
        }

        @Override
        public boolean isAttributeReadAllowed(ObjectName name, String attribute) {
            return true;
        }

        @Override
        public boolean isAttributeWriteAllowed(ObjectName name, String attribute) {
            boolean allowed = "org.apache.camel".equals(name.getDomain()) && "tracer".equals(name.getKeyProperty("type"));
            if (!allowed) {
                LOG.warn("Jolokia refused writing {} of {} (read-only policy: io.cdchub.admin.JolokiaAccessPolicy)", attribute, name);
            }
            return allowed;
        }

        @Override
        public boolean isOperationAllowed(ObjectName name, String operation) {
            boolean allowed = operationAllowed(name.getDomain(), operation);
            if (!allowed) {
                LOG.warn("Jolokia refused operation {} on {} (read-only policy: io.cdchub.admin.JolokiaAccessPolicy)", operation, name);
            }
            return allowed;
        }

        static boolean operationAllowed(String domain, String operation) {
            String op = operation.contains("(") ? operation.substring(0, operation.indexOf('(')) : operation;
            if ("org.apache.camel".equals(domain)) {
                if (CAMEL_NEVER.stream().anyMatch(op::startsWith)) {
                    return false;
                }
                return CAMEL_LIFECYCLE.contains(op) || CAMEL_READ_ONLY_PREFIXES.stream().anyMatch(op::startsWith);
            }
            if ("hawtio".equals(domain)) {
                return HAWTIO_PREFIXES.stream().anyMatch(op::startsWith);
            }
            return false;
        }

        @Override
        public boolean isRemoteAccessAllowed(String... hostOrAddress) {
            return true; // who may call is the admin security chain's business
        }

        @Override
        public boolean isOriginAllowed(String origin, boolean onlyWhenStrictCheckingIsEnabled) {
            if (onlyWhenStrictCheckingIsEnabled) {
                return true; // AdminRequestGuard already refused foreign origins
            }
            return origin != null && allowedOrigins.contains(AdminRequestGuard.normalizedOrigin(origin));
        }

        @Override
        public boolean isObjectNameHidden(ObjectName name) {
            return false;
        }
    }
}
