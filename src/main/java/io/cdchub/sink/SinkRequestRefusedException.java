package io.cdchub.sink;

/**
 * The target refused a whole request for its content (a ClickHouse insert with one bad row, an Elasticsearch bulk request
 * answered 400 or 413). The runner halves the request until each refused record is alone and dead-letters it with this
 * message; the other records are written.
 */
public class SinkRequestRefusedException extends RuntimeException {

    public SinkRequestRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
