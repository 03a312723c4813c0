package io.cdchub.connections;

/** The target refused the window's data (a constraint, a missing table or column, a 4xx): retrying cannot help. */
public class TargetRefusedException extends RuntimeException {

    public TargetRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
