package io.cdchub.admin;

import com.fasterxml.jackson.annotation.JsonInclude;

/** The JSON body of every API error: {@code {"status":400,"error":"Bad Request","message":"...","field":"max_event"}}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiError(int status, String error, String message, String field) {
}
