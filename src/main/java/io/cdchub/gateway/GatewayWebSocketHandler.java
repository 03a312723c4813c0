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
        session.setTextMessageSizeLimit(hub.settings().maxMessageSize());
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

    @Override
    protected void handleTextMessage(WebSocketSession session, TextMessage message) {
        ClientConnection connection = (ClientConnection) session.getAttributes().get(CONNECTION);
        if (connection != null) {
            connection.handle(message.getPayload());
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
