package io.cdchub.sink;

/**
 * The target cannot take the batch now (down, unreachable, overloaded, 5xx). The sink route retries the
 * whole batch with exponential back-off and commits nothing meanwhile; nothing is dead-lettered for it.
 */
public class SinkUnavailableException extends RuntimeException {

    public SinkUnavailableException(String message) {
        super(message);
    }

    public SinkUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
