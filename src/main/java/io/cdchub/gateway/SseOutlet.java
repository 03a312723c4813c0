package io.cdchub.gateway;

import java.util.concurrent.Executor;
import java.util.function.Consumer;

import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * An SSE client. A servlet response offers no asynchronous write here, so frames are written on a pool of their own
 * (one at a time per client, as for WebSocket): a slow SSE client holds one of those threads, never the fan-out's.
 * Change messages carry their position as the event {@code id}, which browsers send back as {@code Last-Event-ID}.
 */
final class SseOutlet implements Outlet {

    private final SseEmitter emitter;
    private final Executor writers;

    SseOutlet(SseEmitter emitter, Executor writers) {
        this.emitter = emitter;
        this.writers = writers;
    }

    @Override
    public void send(Frame frame, Consumer<Throwable> done) {
        writers.execute(() -> {
            try {
                switch (frame.kind()) {
                    case PING -> emitter.send(SseEmitter.event().comment("ping"));
                    case CHANGE -> emitter.send(SseEmitter.event().id(frame.position()).data(frame.text()));
                    default -> emitter.send(SseEmitter.event().data(frame.text()));
                }
                done.accept(null);
            } catch (Exception e) {
                done.accept(e);
            }
        });
    }

    @Override
    public void close(int code, String reason) {
        try {
            emitter.complete();
        } catch (RuntimeException e) {
            // already gone
        }
    }

    @Override
    public String transport() {
        return "sse";
    }
}
