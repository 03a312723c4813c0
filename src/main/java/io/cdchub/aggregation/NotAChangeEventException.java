package io.cdchub.aggregation;

/** A record on a consumer's topic that is not a Debezium change event with a key and an LSN: it is dead-lettered. */
public class NotAChangeEventException extends RuntimeException {

    public NotAChangeEventException(String message) {
        super(message);
    }
}
