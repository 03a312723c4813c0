package io.cdchub.aggregation;

/** Another instance holds the consumer's run lock: this window's run is tried again later (it may be done by then). */
public class WindowBusyException extends RuntimeException {

    public WindowBusyException(String message) {
        super(message);
    }
}
