package io.cdchub.csvimport;

/** PostgreSQL could not be reached: the file is not to blame and is tried again (route configuration csv-import). */
public class DatabaseUnavailableException extends RuntimeException {

    public DatabaseUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
