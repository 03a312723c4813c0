package io.cdchub.csvimport;

import java.io.BufferedInputStream;
import java.io.File;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.cdchub.source.CapturedTables;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;
import org.postgresql.PGConnection;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads one CSV file into its table (route {@code csv-to-postgres}): the file streams into PostgreSQL's
 * {@code COPY ... FROM STDIN} as it is, PostgreSQL parses it, and the whole file is one transaction. Before that, a
 * bounded sample of rows is read to infer the column types of a table that does not exist yet. In upsert mode the rows
 * are copied into a temporary table first and merged with {@code INSERT ... ON CONFLICT (primary key) DO UPDATE}.
 */
public class CsvImporter {

    private static final Logger LOG = LoggerFactory.getLogger(CsvImporter.class);
    /** Exchange header: rows the file loaded. */
    public static final String ROWS = "CdcHubCsvRows";
    /** Exchange header: the table the file loaded into, {@code schema.table}. */
    public static final String TABLE = "CdcHubCsvTable";
    private static final byte[] UTF8_BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    private static final Pattern COPY_LINE = Pattern.compile("line (\\d+)");
    private static final String STAGE = "cdc_hub_csv_stage";

    private final CsvImportProperties settings;
    private final DataSource database;
    private final CapturedTables capturedTables;
    private final Counter filesDone;
    private final Counter filesFailed;
    private final Counter rows;

    public CsvImporter(CsvImportProperties settings, DataSource database, CapturedTables capturedTables, MeterRegistry registry) {
        this.settings = settings;
        this.database = database;
        this.capturedTables = capturedTables;
        this.filesDone = Counter.builder("cdc.import.csv.files").tag("outcome", "done").description("CSV files loaded").register(registry);
        this.filesFailed = Counter.builder("cdc.import.csv.files").tag("outcome", "failed").description("CSV files moved to .failed")
                .register(registry);
        this.rows = Counter.builder("cdc.import.csv.rows").description("Rows loaded from CSV files").register(registry);
    }

    /** Whether the import runs (the route's precondition). */
    public boolean enabled() {
        return settings.enabled();
    }

    /** Loads the exchange's file; on success sets the {@link #ROWS} and {@link #TABLE} headers. */
    public void load(Exchange exchange) {
        Path file = exchange.getIn().getBody(File.class).toPath();
        String fileName = file.getFileName().toString();
        String table = settings.tableFor(fileName).orElseThrow(() -> new CsvImportException(0, "file name '" + fileName
                + "' makes no valid table name: it must become [a-z_][a-z0-9_]* (at most 63) once lower-cased, without"
                + " .csv, with '-', '.' and spaces as '_'" + (settings.tablePrefix().isEmpty() ? "" : " and prefix '" + settings.tablePrefix() + "'")));
        exchange.getIn().setHeader(TABLE, settings.schema() + "." + table);
        long started = System.nanoTime();
        Result result = load(file, table);
        double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
        filesDone.increment();
        rows.increment(result.rows());
        exchange.getIn().setHeader(ROWS, result.rows());
        LOG.info("Loaded {} into {}.{}{}: {} rows in {} s ({} rows/s, {})", fileName, settings.schema(), table,
                result.created() ? " (created)" : "", result.rows(), String.format(java.util.Locale.ROOT, "%.3f", seconds), Math.round(result.rows() / seconds),
                settings.mode().name().toLowerCase());
    }

    /** What loading one file did. */
    record Result(long rows, boolean created) {
    }

    Result load(Path file, String table) {
        try (Connection connection = connect()) {
            connection.setAutoCommit(false);
            try {
                Result result = loadInTransaction(connection, file, table);
                connection.commit();
                return result;
            } catch (SQLException | IOException | RuntimeException e) {
                rollbackQuietly(connection);
                throw e;
            }
        } catch (SQLException e) {
            throw failure(e);
        } catch (IOException e) {
            throw new CsvImportException(0, "cannot read the file: " + e.getMessage(), e);
        }
    }

    private Connection connect() {
        try {
            return database.getConnection();
        } catch (SQLException e) {
            throw new ImportMustWaitException("PostgreSQL is not reachable for the CSV import: " + e.getMessage(), e);
        }
    }

    private Result loadInTransaction(Connection connection, Path file, String table) throws SQLException, IOException {
        String schema = settings.schema();
        Map<String, String> existing = existingColumns(connection, schema, table);
        Sample sample = readSample(file, existing);
        boolean created = false;
        if (existing.isEmpty()) {
            createTable(connection, schema, table, sample);
            created = true;
        }
        if (capturedTables.addToPublication(connection, schema, table) == CapturedTables.PublicationChange.NO_PUBLICATION_YET) {
            // loaded now, its rows could miss both the snapshot and the stream of the source starting beside the import
            throw new ImportMustWaitException("the source captures " + schema + "." + table + " but has not created its publication"
                    + " yet; the file waits until it has", null);
        }
        String target = ColumnNames.quote(schema) + "." + ColumnNames.quote(table);
        List<String> columns = sample.columns();
        if (settings.mode() == CsvImportProperties.Mode.INSERT) {
            return new Result(copy(connection, target, columns, file), created);
        }
        List<String> key = primaryKey(connection, schema, table);
        if (key.isEmpty()) {
            throw new CsvImportException(0, "cdc.import.csv.mode is upsert, but table " + schema + "." + table + " has no primary key"
                    + " to match rows on; give it one (ALTER TABLE ... ADD PRIMARY KEY), or load it in insert mode");
        }
        List<String> missing = key.stream().filter(k -> !columns.contains(k)).toList();
        if (!missing.isEmpty()) {
            throw new CsvImportException(1, "cdc.import.csv.mode is upsert, but the file has no column for primary key column(s) " + missing
                    + " of " + schema + "." + table);
        }
        try (Statement st = connection.createStatement()) {
            // the same columns, defaults and NOT NULLs as the target, gone at commit; not WAL-logged, so not decoded
            st.execute("CREATE TEMPORARY TABLE " + STAGE + " (LIKE " + target + " INCLUDING DEFAULTS) ON COMMIT DROP");
        }
        long copied = copy(connection, STAGE, columns, file);
        List<String> updated = columns.stream().filter(c -> !key.contains(c)).toList();
        String merge = "INSERT INTO " + target + " (" + ColumnNames.quoteAll(columns) + ") SELECT " + ColumnNames.quoteAll(columns)
                + " FROM " + STAGE + " ON CONFLICT (" + ColumnNames.quoteAll(key) + ") DO "
                + (updated.isEmpty() ? "NOTHING" : "UPDATE SET " + String.join(", ",
                        updated.stream().map(c -> ColumnNames.quote(c) + " = EXCLUDED." + ColumnNames.quote(c)).toList()));
        try (Statement st = connection.createStatement()) {
            st.executeUpdate(merge);
        }
        return new Result(copied, created);
    }

    /** The table's columns by name (with their types), empty when the table does not exist. */
    private static Map<String, String> existingColumns(Connection connection, String schema, String table) throws SQLException {
        String sql = """
                SELECT a.attname, format_type(a.atttypid, a.atttypmod)
                FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY a.attnum
                """;
        Map<String, String> columns = new LinkedHashMap<>();
        try (PreparedStatement st = connection.prepareStatement(sql)) {
            st.setString(1, schema);
            st.setString(2, table);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    columns.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return columns;
    }

    private static List<String> primaryKey(Connection connection, String schema, String table) throws SQLException {
        String sql = """
                SELECT a.attname
                FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, pos) ON true
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                WHERE n.nspname = ? AND c.relname = ? AND i.indisprimary
                ORDER BY k.pos
                """;
        List<String> key = new ArrayList<>();
        try (PreparedStatement st = connection.prepareStatement(sql)) {
            st.setString(1, schema);
            st.setString(2, table);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    key.add(rs.getString(1));
                }
            }
        }
        return key;
    }

    /** The columns the file loads and, for a table still to create, their inferred types. */
    record Sample(List<String> columns, List<ColumnTypes.SqlType> types) {
    }

    /** Reads the header and up to sample-rows rows; only what a table to create needs is kept, never the file. */
    Sample readSample(Path file, Map<String, String> existing) throws IOException {
        CsvSchema schema = CsvSchema.emptySchema()
                .withColumnSeparator(settings.delimiter().charAt(0))
                .withQuoteChar(settings.quote().charAt(0));
        if (!settings.escape().isEmpty()) {
            schema = schema.withEscapeChar(settings.escape().charAt(0));
        }
        CsvMapper mapper = CsvMapper.builder().enable(CsvParser.Feature.WRAP_AS_ARRAY).build();
        try (InputStream in = open(file);
                MappingIterator<List<String>> rows = mapper.readerForListOf(String.class).with(schema)
                        .readValues(new InputStreamReader(in, settings.charset()))) {
            List<String> columns = null;
            ColumnTypes types = null;
            int sampled = 0;
            try {
                while (rows.hasNextValue() && sampled < settings.sampleRows()) {
                    List<String> row = rows.nextValue();
                    if (columns == null) {
                        if (settings.header()) {
                            columns = ColumnNames.fromHeader(row, existing);
                            types = new ColumnTypes(columns.size());
                            continue;
                        }
                        columns = existing.isEmpty() ? numberedColumns(row.size()) : List.copyOf(existing.keySet());
                        types = new ColumnTypes(columns.size());
                    }
                    types.add(row);
                    sampled++;
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                long line = rows.getCurrentLocation() == null ? 0 : rows.getCurrentLocation().getLineNr();
                throw new CsvImportException(line, "not readable as CSV with delimiter '" + settings.delimiter() + "' and quote '"
                        + settings.quote() + "': " + e.getOriginalMessage(), e);
            }
            if (columns == null) {
                throw new CsvImportException(0, "the file is empty" + (settings.header() ? ": no header row" : ""));
            }
            return new Sample(columns, types.types());
        }
    }

    private static List<String> numberedColumns(int count) {
        List<String> columns = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            columns.add("column_" + i);
        }
        return columns;
    }

    private void createTable(Connection connection, String schema, String table, Sample sample) throws SQLException {
        List<String> definitions = new ArrayList<>();
        for (int i = 0; i < sample.columns().size(); i++) {
            definitions.add(ColumnNames.quote(sample.columns().get(i)) + " " + sample.types().get(i).sql);
        }
        List<String> key = settings.primaryKey().stream().map(ColumnNames::normalize).toList();
        boolean keyed = !key.isEmpty() && sample.columns().containsAll(key);
        if (keyed) {
            definitions.add("PRIMARY KEY (" + ColumnNames.quoteAll(key) + ")");
        }
        try (Statement st = connection.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + ColumnNames.quote(schema));
            st.execute("CREATE TABLE " + ColumnNames.quote(schema) + "." + ColumnNames.quote(table) + " (" + String.join(", ", definitions) + ")");
        }
        LOG.info("Creating table {}.{} ({}){}", schema, table, String.join(", ", definitions),
                keyed ? "" : ": no primary key (the file has no column(s) " + key + " of cdc.import.csv.primary-key)");
    }

    /** Streams the file into COPY; returns the rows copied. */
    private long copy(Connection connection, String target, List<String> columns, Path file) throws SQLException, IOException {
        String sql = "COPY " + target + " (" + ColumnNames.quoteAll(columns) + ")"
                + " FROM STDIN WITH (FORMAT csv, HEADER " + settings.header() + ", DELIMITER " + literal(settings.delimiter())
                + ", QUOTE " + literal(settings.quote()) + (settings.escape().isEmpty() ? "" : ", ESCAPE " + literal(settings.escape()))
                + ", ENCODING " + literal(settings.postgresEncoding()) + ")";
        try (InputStream in = new ProgressReporting(open(file), file, Files.size(file), settings.progressInterval())) {
            return connection.unwrap(PGConnection.class).getCopyAPI().copyIn(sql, in, 65536);
        }
    }

    /** A one-character setting (validated) as an SQL string literal. */
    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    /** The file, past a UTF-8 byte order mark (which would otherwise end up in the first column's name). */
    private InputStream open(Path file) throws IOException {
        BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), 65536);
        if (settings.charset().equals(StandardCharsets.UTF_8)) {
            in.mark(3);
            byte[] start = in.readNBytes(3);
            if (!java.util.Arrays.equals(start, UTF8_BOM)) {
                in.reset();
            }
        }
        return in;
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.debug("Rollback after a failed CSV load failed too: {}", e.getMessage());
        }
    }

    /** PostgreSQL's refusal as the file's failure (line and reason), or an outage as such. */
    private static RuntimeException failure(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.startsWith("08") || state.equals("57P01") || state.equals("57P03")) {
            return new ImportMustWaitException("PostgreSQL went away during the CSV import: " + e.getMessage(), e);
        }
        ServerErrorMessage server = e instanceof PSQLException psql ? psql.getServerErrorMessage() : null;
        if (server == null) {
            return new CsvImportException(0, e.getMessage(), e);
        }
        String where = server.getWhere();
        long line = 0;
        if (where != null) {
            Matcher m = COPY_LINE.matcher(where);
            if (m.find()) {
                line = Long.parseLong(m.group(1));
            }
        }
        String reason = server.getMessage() + (server.getDetail() == null ? "" : " (" + server.getDetail() + ")")
                + (where == null ? "" : " [" + where + "]");
        return new CsvImportException(line, reason, e);
    }

    /** Writes {@code .failed/<file>.error} beside the failed file (the route's csv-import configuration calls it). */
    public void writeErrorFile(Exchange exchange) {
        filesFailed.increment();
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        CsvImportException known = causeOfType(failure, CsvImportException.class);
        long line = known == null ? 0 : known.line();
        String reason = known != null ? known.getMessage() : failure == null ? "unknown" : failure.getClass().getSimpleName() + ": " + failure.getMessage();
        String fileName = exchange.getIn().getHeader(Exchange.FILE_NAME_ONLY, String.class);
        String table = exchange.getIn().getHeader(TABLE, String.class);
        Path failed = Path.of(settings.dir(), ".failed");
        String text = "file: " + fileName + "\n"
                + "table: " + (table == null ? "-" : table) + "\n"
                + "line: " + (line > 0 ? line : "-") + "\n"
                + "reason: " + reason + "\n"
                + "failed-at: " + Instant.now() + "\n"
                + "nothing of the file was loaded: fix it and put it back into the folder to load it again\n";
        try {
            Files.createDirectories(failed);
            Files.writeString(failed.resolve(fileName + ".error"), text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            LOG.error("Cannot write {}.error in {}: {}", fileName, failed, e.getMessage());
        }
        LOG.warn("CSV file {} failed{}: {}; moved to {}", fileName, line > 0 ? " at line " + line : "", reason, failed);
    }

    private static <T extends Throwable> T causeOfType(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    /** Counts the bytes COPY has taken and logs how far a large file is, every progress-interval. */
    private static final class ProgressReporting extends FilterInputStream {

        private final Path file;
        private final long size;
        private final long intervalNanos;
        private final long started = System.nanoTime();
        private long nextReport;
        private long read;

        ProgressReporting(InputStream in, Path file, long size, Duration interval) {
            super(in);
            this.file = file;
            this.size = size;
            this.intervalNanos = interval.toNanos();
            this.nextReport = started + intervalNanos;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                read += n;
                long now = System.nanoTime();
                if (now >= nextReport) {
                    nextReport = now + intervalNanos;
                    LOG.info("Loading {}: {}% ({} of {} MB) after {} s", file.getFileName(), size == 0 ? 100 : read * 100 / size,
                            read >> 20, size >> 20, (now - started) / 1_000_000_000L);
                }
            }
            return n;
        }
    }
}
