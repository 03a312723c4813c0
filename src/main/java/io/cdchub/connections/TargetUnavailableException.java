package io.cdchub.connections;

/** The target cannot be reached or is busy right now: the run is retried with back-off and its window kept. */
public class TargetUnavailableException extends RuntimeException {

    public TargetUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
