package io.cdchub.source;

/**
 * A change (or one value inside it) that cannot be turned into a cdc-hub event without losing or
 * inventing data: an unknown logical type, a value whose Java type does not match its Connect schema,
 * a special value that JSON cannot express exactly, unparsable JSON text, or an event that is too large.
 * The message always says which field (or table) and why.
 */
public class UnconvertibleChangeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public UnconvertibleChangeException(String message) {
        super(message);
    }

    public UnconvertibleChangeException(String message, Throwable cause) {
        super(message, cause);
    }
}
