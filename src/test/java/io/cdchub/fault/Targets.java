package io.cdchub.fault;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdchub.testinfra.ClickHouseServer;
import io.cdchub.testinfra.ElasticsearchServer;

/**
 * Reads the final state of each place a row can be (PostgreSQL, ClickHouse, Elasticsearch, the sync target) as
 * id to {@link Row}, in one normal form, and tells whether marker rows have arrived.
 */
final class Targets {

    /** A row in normal form: revision, label, amount (exact, trailing zeros stripped; null stays null). */
    record Row(int rev, String label, String amount) {
    }

    /** How one target compares with PostgreSQL, for one table or summed. */
    record Diff(long expected, long equal, long missing, long extra, long different, List<String> samples) {

        boolean equalAll() {
            return missing == 0 && extra == 0 && different == 0;
        }

        Diff plus(Diff o) {
            List<String> s = new ArrayList<>(samples);
            o.samples.stream().limit(Math.max(0, 20 - s.size())).forEach(s::add);
            return new Diff(expected + o.expected, equal + o.equal, missing + o.missing, extra + o.extra, different + o.different, s);
        }

        static Diff of(String table, Map<Long, Row> expected, Map<Long, Row> actual, java.util.Set<Long> excused) {
            long equal = 0;
            long missing = 0;
            long different = 0;
            long extra = 0;
            List<String> samples = new ArrayList<>();
            for (var e : expected.entrySet()) {
                Row a = actual.get(e.getKey());
                if (e.getValue().equals(a)) {
                    equal++;
                } else if (excused.contains(e.getKey())) {
                    continue;
                } else if (a == null) {
                    missing++;
                    if (samples.size() < 10) {
                        samples.add(table + " id=" + e.getKey() + " missing (expected " + e.getValue() + ")");
                    }
                } else {
                    different++;
                    if (samples.size() < 10) {
                        samples.add(table + " id=" + e.getKey() + " is " + a + ", expected " + e.getValue());
                    }
                }
            }
            for (var a : actual.entrySet()) {
                if (!expected.containsKey(a.getKey()) && !excused.contains(a.getKey())) {
                    extra++;
                    if (samples.size() < 10) {
                        samples.add(table + " id=" + a.getKey() + " should not exist: " + a.getValue());
                    }
                }
            }
            return new Diff(expected.size(), equal, missing, extra, different, samples);
        }
    }

    private final String clickHouseDatabase;
    private final String indexPrefix;

    Targets(String clickHouseDatabase, String indexPrefix) {
        this.clickHouseDatabase = clickHouseDatabase;
        this.indexPrefix = indexPrefix;
    }

    static String amount(BigDecimal value) {
        return value == null ? null : value.stripTrailingZeros().toPlainString();
    }

    static String amount(String text) {
        return text == null ? null : amount(new BigDecimal(text));
    }

    /** Rows of {@code fault.<table>} (source) or {@code public.<table>} (sync target), ids below 0 left out. */
    static Map<Long, Row> postgres(DataSource dataSource, String qualifiedTable) {
        Map<Long, Row> rows = new HashMap<>();
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, rev, label, amount FROM " + qualifiedTable + " WHERE id >= 0")) {
            while (rs.next()) {
                rows.put(rs.getLong(1), new Row(rs.getInt(2), rs.getString(3), amount(rs.getBigDecimal(4))));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("reading " + qualifiedTable + ": " + e.getMessage(), e);
        }
        return rows;
    }

    /** ClickHouse's current rows as the sink defines them: FINAL (latest {@code _version} per key), not deleted. */
    Map<Long, Row> clickHouse(String table) {
        Map<Long, Row> rows = new HashMap<>();
        String sql = "SELECT id, rev, label, toString(amount) AS amount FROM " + clickHouseDatabase + "." + table
                + " FINAL WHERE _is_deleted = 0 AND id >= 0";
        for (JsonNode r : ClickHouseServer.shared().rows(sql)) {
            rows.put(r.path("id").asLong(), new Row(r.path("rev").asInt(), r.path("label").asText(),
                    r.path("amount").isNull() ? null : amount(r.path("amount").asText())));
        }
        return rows;
    }

    String index(String table) {
        return indexPrefix + "-" + table;
    }

    /** Every document of the table's index, by id (scrolled). */
    Map<Long, Row> elasticsearch(String table) {
        ElasticsearchServer es = ElasticsearchServer.shared();
        Map<Long, Row> rows = new HashMap<>();
        es.request("POST", "/" + index(table) + "/_refresh", null);
        JsonNode page = es.request("POST", "/" + index(table) + "/_search?scroll=1m", "{\"size\":5000,\"sort\":[\"_doc\"]}");
        if (page.has("error")) {
            if ("index_not_found_exception".equals(page.path("error").path("type").asText())) {
                return rows;
            }
            throw new IllegalStateException("search of " + index(table) + ": " + page);
        }
        while (true) {
            JsonNode hits = page.path("hits").path("hits");
            if (hits.isEmpty()) {
                break;
            }
            for (JsonNode hit : hits) {
                long id = Long.parseLong(hit.path("_id").asText());
                if (id < 0) {
                    continue;
                }
                JsonNode s = hit.path("_source");
                JsonNode amount = s.path("amount");
                rows.put(id, new Row(s.path("rev").asInt(), s.path("label").asText(),
                        amount.isNull() || amount.isMissingNode() ? null : amount(amount.decimalValue())));
            }
            page = es.request("POST", "/_search/scroll", "{\"scroll\":\"1m\",\"scroll_id\":\"" + page.path("_scroll_id").asText() + "\"}");
        }
        es.request("DELETE", "/_search/scroll/_all", null);
        return rows;
    }

    /** Whether the markers (one insert per table, {@link Changes#code}s) are in ClickHouse. */
    boolean inClickHouse(long[] markers) {
        try {
            for (long code : markers) {
                String table = Changes.TABLES[Changes.table(code)];
                String answer = ClickHouseServer.shared().query("SELECT count() FROM " + clickHouseDatabase + "." + table + " WHERE id = "
                        + Changes.id(code)).trim();
                if (!"1".equals(answer) && !answer.matches("[1-9][0-9]*")) {
                    return false;
                }
            }
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    boolean inElasticsearch(long[] markers) {
        try {
            for (long code : markers) {
                JsonNode doc = ElasticsearchServer.shared().request("GET", "/" + index(Changes.TABLES[Changes.table(code)]) + "/_doc/"
                        + Changes.id(code), null);
                if (!doc.path("found").asBoolean(false)) {
                    return false;
                }
            }
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    static boolean inPostgres(DataSource dataSource, String schema, long[] markers) {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            for (long code : markers) {
                try (ResultSet rs = st.executeQuery("SELECT 1 FROM " + schema + "." + Changes.TABLES[Changes.table(code)] + " WHERE id = "
                        + Changes.id(code))) {
                    if (!rs.next()) {
                        return false;
                    }
                }
            }
            return true;
        } catch (SQLException e) {
            return false;
        }
    }
}
