package io.cdchub.gateway;

import java.util.concurrent.Executor;
import java.util.function.Consumer;

import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * An SSE client. A servlet response offers no asynchronous write here, so frames are written on a pool of their own
 * (one at a time per client, as for WebSocket) that has a thread for every write in flight: a slow SSE client holds
 * one of those threads, never the fan-out's nor another client's, and is closed when a write takes longer than
 * cdc.gateway.send-timeout.
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
        // completing waits for a write in progress: on the writers' pool, never the caller's thread
        try {
            writers.execute(() -> {
                try {
                    emitter.complete();
                } catch (RuntimeException e) {
                    // already gone
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // shutting down
        }
    }

    @Override
    public String transport() {
        return "sse";
    }
}
