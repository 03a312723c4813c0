package io.cdchub.gateway;

import java.util.List;

import org.springframework.http.server.ServerHttpRequest;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.util.WebUtils;

/**
 * Which browser pages may open a stream ({@code cdc.gateway.allowed-origins}). Requests without an {@code Origin}
 * header (not a browser) are not affected. With origins listed, only those (patterns such as
 * {@code https://*.example.com}); with none, any origin when clients need a token (a bearer token, never a cookie: a
 * foreign page gains nothing), but only the gateway's own origin with allow-anonymous, where a foreign page would
 * otherwise read every topic through the visitor's browser.
 */
final class GatewayOrigins {

    private final CorsConfiguration allowed;
    private final boolean anyOrigin;

    GatewayOrigins(GatewayProperties settings) {
        List<String> origins = settings.allowedOrigins();
        allowed = new CorsConfiguration();
        allowed.setAllowedOriginPatterns(origins);
        anyOrigin = origins.isEmpty() && !settings.allowAnonymous();
    }

    boolean allows(ServerHttpRequest request) {
        String origin = request.getHeaders().getOrigin();
        if (origin == null || anyOrigin || WebUtils.isSameOrigin(request)) {
            return true;
        }
        return allowed.checkOrigin(origin) != null;
    }
}
