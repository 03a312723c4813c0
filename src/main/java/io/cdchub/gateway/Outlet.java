package io.cdchub.gateway;

import java.util.function.Consumer;

/** How frames reach one client (a WebSocket session or an SSE stream). Sends never block the caller's thread for long. */
interface Outlet {

    /** Writes one frame; {@code done} gets null on success or the failure, possibly on another thread. */
    void send(Frame frame, Consumer<Throwable> done);

    /** Ends the connection (WebSocket close code, or the SSE stream's end). */
    void close(int code, String reason);

    /** websocket or sse */
    String transport();

    /**
     * One frame in a connection's queue.
     *
     * @param text     the JSON text
     * @param position the change's position (SSE {@code id:}), null for control frames
     * @param commitMs the change's commit time for the latency histogram, 0 for control frames
     * @param kind     what it is
     * @param closeCode for {@link Kind#LAST}: the close code that follows it
     */
    record Frame(String text, String position, long commitMs, Kind kind, int closeCode) {

        /** What the frame counts against cdc.gateway.max-queued-bytes: its characters (JSON is mostly ASCII: about its bytes). */
        int size() {
            return text == null ? 0 : text.length();
        }

        static Frame change(String text, String position, long commitMs) {
            return new Frame(text, position, commitMs, Kind.CHANGE, 0);
        }

        static Frame control(String text) {
            return new Frame(text, null, 0, Kind.CONTROL, 0);
        }

        static Frame ping() {
            return new Frame(null, null, 0, Kind.PING, 0);
        }

        /** The last frame: the connection is closed with {@code closeCode} once it is written. */
        static Frame last(String text, int closeCode) {
            return new Frame(text, null, 0, Kind.LAST, closeCode);
        }
    }

    enum Kind { CHANGE, CONTROL, PING, LAST }
}
