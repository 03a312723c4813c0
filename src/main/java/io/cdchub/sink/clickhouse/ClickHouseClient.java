package io.cdchub.sink.clickhouse;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import io.cdchub.sink.SinkProperties;
import io.cdchub.sink.SinkUnavailableException;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;

/**
 * Talks to ClickHouse's HTTP interface through the {@code clickhouse-http} route (Camel's HTTP component):
 * statements as POST bodies, inserts as {@code INSERT ... FORMAT JSONEachRow} with a gzip body. A request
 * that does not get an answer, or a 5xx that is not about the data, is {@link SinkUnavailableException};
 * an answer refusing the request is {@link ClickHouseException}.
 */
public class ClickHouseClient {

    static final String ENDPOINT = "direct:clickhouse-http";

    /**
     * Settings on every request. Legal on 18.16 and current versions: skip fields the table does not have
     * (a user-supplied table), parse ISO-8601 timestamps with fractions and 'Z'.
     */
    private static final String INSERT_SETTINGS = "&input_format_skip_unknown_fields=1&date_time_input_format=best_effort";

    private final ProducerTemplate producer;
    private final String database;
    private final String authorization;

    public ClickHouseClient(CamelContext camel, SinkProperties.ClickHouse settings) {
        this.producer = camel.createProducerTemplate();
        this.database = settings.database();
        String password = settings.password() == null ? "" : settings.password();
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((settings.username() + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    public String database() {
        return database;
    }

    /** Runs a statement (DDL or a SELECT with a FORMAT) and returns the answer's text. */
    public String execute(String sql) {
        return send("database=" + encode(database), sql.getBytes(StandardCharsets.UTF_8), false);
    }

    /** Inserts JSONEachRow lines into a table (a validated, quoted name). */
    public void insert(String quotedTable, byte[] jsonEachRow) {
        String query = "INSERT INTO " + quotedTable + " FORMAT JSONEachRow";
        send("database=" + encode(database) + "&query=" + encode(query) + INSERT_SETTINGS, jsonEachRow, true);
    }

    private String send(String query, byte[] body, boolean gzip) {
        Exchange answer = producer.send(ENDPOINT, exchange -> {
            var message = exchange.getMessage();
            message.setHeader(Exchange.HTTP_METHOD, "POST");
            message.setHeader(Exchange.HTTP_QUERY, query);
            message.setHeader("Authorization", authorization);
            message.setHeader(Exchange.CONTENT_TYPE, "text/plain; charset=UTF-8");
            if (gzip) {
                message.setHeader(Exchange.CONTENT_ENCODING, "gzip"); // Camel's HTTP component compresses the body
            }
            message.setBody(body);
        });
        if (answer.getException() != null) {
            throw new SinkUnavailableException("ClickHouse is unreachable: " + answer.getException().getMessage(), answer.getException());
        }
        Integer status = answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        String text = answer.getMessage().getBody(String.class);
        if (status != null && status == 200) {
            return text == null ? "" : text;
        }
        int code = ClickHouseException.codeOf(answer.getMessage().getHeader("X-ClickHouse-Exception-Code", String.class), text);
        ClickHouseException refused = new ClickHouseException(status == null ? -1 : status, code, text == null ? "" : text.trim());
        if (refused.isDataError() || refused.isSchemaError() || (status != null && status >= 400 && status < 500 && code > 0)) {
            throw refused;
        }
        // no code (a proxy, an overloaded or starting server) or a server-side problem: try again later
        throw new SinkUnavailableException(refused.getMessage(), refused);
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
