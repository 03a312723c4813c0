package io.cdchub.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.cdchub.sink.parquet.ParquetSink;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicWriter;
import org.junit.jupiter.api.Test;

/**
 * The Parquet sink's streaming aggregates against PostgreSQL's own {@code GROUP BY} over the same table, after inserts,
 * updates that move rows between groups, updates to NULL, deletes, and the whole topic replayed (newest first, then in
 * order). The aggregates are the README's (SinkContextIT): customers per country and age per position, written to
 * {@code processed-data/klienci-by-country/} and {@code processed-data/avg-age-by-position/} on the S3 server and read
 * back with parquet-avro.
 */
class ParquetAggregatesIT extends SinkContextIT {

    @Test
    void aggregatesEqualPostgresGroupByUnderUpdatesDeletesAndReplays() {
        String[] countries = {"PL", "DE", "FR"};
        String[] positions = {"developer", "tester", "manager"};
        for (int i = 1; i <= 30; i++) {
            sql("INSERT INTO sinks.klienci VALUES (" + i + ", 'klient " + i + "', '" + countries[i % 3] + "', '" + positions[i % 3 == 0 ? 2 : i % 2]
                    + "', " + (20 + i) + ", " + (1000 + i) + ".25)");
        }
        sql("UPDATE sinks.klienci SET country = 'DE' WHERE id IN (3, 6, 9)",           // three rows move from PL to DE
                "UPDATE sinks.klienci SET position = 'tester', age = age + 10 WHERE id % 4 = 0", // move and change the measure
                "UPDATE sinks.klienci SET age = NULL WHERE id = 7",                     // a NULL leaves avg/min/max, not count
                "UPDATE sinks.klienci SET country = NULL WHERE id = 11",                // a NULL group is a group
                "DELETE FROM sinks.klienci WHERE id IN (1, 2, 26)",                      // 26 holds the oldest age of its group
                "UPDATE sinks.klienci SET salary = salary + 0.01 WHERE id = 5");
        awaitEqualToPostgres("after inserts, updates and deletes");

        double handledBefore = runners.metrics(ParquetSink.NAME).writtenCount();
        List<TopicReader.Event> events = TopicReader.readAll(topic("klienci"));
        long changes = events.stream().filter(e -> !e.isTombstone()).count();
        TopicWriter.write(topic("klienci"), newestFirstThenInOrder(events));
        SinkContractIT.await("the replay written").until(() -> runners.metrics(ParquetSink.NAME).writtenCount() >= handledBefore + 2 * changes);
        SinkContractIT.await("still PostgreSQL's groups").during(Duration.ofSeconds(1))
                .until(() -> byCountry().equals(postgresByCountry()) && byPosition().equals(postgresByPosition()));

        // and changes after the replay still move rows
        sql("UPDATE sinks.klienci SET country = 'FR', position = 'manager', age = 99 WHERE id = 4", "DELETE FROM sinks.klienci WHERE id = 5",
                "INSERT INTO sinks.klienci VALUES (100, 'nowy', 'CZ', 'developer', 18, 10.00)");
        awaitEqualToPostgres("after changes following the replay");
    }

    private void awaitEqualToPostgres(String when) {
        SinkContractIT.await("customers per country " + when).until(this::byCountry, rows -> rows.equals(postgresByCountry()));
        SinkContractIT.await("age per position " + when).until(this::byPosition, rows -> rows.equals(postgresByPosition()));
        assertThat(byCountry()).isNotEmpty();
    }

    /** {@code country -> customers} from the aggregate's file. */
    private Map<String, String> byCountry() {
        Map<String, String> rows = new TreeMap<>();
        for (Map<String, Object> row : aggregateRows("klienci-by-country")) {
            rows.put(String.valueOf(row.get("country")), String.valueOf(row.get("customers")));
        }
        return rows;
    }

    private static Map<String, String> postgresByCountry() {
        Map<String, String> rows = new TreeMap<>();
        for (Map<String, String> row : pgRows("SELECT country, count(*) AS customers FROM sinks.klienci GROUP BY country")) {
            rows.put(String.valueOf(row.get("country")), row.get("customers"));
        }
        return rows;
    }

    /** {@code position -> avg|employees|youngest|oldest|total_salary}, the average to 6 places. */
    private Map<String, String> byPosition() {
        Map<String, String> rows = new TreeMap<>();
        for (Map<String, Object> row : aggregateRows("avg-age-by-position")) {
            rows.put(String.valueOf(row.get("position")), String.join("|", round(row.get("avg_age")), String.valueOf(row.get("employees")),
                    String.valueOf(row.get("youngest")), String.valueOf(row.get("oldest")), String.valueOf(row.get("total_salary"))));
        }
        return rows;
    }

    private static Map<String, String> postgresByPosition() {
        Map<String, String> rows = new TreeMap<>();
        for (Map<String, String> row : pgRows("SELECT position, avg(age) AS avg_age, count(*) AS employees, min(age) AS youngest, max(age) AS oldest,"
                + " sum(salary) AS total_salary FROM sinks.klienci GROUP BY position")) {
            rows.put(String.valueOf(row.get("position")), String.join("|", round(row.get("avg_age")), row.get("employees"),
                    String.valueOf(row.get("youngest")), String.valueOf(row.get("oldest")), String.valueOf(row.get("total_salary"))));
        }
        return rows;
    }

    private static String round(Object value) {
        return value == null ? "null" : new BigDecimal(value.toString()).setScale(6, RoundingMode.HALF_UP).toPlainString();
    }

    private static List<Map<String, Object>> aggregateRows(String aggregate) {
        Path folder = LakeReads.local("s3://" + PARQUET_BUCKET + "/" + aggregate);
        Path file = folder.resolve(aggregate + ".parquet");
        return java.nio.file.Files.exists(file) ? LakeReads.parquetFile(file) : List.of();
    }
}
