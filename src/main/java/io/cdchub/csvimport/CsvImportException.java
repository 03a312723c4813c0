package io.cdchub.csvimport;

/** A file that cannot be loaded, with the line it failed on (0 when no line is to blame) and the reason. */
public class CsvImportException extends RuntimeException {

    private final long line;

    public CsvImportException(long line, String reason) {
        super(reason);
        this.line = line;
    }

    public CsvImportException(long line, String reason, Throwable cause) {
        super(reason, cause);
        this.line = line;
    }

    /** The file's line (1 is the first), or 0 when the failure is not a line's. */
    public long line() {
        return line;
    }
}
