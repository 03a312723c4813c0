package io.cdchub.admin;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

/**
 * Turns every failure of an API request into {@link ApiError} JSON with the right status: bad input
 * is a 4xx naming the field, never a 500; only unexpected failures are 500s (logged, details not leaked).
 */
@RestControllerAdvice(basePackages = "io.cdchub")
public class ApiExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ApiExceptionHandler.class);

    @ExceptionHandler(ApiException.class)
    public ResponseEntity<Object> refused(ApiException e) {
        return error(e.status(), e.getMessage(), e.field());
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    public ResponseEntity<Object> unreadable(HttpMessageNotReadableException e) {
        if (e.getCause() instanceof MismatchedInputException mismatch && !mismatch.getPath().isEmpty()) {
            String field = mismatch.getPath().stream()
                    .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                    .reduce((a, b) -> b.startsWith("[") ? a + b : a + "." + b).orElse(null);
            String expected = mismatch instanceof InvalidFormatException invalid
                    ? "must be a " + invalid.getTargetType().getSimpleName().toLowerCase()
                    : "has the wrong type";
            return error(HttpStatus.BAD_REQUEST, field + " " + expected, field);
        }
        return error(HttpStatus.BAD_REQUEST, "request body is missing or not valid JSON", null);
    }

    @ExceptionHandler(MissingServletRequestParameterException.class)
    public ResponseEntity<Object> missingParameter(MissingServletRequestParameterException e) {
        return error(HttpStatus.BAD_REQUEST, "query parameter " + e.getParameterName() + " is required",
                e.getParameterName());
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    public ResponseEntity<Object> wrongType(MethodArgumentTypeMismatchException e) {
        return error(HttpStatus.BAD_REQUEST, e.getName() + " has the wrong type", e.getName());
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    public ResponseEntity<Object> wrongMethod(HttpRequestMethodNotSupportedException e) {
        return error(HttpStatus.METHOD_NOT_ALLOWED, e.getMessage(), null);
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    public ResponseEntity<Object> wrongMediaType(HttpMediaTypeNotSupportedException e) {
        return error(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "send application/json", null);
    }

    @ExceptionHandler(NoResourceFoundException.class)
    public ResponseEntity<Object> noSuchPath(NoResourceFoundException e) {
        return error(HttpStatus.NOT_FOUND, "no such path: /" + e.getResourcePath(), null);
    }

    @ExceptionHandler(Exception.class)
    public ResponseEntity<Object> unexpected(Exception e) {
        LOG.error("API request failed", e);
        return error(HttpStatus.INTERNAL_SERVER_ERROR, "internal error: " + e.getClass().getSimpleName(), null);
    }

    @ExceptionHandler(ConnectorStore.StoreUnavailableException.class)
    public ResponseEntity<Object> storeUnavailable(ConnectorStore.StoreUnavailableException e) {
        return error(HttpStatus.SERVICE_UNAVAILABLE, e.getMessage(), null);
    }

    /** The error body; the Connect-style API overrides it with Connect's shape. */
    protected ResponseEntity<Object> error(HttpStatusCode status, String message, String field) {
        HttpStatus known = HttpStatus.resolve(status.value());
        String reason = known != null ? known.getReasonPhrase() : String.valueOf(status.value());
        return ResponseEntity.status(status).body(new ApiError(status.value(), reason, message, field));
    }
}
