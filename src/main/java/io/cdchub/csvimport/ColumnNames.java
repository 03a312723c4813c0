package io.cdchub.csvimport;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Column names from a header row: what the import accepts as a name, and how a name is written into SQL. Letters of
 * any alphabet are kept (a header may read {@code imię}); every name is quoted wherever it appears in a statement.
 */
final class ColumnNames {

    private static final Pattern NAME = Pattern.compile("[\\p{L}_][\\p{L}\\p{N}_]*");
    private static final int MAX_BYTES = 63; // PostgreSQL's NAMEDATALEN - 1

    private ColumnNames() {
    }

    /** The header field as a column name (trimmed, lower-case, '-', '.' and spaces as '_'), or "" when it cannot be one. */
    static String normalize(String headerField) {
        String name = headerField == null ? "" : headerField.strip().toLowerCase(Locale.ROOT).replaceAll("[-. ]+", "_");
        boolean valid = NAME.matcher(name).matches() && name.getBytes(StandardCharsets.UTF_8).length <= MAX_BYTES;
        return valid ? name : "";
    }

    /**
     * The columns a header names. For an existing table ({@code existing} not empty) a field naming a column exactly is
     * that column, otherwise its normalized form is. Fails on an empty, invalid or repeated name.
     */
    static List<String> fromHeader(List<String> header, Map<String, String> existing) {
        List<String> columns = new ArrayList<>(header.size());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < header.size(); i++) {
            String field = header.get(i) == null ? "" : header.get(i).strip();
            String column = existing.containsKey(field) ? field : normalize(field);
            if (column.isEmpty()) {
                throw new CsvImportException(1, "header column " + (i + 1) + " '" + field + "' is not a valid column name"
                        + " (letters, digits and '_', starting with a letter or '_', at most 63 bytes)");
            }
            if (!seen.add(column)) {
                throw new CsvImportException(1, "header names column '" + column + "' twice");
            }
            columns.add(column);
        }
        return columns;
    }

    /** A validated name as an SQL identifier. */
    static String quote(String name) {
        return io.cdchub.connections.SqlNames.quotePostgres(name);
    }

    /** Names as a quoted, comma-separated list. */
    static String quoteAll(List<String> names) {
        return String.join(", ", names.stream().map(ColumnNames::quote).toList());
    }
}
