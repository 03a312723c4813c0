package io.cdchub.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.server.HandshakeInterceptor;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * The WebSocket handshake's checks, before any upgrade: a valid token (HTTP 401 otherwise) and room for another
 * connection (HTTP 503 with Retry-After otherwise).
 */
final class GatewayHandshakeInterceptor implements HandshakeInterceptor {

    static final String PRINCIPAL = "cdc.gateway.principal";

    /** the subprotocol the gateway speaks; a browser offers it with {@code bearer.<JWT>} to send its token in a header */
    static final String SUBPROTOCOL = "cdc-hub";
    static final String BEARER_SUBPROTOCOL = "bearer.";

    private final TokenVerifier verifier;
    private final GatewayHub hub;
    private final GatewayOrigins origins;

    GatewayHandshakeInterceptor(TokenVerifier verifier, GatewayHub hub) {
        this.verifier = verifier;
        this.hub = hub;
        this.origins = new GatewayOrigins(hub.settings());
    }

    @Override
    public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler, Map<String, Object> attributes)
            throws IOException {
        if (!origins.allows(request)) {
            hub.metrics().refusedUnauthorized();
            refuse(response, HttpStatus.FORBIDDEN, "this origin may not connect (cdc.gateway.allowed-origins)");
            return false;
        }
        String token = token(UriComponentsBuilder.fromUri(request.getURI()).build().getQueryParams().getFirst("token"),
                request.getHeaders().getFirst(HttpHeaders.AUTHORIZATION));
        if (token == null) {
            token = subprotocolToken(request.getHeaders().get(org.springframework.web.socket.WebSocketHttpHeaders.SEC_WEBSOCKET_PROTOCOL));
        }
        try {
            attributes.put(PRINCIPAL, verifier.verify(token));
        } catch (TokenVerifier.AuthenticationException e) {
            hub.metrics().refusedUnauthorized();
            response.getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"");
            refuse(response, HttpStatus.UNAUTHORIZED, e.getMessage());
            return false;
        }
        GatewayPrincipal principal = (GatewayPrincipal) attributes.get(PRINCIPAL);
        if (hub.fullFor(principal)) {
            hub.metrics().refusedLimit();
            response.getHeaders().set(HttpHeaders.RETRY_AFTER, "5");
            refuse(response, HttpStatus.TOO_MANY_REQUESTS, "this token's subject has its maximum of " + hub.settings().maxConnectionsPerSubject()
                    + " connections (cdc.gateway.max-connections-per-subject)");
            return false;
        }
        if (hub.full()) {
            hub.metrics().refusedLimit();
            response.getHeaders().set(HttpHeaders.RETRY_AFTER, "5");
            refuse(response, HttpStatus.SERVICE_UNAVAILABLE, "the gateway has its maximum of " + hub.settings().maxConnections()
                    + " connections (cdc.gateway.max-connections); try again later");
            return false;
        }
        return true;
    }

    @Override
    public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler, Exception exception) {
    }

    /** The token from {@code ?token=} or {@code Authorization: Bearer}. */
    static String token(String queryToken, String authorization) {
        if (queryToken != null && !queryToken.isBlank()) {
            return queryToken;
        }
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return authorization.substring(7).trim();
        }
        return null;
    }

    /**
     * The token a browser sent as a WebSocket subprotocol ({@code new WebSocket(url, ['cdc-hub', 'bearer.' + jwt])}):
     * a header, so it does not end up in URLs that proxies log; null when there is none.
     */
    static String subprotocolToken(java.util.List<String> protocolHeaders) {
        if (protocolHeaders == null) {
            return null;
        }
        for (String header : protocolHeaders) {
            for (String protocol : header.split(",")) {
                String p = protocol.trim();
                if (p.regionMatches(true, 0, BEARER_SUBPROTOCOL, 0, BEARER_SUBPROTOCOL.length()) && p.length() > BEARER_SUBPROTOCOL.length()) {
                    return p.substring(BEARER_SUBPROTOCOL.length());
                }
            }
        }
        return null;
    }

    /** The same JSON error shape as the HTTP API ({"status","error","message"}). */
    static void refuse(ServerHttpResponse response, HttpStatus status, String message) throws IOException {
        response.setStatusCode(status);
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        String body = GatewayRecord.JSON.createObjectNode().put("status", status.value()).put("error", status.getReasonPhrase())
                .put("message", message).toString();
        response.getBody().write(body.getBytes(StandardCharsets.UTF_8));
    }
}
