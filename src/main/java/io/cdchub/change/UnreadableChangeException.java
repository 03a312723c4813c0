package io.cdchub.change;

/** A change record whose value is not a JSON object ({@link ChangeEvent#read}). */
public class UnreadableChangeException extends IllegalArgumentException {

    public UnreadableChangeException(String message) {
        super(message);
    }

    public UnreadableChangeException(String message, Throwable cause) {
        super(message, cause);
    }
}
