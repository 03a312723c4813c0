package io.cdchub.connections;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.sink.clickhouse.ClickHouseException;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.springframework.stereotype.Component;

/**
 * Applies net row changes to a ClickHouse connection: per target table one {@code INSERT ... FORMAT JSONEachRow} over
 * ClickHouse's HTTP interface (route {@code aggregation-clickhouse}, Camel's HTTP component), each row with
 * {@code _version} (its source LSN) and {@code _is_deleted} (1 for a delete, which carries the key columns only).
 * The table must be a {@code ReplacingMergeTree(_version)} with those two columns (the shape the ClickHouse sink
 * creates): ClickHouse has no transactions and no in-place upsert, so the latest version of each key wins at merge
 * time and {@code FINAL} / {@code _is_deleted = 0} reads give the current rows. Names are validated and back-quoted;
 * values travel as JSON data, never as SQL.
 */
@Component
public class ClickHouseTargets {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ConnectionsProperties properties;
    private final ProducerTemplate producer;

    public ClickHouseTargets(ConnectionsProperties properties, CamelContext camel) {
        this.properties = properties;
        this.producer = camel.createProducerTemplate();
    }

    /** Sends the inserts, checking {@code fence} before each (ClickHouse has no transaction to roll back). */
    public void apply(String connectionId, List<RowChange> changes, WriteFence fence) {
        ConnectionsProperties.TargetConnection connection = properties.connections().get(connectionId);
        if (connection == null || connection.kind() != ConnectionsProperties.Kind.CLICKHOUSE) {
            throw new TargetRefusedException("connection '" + connectionId + "' is not a configured ClickHouse connection", null);
        }
        for (Map.Entry<String, StringBuilder> insert : inserts(connection, changes).entrySet()) {
            fence.check();
            send(connectionId, connection, insert.getKey(), insert.getValue().toString());
        }
    }

    /** INSERT statement per target table, with its JSONEachRow body. */
    static Map<String, StringBuilder> inserts(ConnectionsProperties.TargetConnection connection, List<RowChange> changes) {
        Map<String, StringBuilder> bodies = new LinkedHashMap<>();
        for (RowChange change : changes) {
            String table;
            try {
                List<String> parts = SqlNames.qualified(connection.targetTable(change.schema(), change.table()));
                String database = parts.size() == 2 ? parts.get(0) : connection.clickHouseDatabase();
                table = "`" + SqlNames.check(database) + "`.`" + parts.get(parts.size() - 1) + "`";
                change.key().keySet().forEach(SqlNames::check);
                if (change.row() != null) {
                    change.row().keySet().forEach(SqlNames::check);
                }
            } catch (IllegalArgumentException e) {
                throw new TargetRefusedException("table " + change.schema() + "." + change.table() + ": " + e.getMessage(), e);
            }
            Map<String, Object> row = new LinkedHashMap<>(change.delete() ? change.key() : change.row());
            change.key().forEach(row::putIfAbsent);
            row.put("_version", new java.math.BigInteger(change.lsn()));
            row.put("_is_deleted", change.delete() ? 1 : 0);
            try {
                bodies.computeIfAbsent("INSERT INTO " + table + " FORMAT JSONEachRow", k -> new StringBuilder())
                        .append(JSON.writeValueAsString(row)).append('\n');
            } catch (JsonProcessingException e) {
                throw new TargetRefusedException("row of " + table + " cannot be written as JSON: " + e.getMessage(), e);
            }
        }
        return bodies;
    }

    private void send(String connectionId, ConnectionsProperties.TargetConnection connection, String statement, String body) {
        Exchange answer = producer.send("direct:aggregation-clickhouse", exchange -> {
            exchange.getMessage().setHeader(Exchange.HTTP_URI, connection.clickHouseHttpUrl() + "/");
            exchange.getMessage().setHeader(Exchange.HTTP_METHOD, "POST");
            exchange.getMessage().setHeader(Exchange.HTTP_QUERY, "query=" + URLEncoder.encode(statement, StandardCharsets.UTF_8)
                    + "&date_time_input_format=best_effort");
            exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "text/plain; charset=UTF-8");
            if (!connection.username().isEmpty()) {
                exchange.getMessage().setHeader("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (connection.username() + ":" + connection.password()).getBytes(StandardCharsets.UTF_8)));
            }
            exchange.getMessage().setBody(body.getBytes(StandardCharsets.UTF_8));
        });
        if (answer.getException() != null) {
            throw new TargetUnavailableException("connection '" + connectionId + "': " + answer.getException().getMessage(), answer.getException());
        }
        Integer status = answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        if (status != null && status == 200) {
            return;
        }
        String text = answer.getMessage().getBody(String.class);
        int code = codeOf(answer.getMessage().getHeader("X-ClickHouse-Exception-Code", String.class), text);
        ClickHouseException refused = new ClickHouseException(status == null ? -1 : status, code, text == null ? "" : text.trim());
        String message = "connection '" + connectionId + "': " + refused.getMessage();
        if (refused.isDataError()) {
            throw new TargetRefusedException(message, refused);
        }
        // anything else is the target's state, never the rows': authentication (192-194, 516), access (497), read-only
        // (164), a missing database, table or column (81, 60, 16), a body cut short (32, 33), limits, no code at all
        throw new TargetUnavailableException(message, refused);
    }

    /** ClickHouse's error code: the X-ClickHouse-Exception-Code header, or "Code: N" in the body (servers before 19.x). */
    static int codeOf(String header, String body) {
        if (header != null && header.trim().matches("\\d{1,6}")) {
            return Integer.parseInt(header.trim());
        }
        java.util.regex.Matcher m = body == null ? null : java.util.regex.Pattern.compile("Code: (\\d{1,6})").matcher(body);
        return m != null && m.find() ? Integer.parseInt(m.group(1)) : -1;
    }
}
