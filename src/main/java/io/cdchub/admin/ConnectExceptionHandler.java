package io.cdchub.admin;

import java.util.Map;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Errors of the Connect-style API in Kafka Connect's shape ({@code {"error_code":404,"message":"..."}}, which
 * Connect clients read), plus the fields of {@link ApiError} so one parser fits every cdc-hub endpoint.
 */
@RestControllerAdvice(assignableTypes = {ConnectController.class, ReSnapshotController.class})
@Order(Ordered.HIGHEST_PRECEDENCE)
public class ConnectExceptionHandler extends ApiExceptionHandler {

    @Override
    protected ResponseEntity<Object> error(HttpStatusCode status, String message, String field) {
        Map<String, Object> body = ConnectWorker.error(status.value(), message);
        if (field != null) {
            body.put("field", field);
        }
        return ResponseEntity.status(status).body(body);
    }
}
