package io.cdchub.connections;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Table and column names that come from configuration or from change events, validated and quoted before they
 * go into SQL (values never do: they are bound parameters). A name is 1-63 letters, digits, '_' or '$', not
 * starting with a digit or '$': every PostgreSQL/MariaDB identifier Debezium captures in practice, and nothing that
 * could close a quote.
 */
public final class SqlNames {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}");

    private SqlNames() {
    }

    public static String check(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + name + "' is not an accepted SQL name (1-63 letters, digits, '_' or '$', "
                    + "not starting with a digit or '$')");
        }
        return name;
    }

    /** [schema, table] of "table" or "schema.table", each part checked. */
    public static List<String> qualified(String name) {
        if (name == null) {
            throw new IllegalArgumentException("a table name is required");
        }
        String[] parts = name.split("\\.", -1);
        if (parts.length > 2) {
            throw new IllegalArgumentException("'" + name + "' must be table or schema.table");
        }
        for (String part : parts) {
            check(part);
        }
        return List.of(parts);
    }

    /** Quotes a checked name for the dialect. */
    public static String quote(String name, ConnectionsProperties.Kind kind) {
        check(name);
        return kind == ConnectionsProperties.Kind.MARIADB ? "`" + name + "`" : "\"" + name + "\"";
    }

    public static String quoteQualified(String name, ConnectionsProperties.Kind kind) {
        return String.join(".", qualified(name).stream().map(part -> quote(part, kind)).toList());
    }

    /**
     * A PostgreSQL identifier of any characters, quoted with its quotes doubled: for names {@link #check} would refuse
     * but that are valid in PostgreSQL and were checked by their caller (a CSV header, a table found in the catalog).
     */
    public static String quotePostgres(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }
}
