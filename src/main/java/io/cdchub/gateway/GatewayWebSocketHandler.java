package io.cdchub.gateway;

import jakarta.websocket.Session;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.SubProtocolCapable;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.adapter.NativeWebSocketSession;
import org.springframework.web.socket.handler.TextWebSocketHandler;

/** {@code /ws/stream}: one {@link ClientConnection} per WebSocket session; the token was checked at the handshake. */
final class GatewayWebSocketHandler extends TextWebSocketHandler implements SubProtocolCapable {

    static final String CONNECTION = "cdc.gateway.connection";
    /** the parts of a client message Tomcat handed over so far (only while one longer than its buffer arrives) */
    private static final String PARTIAL = "cdc.gateway.partial";

    private final GatewayHub hub;

    GatewayWebSocketHandler(GatewayHub hub) {
        this.hub = hub;
    }

    /** {@code cdc-hub}: chosen when a client offers it (with {@code bearer.<JWT>}, its token); clients offering none get none. */
    @Override
    public java.util.List<String> getSubProtocols() {
        return java.util.List.of(GatewayHandshakeInterceptor.SUBPROTOCOL);
    }

    @Override
    public void afterConnectionEstablished(WebSocketSession session) throws Exception {
        GatewayPrincipal principal = (GatewayPrincipal) session.getAttributes().get(GatewayHandshakeInterceptor.PRINCIPAL);
        Session nativeSession = ((NativeWebSocketSession) session).getNativeSession(Session.class);
        // Tomcat allocates a text buffer of this many characters per connection up front; longer client messages
        // arrive in parts (supportsPartialMessages), joined here up to cdc.gateway.max-message-size
        session.setTextMessageSizeLimit(GatewayConfiguration.TEXT_BUFFER);
        session.setBinaryMessageSizeLimit(GatewayConfiguration.BINARY_BUFFER);
        ClientConnection connection = hub.open(principal, new WebSocketOutlet(session, nativeSession,
                hub.settings().sendTimeout().toMillis(), hub.settings().idleTimeout().toMillis()));
        if (connection == null) {
            // the handshake's check raced with other clients: refused after all
            session.close(new CloseStatus(ClientConnection.TRY_AGAIN_LATER, "too many connections"));
            return;
        }
        session.getAttributes().put(CONNECTION, connection);
    }

    /** Client messages come in parts of Tomcat's small text buffer: see {@link #handleTextMessage}. */
    @Override
    public boolean supportsPartialMessages() {
        return true;
    }

    /** A client message, or a part of one: parts are joined (up to cdc.gateway.max-message-size, else 1009). */
    @Override
    protected void handleTextMessage(WebSocketSession session, TextMessage message) throws java.io.IOException {
        ClientConnection connection = (ClientConnection) session.getAttributes().get(CONNECTION);
        if (connection == null) {
            return;
        }
        StringBuilder partial = (StringBuilder) session.getAttributes().get(PARTIAL);
        if (partial == null && message.isLast()) {
            connection.handle(message.getPayload()); // the usual case: a whole short message
            return;
        }
        if (partial == null) {
            partial = new StringBuilder();
            session.getAttributes().put(PARTIAL, partial);
        }
        if (partial.length() + message.getPayload().length() > hub.settings().maxMessageSize()) {
            session.getAttributes().remove(PARTIAL);
            session.close(CloseStatus.TOO_BIG_TO_PROCESS.withReason("a message longer than cdc.gateway.max-message-size"));
            return;
        }
        partial.append(message.getPayload());
        if (message.isLast()) {
            session.getAttributes().remove(PARTIAL);
            connection.handle(partial.toString());
        }
    }

    @Override
    public void handleTransportError(WebSocketSession session, Throwable exception) {
        ClientConnection connection = (ClientConnection) session.getAttributes().get(CONNECTION);
        if (connection != null) {
            connection.closedByTransport();
        }
    }

    @Override
    public void afterConnectionClosed(WebSocketSession session, CloseStatus status) {
        ClientConnection connection = (ClientConnection) session.getAttributes().get(CONNECTION);
        if (connection != null) {
            connection.closedByTransport();
        }
    }
}
