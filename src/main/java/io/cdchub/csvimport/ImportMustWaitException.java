package io.cdchub.csvimport;

/**
 * The file is not to blame and is tried again later, staying where it is (route configuration csv-import): PostgreSQL
 * cannot be reached, or the source of this instance has not created its publication yet.
 */
public class ImportMustWaitException extends RuntimeException {

    public ImportMustWaitException(String message, Throwable cause) {
        super(message, cause);
    }
}
