package io.cdchub.sink;

/**
 * One record a sink can never write (malformed, or a value the target refuses). It is dead-lettered on its
 * own with this message as the reason; the rest of its batch is written.
 */
public class RejectedRecordException extends RuntimeException {

    public RejectedRecordException(String message) {
        super(message);
    }

    public RejectedRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
