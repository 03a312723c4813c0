package io.cdchub.csvimport;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Infers the column types of a table the import creates from a sample of its rows: the narrowest type that every
 * non-empty sampled value of a column fits, in the forms PostgreSQL reads unambiguously (ISO dates and times, '.'
 * decimals). A value past the sample that does not fit fails the file at its line, with PostgreSQL's reason.
 */
final class ColumnTypes {

    /** Column types the import creates, narrowest first: a column gets the first one all its values fit. */
    enum SqlType {
        BOOLEAN("boolean"), INTEGER("integer"), BIGINT("bigint"), NUMERIC("numeric"), DATE("date"), TIMESTAMP("timestamp"),
        TIMESTAMPTZ("timestamptz"), TEXT("text");

        final String sql;

        SqlType(String sql) {
            this.sql = sql;
        }

        int bit() {
            return 1 << ordinal();
        }
    }

    private static final int ANY = (1 << SqlType.values().length) - 1;
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d{1,19}");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d{1,3})?");
    private static final Pattern DATE = Pattern.compile("(\\d{4})-(\\d{2})-(\\d{2})");
    private static final Pattern TIMESTAMP = Pattern.compile(
            "(\\d{4}-\\d{2}-\\d{2})[ T](\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.\\d{1,9})?)?\\s*(Z|[+-]\\d{2}(?::?\\d{2})?)?", Pattern.CASE_INSENSITIVE);
    /** Boolean words PostgreSQL reads; 0 and 1 are left to the integers. */
    private static final Set<String> BOOLEANS = Set.of("true", "false", "t", "f", "yes", "no", "y", "n", "on", "off");

    private final int[] candidates;

    ColumnTypes(int columns) {
        candidates = new int[columns];
        java.util.Arrays.fill(candidates, ANY);
    }

    /** Narrows the columns' types by one sampled row; missing trailing fields and empty ones (NULL) say nothing. */
    void add(List<String> row) {
        for (int i = 0; i < Math.min(row.size(), candidates.length); i++) {
            String value = row.get(i);
            if (value != null && !value.isBlank()) {
                candidates[i] &= fits(value.strip());
            }
        }
    }

    /** The inferred type of each column; text where nothing narrower fits or no value was seen. */
    List<SqlType> types() {
        List<SqlType> types = new ArrayList<>(candidates.length);
        for (int mask : candidates) {
            types.add(mask == ANY ? SqlType.TEXT : narrowest(mask));
        }
        return types;
    }

    private static SqlType narrowest(int mask) {
        for (SqlType type : SqlType.values()) {
            if ((mask & type.bit()) != 0) {
                return type;
            }
        }
        return SqlType.TEXT;
    }

    /** The types one value fits, as a bit set of {@link SqlType#bit()}. */
    static int fits(String value) {
        int mask = SqlType.TEXT.bit();
        if (BOOLEANS.contains(value.toLowerCase(Locale.ROOT))) {
            return mask | SqlType.BOOLEAN.bit();
        }
        if (INTEGER.matcher(value).matches()) {
            java.math.BigInteger n = new java.math.BigInteger(value);
            mask |= SqlType.NUMERIC.bit();
            if (n.bitLength() < 64) {
                mask |= SqlType.BIGINT.bit();
            }
            if (n.bitLength() < 32) {
                mask |= SqlType.INTEGER.bit();
            }
            return mask;
        }
        if (DECIMAL.matcher(value).matches()) {
            return mask | SqlType.NUMERIC.bit();
        }
        Matcher date = DATE.matcher(value);
        if (date.matches()) {
            return validDate(value) ? mask | SqlType.DATE.bit() | SqlType.TIMESTAMP.bit() | SqlType.TIMESTAMPTZ.bit() : mask;
        }
        Matcher timestamp = TIMESTAMP.matcher(value);
        if (timestamp.matches() && validDate(timestamp.group(1)) && validTime(timestamp.group(2), timestamp.group(3), timestamp.group(4))) {
            // a time without offset is read in the session's zone when the column is timestamptz
            return mask | SqlType.TIMESTAMPTZ.bit() | (timestamp.group(5) == null ? SqlType.TIMESTAMP.bit() : 0);
        }
        return mask;
    }

    private static boolean validDate(String iso) {
        try {
            LocalDate.parse(iso);
            return true;
        } catch (DateTimeException e) {
            return false;
        }
    }

    private static boolean validTime(String hour, String minute, String second) {
        try {
            LocalTime.of(Integer.parseInt(hour), Integer.parseInt(minute), second == null ? 0 : Integer.parseInt(second));
            return true;
        } catch (DateTimeException e) {
            return false;
        }
    }
}
