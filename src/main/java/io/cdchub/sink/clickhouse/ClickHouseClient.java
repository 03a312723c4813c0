package io.cdchub.sink.clickhouse;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import io.cdchub.sink.SinkProperties;
import io.cdchub.sink.SinkUnavailableException;

/**
 * The one ClickHouse client: ClickHouse's HTTP interface, through the JDK's HTTP client. Statements go as POST bodies,
 * inserts as {@code INSERT ... FORMAT JSONEachRow} with a gzip body. A request that does not get an answer, or a 5xx that
 * is not about the data, is {@link SinkUnavailableException}; an answer refusing the request is
 * {@link ClickHouseException}. Used by the ClickHouse sink, its readiness check and the aggregation's ClickHouse
 * connections ({@code io.cdchub.connections.ClickHouseTargets}).
 * <p>
 * Why no library: Camel has no ClickHouse component, and ClickHouse's Java client (client-v2) is itself a wrapper over
 * this same HTTP interface, tested only against ClickHouse's active LTS releases, while cdc-hub also targets older
 * servers (the test harness runs 18.16). Every call here is one documented POST of the HTTP interface.
 */
public class ClickHouseClient {

    /**
     * Settings on every insert. Legal on 18.16 and current versions: parse ISO-8601 timestamps with fractions and 'Z'; and,
     * when asked, skip fields the table does not have (a user-supplied table).
     */
    private static final String INSERT_SETTINGS = "&date_time_input_format=best_effort";
    private static final String SKIP_UNKNOWN_FIELDS = "&input_format_skip_unknown_fields=1";

    private final HttpClient http;
    private final URI url;
    private final String database;
    private final String authorization;
    private final Duration requestTimeout;

    /**
     * @param url      the HTTP interface, e.g. http://127.0.0.1:8123
     * @param database the database names without one resolve in
     * @param username a user for basic auth; empty: none
     */
    public ClickHouseClient(String url, String database, String username, String password, Duration requestTimeout) {
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        String base = url.endsWith("/") ? url : url + "/";
        this.url = URI.create(base);
        this.database = database;
        this.authorization = username == null || username.isEmpty() ? null
                : "Basic " + Base64.getEncoder().encodeToString((username + ":" + (password == null ? "" : password)).getBytes(StandardCharsets.UTF_8));
        this.requestTimeout = requestTimeout;
    }

    /** The sink's client. */
    public ClickHouseClient(SinkProperties.ClickHouse settings) {
        this(settings.url(), settings.database(), settings.username(), settings.password(), Duration.ofMillis(settings.requestTimeoutMs()));
    }

    public String database() {
        return database;
    }

    /** Runs a statement (DDL or a SELECT with a FORMAT) and returns the answer's text. */
    public String execute(String sql) {
        return send("database=" + encode(database), sql.getBytes(StandardCharsets.UTF_8), false);
    }

    /** Inserts JSONEachRow lines into a table (a validated, quoted name), skipping fields the table does not have. */
    public void insert(String quotedTable, byte[] jsonEachRow) {
        insert(quotedTable, jsonEachRow, true);
    }

    /**
     * Inserts JSONEachRow lines into a table (a validated, quoted name, possibly {@code `db`.`table`}).
     *
     * @param skipUnknownFields whether a field the table does not have is skipped (else the insert is refused)
     */
    public void insert(String quotedTable, byte[] jsonEachRow, boolean skipUnknownFields) {
        String query = "INSERT INTO " + quotedTable + " FORMAT JSONEachRow";
        send("database=" + encode(database) + "&query=" + encode(query) + INSERT_SETTINGS + (skipUnknownFields ? SKIP_UNKNOWN_FIELDS : ""),
                jsonEachRow, true);
    }

    private String send(String query, byte[] body, boolean gzip) {
        HttpRequest.Builder request = HttpRequest.newBuilder(url.resolve("?" + query))
                .timeout(requestTimeout)
                .header("Content-Type", "text/plain; charset=UTF-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(gzip ? gzip(body) : body));
        if (gzip) {
            request.header("Content-Encoding", "gzip");
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<String> answer;
        try {
            answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new SinkUnavailableException("ClickHouse is unreachable: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SinkUnavailableException("Interrupted while waiting for ClickHouse (stopping?)", e);
        }
        int status = answer.statusCode();
        String text = answer.body();
        if (status == 200) {
            return text == null ? "" : text;
        }
        int code = ClickHouseException.codeOf(answer.headers().firstValue("X-ClickHouse-Exception-Code").orElse(null), text);
        ClickHouseException refused = new ClickHouseException(status, code, text == null ? "" : text.trim());
        if (refused.isDataError() || refused.isSchemaError() || (status >= 400 && status < 500 && code > 0)) {
            throw refused;
        }
        // no code (a proxy, an overloaded or starting server) or a server-side problem: try again later
        throw new SinkUnavailableException(refused.getMessage(), refused);
    }

    private static byte[] gzip(byte[] body) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(Math.max(64, body.length / 4));
        try (java.util.zip.GZIPOutputStream zip = new java.util.zip.GZIPOutputStream(out, 64 * 1024)) {
            zip.write(body);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("Compressing into memory cannot fail", e);
        }
        return out.toByteArray();
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** Back-quotes a validated identifier. */
    public static String quote(String identifier) {
        return '`' + identifier.replace("\\", "\\\\").replace("`", "\\`") + '`';
    }

    /** A single-quoted string literal (for names in system-table queries: 18.16 has no query parameters). */
    public static String literal(String value) {
        return '\'' + value.replace("\\", "\\\\").replace("'", "\\'") + '\'';
    }
}
