package io.cdchub.admin;

import org.springframework.http.HttpStatus;

/**
 * A request the API refuses, with the HTTP status and, for bad input, the field at fault.
 * Thrown by every controller (admin, aggregation, ...) and turned into {@link ApiError} JSON by
 * {@link ApiExceptionHandler}, so all endpoints answer errors in one shape.
 */
public class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final String field;

    public ApiException(HttpStatus status, String field, String message) {
        super(message);
        this.status = status;
        this.field = field;
    }

    public static ApiException badRequest(String field, String message) {
        return new ApiException(HttpStatus.BAD_REQUEST, field, message);
    }

    public static ApiException unprocessable(String field, String message) {
        return new ApiException(HttpStatus.UNPROCESSABLE_ENTITY, field, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(HttpStatus.NOT_FOUND, null, message);
    }

    public static ApiException conflict(String message) {
        return new ApiException(HttpStatus.CONFLICT, null, message);
    }

    public HttpStatus status() {
        return status;
    }

    /** The request field (JSON property or query parameter) at fault, or null. */
    public String field() {
        return field;
    }
}
