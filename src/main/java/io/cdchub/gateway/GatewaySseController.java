package io.cdchub.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.AsyncRequestNotUsableException;
import org.springframework.web.context.request.async.AsyncRequestTimeoutException;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * {@code GET /sse/stream?topics=a,b}: the same stream as WebSocket over Server-Sent Events, for clients that only
 * read. Same token ({@code ?token=} or {@code Authorization: Bearer}), filters as query parameters
 * ({@code filter.status=paid,shipped}, {@code ops=c,u}), resume with {@code Last-Event-ID} (or {@code ?lastEventId=}).
 * Refusals are answered before the stream starts: 401, 403 (forbidden topic), 404 (unknown topic), 400, 503.
 */
@RestController
@ConditionalOnProperty(name = "cdc.gateway.enabled", havingValue = "true")
class GatewaySseController implements AutoCloseable {

    private final GatewayHub hub;
    private final TokenVerifier verifier;
    private final ExecutorService writers;
    private final GatewayOrigins origins;

    GatewaySseController(GatewayHub hub, TokenVerifier verifier) {
        this.hub = hub;
        this.verifier = verifier;
        this.origins = new GatewayOrigins(hub.settings());
        AtomicInteger n = new AtomicInteger();
        // a servlet response offers only blocking writes here: each SSE client has at most one write (or close) in
        // flight, and gets a thread for it, so clients whose sockets are full never hold up the others' writes; a
        // write not done within cdc.gateway.send-timeout closes its client (GatewayHub's watchdog). Idle threads end.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(0, Math.max(64, hub.settings().maxConnections() * 2), 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "cdc-gateway-sse-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        writers = pool;
    }

    @GetMapping(path = "/sse/stream", produces = {MediaType.TEXT_EVENT_STREAM_VALUE, MediaType.APPLICATION_JSON_VALUE})
    SseEmitter stream(@RequestParam(name = "topics", required = false) String topics,
            @RequestParam(name = "ops", required = false) String ops,
            @RequestParam(name = "token", required = false) String token,
            @RequestParam(name = "lastEventId", required = false) String lastEventIdParam,
            @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String authorization,
            @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId,
            @RequestParam Map<String, String> parameters, HttpServletResponse response) throws IOException {
        if (!originAllowed()) {
            hub.metrics().refusedUnauthorized();
            return refuse(response, HttpStatus.FORBIDDEN, "this origin may not connect (cdc.gateway.allowed-origins)");
        }
        GatewayPrincipal principal;
        try {
            principal = verifier.verify(GatewayHandshakeInterceptor.token(token, authorization));
        } catch (TokenVerifier.AuthenticationException e) {
            hub.metrics().refusedUnauthorized();
            response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"");
            return refuse(response, HttpStatus.UNAUTHORIZED, e.getMessage());
        }
        if (topics == null || topics.isBlank()) {
            return refuse(response, HttpStatus.BAD_REQUEST, "topics is required: /sse/stream?topics=a,b");
        }
        if (hub.fullFor(principal)) {
            hub.metrics().refusedLimit();
            response.setHeader(HttpHeaders.RETRY_AFTER, "5");
            return refuse(response, HttpStatus.TOO_MANY_REQUESTS, "this token's subject has its maximum of "
                    + hub.settings().maxConnectionsPerSubject() + " connections (cdc.gateway.max-connections-per-subject)");
        }
        SseEmitter emitter = new SseEmitter(0L); // no timeout: the stream lasts as long as the client stays
        ClientConnection connection = hub.open(principal, new SseOutlet(emitter, writers));
        if (connection == null) {
            response.setHeader(HttpHeaders.RETRY_AFTER, "5");
            return refuse(response, HttpStatus.SERVICE_UNAVAILABLE, "the gateway has its maximum of " + hub.settings().maxConnections()
                    + " connections (cdc.gateway.max-connections); try again later");
        }
        emitter.onCompletion(connection::closedByTransport);
        emitter.onError(e -> connection.closedByTransport());
        emitter.onTimeout(connection::closedByTransport);
        try {
            String resume = lastEventId != null && !lastEventId.isBlank() ? lastEventId : lastEventIdParam;
            connection.subscribe(split(topics), filter(ops, parameters),
                    resume == null || resume.isBlank() ? null : hub.positions().decode(resume));
        } catch (ProtocolException e) {
            connection.closedByTransport();
            HttpStatus status = switch (e.code()) {
                case "unknown-topic" -> HttpStatus.NOT_FOUND;
                case "forbidden-or-unknown" -> HttpStatus.FORBIDDEN;
                case "unavailable" -> HttpStatus.SERVICE_UNAVAILABLE;
                case "rate-limited", "too-many-catch-ups" -> HttpStatus.TOO_MANY_REQUESTS;
                default -> HttpStatus.BAD_REQUEST;
            };
            return refuse(response, status, e.getMessage());
        } catch (RuntimeException e) {
            // whatever failed, the connection must not stay counted (max-connections, per subject, the gauges)
            connection.closedByTransport();
            throw e;
        }
        return emitter;
    }

    /** A client that went away mid-stream is the normal end of an SSE stream, not an API failure to report. */
    @ExceptionHandler({AsyncRequestNotUsableException.class, AsyncRequestTimeoutException.class})
    void clientGone() {
        // nothing to answer: the response is gone
    }

    /** The Origin check for the current request (none outside a request, e.g. when called directly). */
    private boolean originAllowed() {
        if (org.springframework.web.context.request.RequestContextHolder.getRequestAttributes()
                instanceof org.springframework.web.context.request.ServletRequestAttributes attributes) {
            return origins.allows(new org.springframework.http.server.ServletServerHttpRequest(attributes.getRequest()));
        }
        return true;
    }

    private static ChangeFilter filter(String ops, Map<String, String> parameters) {
        ObjectNode filter = GatewayRecord.JSON.createObjectNode();
        parameters.forEach((name, value) -> {
            if (name.startsWith("filter.") && name.length() > "filter.".length()) {
                ArrayNode values = filter.putArray(name.substring("filter.".length()));
                split(value).forEach(values::add);
            }
        });
        ArrayNode operations = null;
        if (ops != null && !ops.isBlank()) {
            operations = GatewayRecord.JSON.createArrayNode();
            split(ops).forEach(operations::add);
        }
        return ChangeFilter.fromJson(filter, operations);
    }

    private static List<String> split(String list) {
        List<String> values = new ArrayList<>();
        Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(values::add);
        return values;
    }

    private static SseEmitter refuse(HttpServletResponse response, HttpStatus status, String message) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status.value());
        body.put("error", status.getReasonPhrase());
        body.put("message", message);
        response.setStatus(status.value());
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        response.getOutputStream().write(GatewayRecord.JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8));
        response.flushBuffer();
        return null;
    }

    @Override
    public void close() {
        writers.shutdownNow();
    }
}
