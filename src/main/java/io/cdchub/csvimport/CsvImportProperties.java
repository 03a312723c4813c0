package io.cdchub.csvimport;

import java.nio.charset.Charset;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import io.cdchub.config.InvalidConfigurationException;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The CSV import ({@code cdc.import.csv.*}): files dropped in a folder are loaded into PostgreSQL tables with
 * {@code COPY}, one transaction per file (README "CSV import"). Off while {@code dir} is unset.
 *
 * @param dir             folder watched for {@code *.csv}; unset or empty turns the import off
 * @param schema          schema of the tables the files load into
 * @param tablePrefix     put before every table name made from a file name ({@code klienci.csv} -> {@code <prefix>klienci})
 * @param mode            insert (every row added) or upsert (rows replace those with the same primary key)
 * @param header          the first line names the columns
 * @param delimiter       one character between fields
 * @param quote           one character around fields holding the delimiter, the quote or a line break
 * @param escape          one character before a quote inside a quoted field; empty: the quote itself (doubled quotes)
 * @param encoding        the files' character set (Java name: UTF-8, windows-1250, ISO-8859-2, ...)
 * @param primaryKey      columns that become the primary key of a table the import creates, when the file has them all
 * @param sampleRows      rows read first to infer the column types of a table the import creates
 * @param stableFor       a file is read only once its size and modification time stayed the same this long
 * @param pollInterval    how often the folder is scanned
 * @param progressInterval a progress line is logged this often while one file loads
 * @param capture         tables the import loads are captured by the built-in source, like the configured ones
 */
@ConfigurationProperties("cdc.import.csv")
public record CsvImportProperties(
        String dir,
        @DefaultValue("public") String schema,
        @DefaultValue("") String tablePrefix,
        @DefaultValue("insert") Mode mode,
        @DefaultValue("true") boolean header,
        @DefaultValue(",") String delimiter,
        @DefaultValue("\"") String quote,
        @DefaultValue("") String escape,
        @DefaultValue("UTF-8") String encoding,
        @DefaultValue("id") List<String> primaryKey,
        @DefaultValue("1000") int sampleRows,
        @DefaultValue("1s") Duration stableFor,
        @DefaultValue("1s") Duration pollInterval,
        @DefaultValue("10s") Duration progressInterval,
        @DefaultValue("true") boolean capture) {

    private static final String P = "cdc.import.csv";
    /** Names the import creates: plain lower-case identifiers, which also make clean topic names. */
    static final Pattern TABLE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    /** PostgreSQL's names for the character sets files are commonly written in (COPY's ENCODING option). */
    private static final Map<String, String> POSTGRES_ENCODINGS = Map.ofEntries(
            Map.entry("UTF-8", "UTF8"), Map.entry("US-ASCII", "UTF8"),
            Map.entry("ISO-8859-1", "LATIN1"), Map.entry("ISO-8859-2", "LATIN2"), Map.entry("ISO-8859-4", "LATIN4"),
            Map.entry("ISO-8859-9", "LATIN5"), Map.entry("ISO-8859-13", "LATIN7"), Map.entry("ISO-8859-15", "LATIN9"),
            Map.entry("ISO-8859-5", "ISO_8859_5"), Map.entry("ISO-8859-7", "ISO_8859_7"),
            Map.entry("windows-1250", "WIN1250"), Map.entry("windows-1251", "WIN1251"), Map.entry("windows-1252", "WIN1252"),
            Map.entry("windows-1253", "WIN1253"), Map.entry("windows-1254", "WIN1254"), Map.entry("windows-1257", "WIN1257"),
            Map.entry("KOI8-R", "KOI8R"), Map.entry("KOI8-U", "KOI8U"));

    /** How rows are written. */
    public enum Mode {
        /** every row is added; a row whose key exists fails the file */
        INSERT,
        /** a row whose primary key exists replaces that row (INSERT ... ON CONFLICT DO UPDATE) */
        UPSERT
    }

    public CsvImportProperties {
        primaryKey = primaryKey == null ? List.of() : primaryKey.stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
        tablePrefix = tablePrefix == null ? "" : tablePrefix;
        escape = escape == null ? "" : escape;
    }

    /** The import runs when a folder is named. */
    public boolean enabled() {
        return dir != null && !dir.isBlank();
    }

    /** Stops start-up naming the property when a setting is wrong (called only when the import is on). */
    public void validate() {
        if (schema == null || !TABLE_NAME.matcher(schema).matches()) {
            throw new InvalidConfigurationException(P + ".schema", "must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 63), but is '" + schema + "'");
        }
        if (!tablePrefix.isEmpty() && !Pattern.compile("[a-z_][a-z0-9_]{0,30}").matcher(tablePrefix).matches()) {
            throw new InvalidConfigurationException(P + ".table-prefix", "must be empty or [a-z_][a-z0-9_]* (at most 31), but is '" + tablePrefix + "'");
        }
        requireOneCharacter(P + ".delimiter", delimiter);
        requireOneCharacter(P + ".quote", quote);
        if (!escape.isEmpty()) {
            requireOneCharacter(P + ".escape", escape);
        }
        if (delimiter.equals(quote)) {
            throw new InvalidConfigurationException(P + ".quote", "must differ from the delimiter '" + delimiter + "'");
        }
        postgresEncoding();
        for (String column : primaryKey) {
            if (ColumnNames.normalize(column).isEmpty()) {
                throw new InvalidConfigurationException(P + ".primary-key", "names a column that is not a valid identifier: '" + column + "'");
            }
        }
        if (sampleRows < 1 || sampleRows > 1_000_000) {
            throw new InvalidConfigurationException(P + ".sample-rows", "must be 1-1000000, but is " + sampleRows);
        }
        if (stableFor.toMillis() < 100) {
            throw new InvalidConfigurationException(P + ".stable-for", "must be at least 100ms, but is " + stableFor);
        }
        if (pollInterval.toMillis() < 100) {
            throw new InvalidConfigurationException(P + ".poll-interval", "must be at least 100ms, but is " + pollInterval);
        }
        if (progressInterval.toMillis() < 1000) {
            throw new InvalidConfigurationException(P + ".progress-interval", "must be at least 1s, but is " + progressInterval);
        }
    }

    private static void requireOneCharacter(String property, String value) {
        if (value == null || value.length() != 1 || value.charAt(0) == '\n' || value.charAt(0) == '\r') {
            throw new InvalidConfigurationException(property, "must be exactly one character other than a line break, but is '" + value + "'");
        }
    }

    /** The files' character set. */
    public Charset charset() {
        try {
            return Charset.forName(encoding);
        } catch (IllegalArgumentException e) { // IllegalCharsetNameException, UnsupportedCharsetException, null
            throw new InvalidConfigurationException(P + ".encoding", "is not a character set Java knows: '" + encoding + "'");
        }
    }

    /** The same character set as PostgreSQL names it, for COPY's ENCODING option. */
    public String postgresEncoding() {
        String name = POSTGRES_ENCODINGS.get(charset().name());
        if (name == null) {
            throw new InvalidConfigurationException(P + ".encoding", "is '" + encoding + "', which the import cannot hand to PostgreSQL;"
                    + " supported: " + new java.util.TreeSet<>(POSTGRES_ENCODINGS.keySet()));
        }
        return name;
    }

    /**
     * The file-to-table rule: the file name without {@code .csv}, lower-cased, with '-', '.' and spaces as '_', behind
     * {@link #tablePrefix()}; empty when that is no valid table name (the file then fails with the reason).
     */
    public Optional<String> tableFor(String fileName) {
        String base = fileName.toLowerCase(Locale.ROOT);
        if (base.endsWith(".csv")) {
            base = base.substring(0, base.length() - 4);
        }
        String table = tablePrefix + base.replaceAll("[-. ]", "_");
        return TABLE_NAME.matcher(table).matches() ? Optional.of(table) : Optional.empty();
    }

    /** A regex over {@code schema.table} matching every table the import can create (Debezium's table.include.list form). */
    public String createdTablesRegex() {
        return schema + "\\." + tablePrefix + "[a-z0-9_]+";
    }
}
