package io.cdchub.sink.clickhouse;

import java.util.Set;

/**
 * ClickHouse refused a request. {@link #isDataError()} tells a problem with the rows sent (which a retry
 * cannot fix, so the rows are dead-lettered) from anything else.
 */
public class ClickHouseException extends RuntimeException {

    /**
     * Error codes that mean "this data cannot go into this table": parse failures, type mismatches, values
     * out of range (ClickHouse's ErrorCodes.cpp; stable across versions). Every other code is about the server, the
     * table or the request (authentication 192-194/516, access 497, read-only 164, missing database or table 81/60,
     * a body cut short 32/33, limits): the target is unavailable, retried without end, never dead-lettered.
     */
    private static final Set<Integer> DATA_ERRORS = Set.of(
            6, // CANNOT_PARSE_TEXT
            25, // CANNOT_PARSE_ESCAPE_SEQUENCE
            26, // CANNOT_PARSE_QUOTED_STRING
            27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
            28, // CANNOT_PRINT_FLOAT_OR_DOUBLE_NUMBER / array text
            // not 32 (ATTEMPT_TO_READ_AFTER_EOF) nor 33 (CANNOT_READ_ALL_DATA): the request's body ended early (a
            // connection or a proxy cut it), which says nothing about its rows: sent again whole, they go in
            38, // CANNOT_PARSE_DATE
            41, // CANNOT_PARSE_DATETIME
            53, // TYPE_MISMATCH
            69, // ARGUMENT_OUT_OF_BOUND
            70, // CANNOT_CONVERT_TYPE
            72, // CANNOT_PARSE_NUMBER
            117, // INCORRECT_DATA
            131, // TOO_LARGE_STRING_SIZE
            190, // SIZES_OF_ARRAYS_DOESNT_MATCH
            321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
            349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
            376, // CANNOT_PARSE_UUID
            407, // DECIMAL_OVERFLOW
            691); // UNKNOWN_ELEMENT_OF_ENUM

    /** The table or a column is gone or not there yet: re-read the table's structure and try again. */
    private static final Set<Integer> SCHEMA_ERRORS = Set.of(16, 47, 60); // NO_SUCH_COLUMN_IN_TABLE, UNKNOWN_IDENTIFIER, UNKNOWN_TABLE

    private final int status;
    private final int code;

    public ClickHouseException(int status, int code, String message) {
        super("ClickHouse answered " + status + (code > 0 ? " (code " + code + ")" : "") + ": " + message);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public int code() {
        return code;
    }

    public boolean isDataError() {
        return DATA_ERRORS.contains(code);
    }

    public boolean isSchemaError() {
        return SCHEMA_ERRORS.contains(code);
    }

    /** Reads "Code: 27, e.displayText() = ..." (all versions) when the X-ClickHouse-Exception-Code header is absent (before 19.x). */
    static int codeOf(String headerValue, String body) {
        if (headerValue != null && !headerValue.isBlank()) {
            try {
                return Integer.parseInt(headerValue.trim());
            } catch (NumberFormatException e) {
                // fall through to the body
            }
        }
        if (body != null) {
            var m = java.util.regex.Pattern.compile("Code: (\\d+)").matcher(body);
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
        }
        return -1;
    }
}
