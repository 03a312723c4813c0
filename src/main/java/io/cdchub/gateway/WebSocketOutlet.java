package io.cdchub.gateway;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

import jakarta.websocket.Session;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.WebSocketSession;

/**
 * A WebSocket client. Frames go out through the JSR-356 session's asynchronous remote (Tomcat writes them without
 * holding a thread while the client's socket is full); Spring's {@code WebSocketSession.sendMessage} would block.
 */
final class WebSocketOutlet implements Outlet {

    private final WebSocketSession session;
    private final Session nativeSession;

    WebSocketOutlet(WebSocketSession session, Session nativeSession, long sendTimeoutMs, long idleTimeoutMs) {
        this.session = session;
        this.nativeSession = nativeSession;
        nativeSession.getAsyncRemote().setSendTimeout(sendTimeoutMs);
        // Tomcat's own session settings: pings and closes (blocking writes) wait at most the send timeout; a client
        // that has not sent anything (pongs included) for the idle timeout is closed
        nativeSession.getUserProperties().put("org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT", sendTimeoutMs);
        nativeSession.getUserProperties().put("org.apache.tomcat.websocket.READ_IDLE_TIMEOUT_MS", idleTimeoutMs);
    }

    @Override
    public void send(Frame frame, Consumer<Throwable> done) {
        if (frame.kind() == Kind.PING) {
            // only sent when nothing else is being written, so it does not wait behind a slow frame
            try {
                nativeSession.getAsyncRemote().sendPing(ByteBuffer.allocate(0));
                done.accept(null);
            } catch (IOException | RuntimeException e) {
                done.accept(e);
            }
            return;
        }
        nativeSession.getAsyncRemote().sendText(frame.text(), result -> done.accept(result.isOK() ? null : result.getException()));
    }

    @Override
    public void close(int code, String reason) {
        try {
            session.close(new CloseStatus(code, reason));
        } catch (IOException e) {
            // already gone
        }
    }

    @Override
    public String transport() {
        return "websocket";
    }
}
