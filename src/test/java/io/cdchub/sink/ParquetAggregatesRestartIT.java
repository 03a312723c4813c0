package io.cdchub.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.cdchub.change.ChangeEvent;
import io.cdchub.sink.clickhouse.PostgresColumns;
import io.cdchub.sink.lakehouse.LakeTableColumns;
import io.cdchub.sink.lakehouse.LakehouseFileIO;
import io.cdchub.sink.lakehouse.LakehouseStorage;
import io.cdchub.sink.parquet.ParquetSettings;
import io.cdchub.sink.parquet.ParquetSink;
import io.cdchub.source.SourceProperties;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.S3Server;
import org.apache.iceberg.io.FileIO;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Parquet sink's streaming aggregates across a restart: inserts, an update that moves a row to other groups, a
 * delete, then a crash with batches written and not rolled, and a restart that reads again from before the last roll
 * (Kafka's commit lagging the aggregates' state): the recovered state must neither lose the lost batches nor count the
 * replayed ones twice. The aggregate files are read with parquet-avro; the sink is driven as the runner drives it.
 */
class ParquetAggregatesRestartIT {

    private static final String SCHEMA = "lakeagg";
    private static final String TOPIC = "lakeagg.lakeagg.people";

    static {
        PostgresServer pg = PostgresServer.shared();
        pg.createDatabase(RealServers.DATABASE);
        pg.execute(RealServers.DATABASE, "CREATE SCHEMA IF NOT EXISTS " + SCHEMA,
                "CREATE TABLE IF NOT EXISTS " + SCHEMA + ".people (id bigint PRIMARY KEY, country text, position text, age integer)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "s3"})
    void aggregatesAreRecoveredAfterACrashAndAReplayIsNotCountedTwice(String storage) throws Exception {
        String path = S3Server.location(storage, "lakeagg", "run");
        Map<String, ParquetSettings.Aggregate> aggregates = new LinkedHashMap<>();
        aggregates.put("by-country", new ParquetSettings.Aggregate("lakeagg.people", List.of("country"), new LinkedHashMap<>(Map.of("customers", "count"))));
        Map<String, String> positionMeasures = new LinkedHashMap<>();
        positionMeasures.put("avg_age", "avg(age)");
        positionMeasures.put("employees", "count");
        positionMeasures.put("youngest", "min(age)");
        positionMeasures.put("oldest", "max(age)");
        aggregates.put("by-position", new ParquetSettings.Aggregate("people", List.of("position"), positionMeasures));
        // grouped by a typed column: the groups restored from the state must be the groups new changes compute
        aggregates.put("by-age", new ParquetSettings.Aggregate("people", List.of("age"), new LinkedHashMap<>(Map.of("people", "count"))));
        ParquetSettings settings = new ParquetSettings(true, path, S3Server.shared().settings(), "raw", List.of(), null, "g", 100, 1000,
                60000, 500000, 134217728L, "snappy", Map.of(), aggregates);
        LakehouseStorage store = settings.storage();
        try (FileIO io = LakehouseFileIO.open(store)) {
            ParquetSink first = new ParquetSink(settings, new LakeTableColumns(catalog()), io, store.location());
            SinkDriver.write(first, List.of(insert(0, 1, "PL", "developer", 30), insert(1, 2, "PL", "tester", 40),
                    insert(2, 3, "DE", "developer", 50), insert(3, 4, "FR", "manager", 60), insert(4, 5, "DE", "tester", 20)));
            SinkDriver.write(first, List.of(update(5, 1, "DE", "manager", 35), delete(6, 2)));
            first.staging().commit();
            Map<String, String> rolled = Map.of("DE", "3", "PL", "0", "FR", "1");
            assertThat(byCountry(path)).isEqualTo(withoutEmpty(rolled));
            assertThat(byPosition(path)).isEqualTo(Map.of("developer", "50.0|1|50|50", "manager", "47.5|2|35|60", "tester", "20.0|1|20|20"));

            // written, not rolled: the crash loses them (and Kafka never got their offsets)
            SinkDriver.write(first, List.of(insert(7, 6, "FR", "developer", 25), update(8, 3, "PL", "developer", 50)));
            assertThat(byCountry(path)).isEqualTo(withoutEmpty(rolled));

            // the restart reads from offset 5 again (already in the aggregates' state), then goes on
            ParquetSink restarted = new ParquetSink(settings, new LakeTableColumns(catalog()), io, store.location());
            SinkDriver.write(restarted, List.of(update(5, 1, "DE", "manager", 35), delete(6, 2), insert(7, 6, "FR", "developer", 25)));
            SinkDriver.write(restarted, List.of(update(8, 3, "PL", "developer", 50), delete(9, 4)));
            restarted.staging().commit();
            // rows now: 1 DE manager 35, 3 PL developer 50, 5 DE tester 20, 6 FR developer 25
            assertThat(byCountry(path)).isEqualTo(Map.of("DE", "2", "PL", "1", "FR", "1"));
            assertThat(byPosition(path)).isEqualTo(Map.of("developer", "37.5|2|25|50", "manager", "35.0|1|35|35", "tester", "20.0|1|20|20"));
            assertThat(aggregateRows(path, "by-age")).extracting(r -> r.get("age") + "=" + r.get("people"))
                    .containsExactlyInAnyOrder("20=1", "25=1", "35=1", "50=1");

            // and a second restart after a clean roll, the last batch read again: nothing changes
            ParquetSink again = new ParquetSink(settings, new LakeTableColumns(catalog()), io, store.location());
            SinkDriver.write(again, List.of(update(8, 3, "PL", "developer", 50), delete(9, 4)));
            again.staging().commit();
            assertThat(byCountry(path)).isEqualTo(Map.of("DE", "2", "PL", "1", "FR", "1"));
            assertThat(byPosition(path)).isEqualTo(Map.of("developer", "37.5|2|25|50", "manager", "35.0|1|35|35", "tester", "20.0|1|20|20"));
        }
    }

    /** A group whose count fell to 0 is no row of the aggregate. */
    private static Map<String, String> withoutEmpty(Map<String, String> groups) {
        Map<String, String> rows = new TreeMap<>(groups);
        rows.values().removeIf("0"::equals);
        return rows;
    }

    private static Map<String, String> byCountry(String path) {
        Map<String, String> rows = new TreeMap<>();
        for (Map<String, Object> row : aggregateRows(path, "by-country")) {
            rows.put(String.valueOf(row.get("country")), String.valueOf(row.get("customers")));
        }
        return rows;
    }

    private static Map<String, String> byPosition(String path) {
        Map<String, String> rows = new TreeMap<>();
        for (Map<String, Object> row : aggregateRows(path, "by-position")) {
            rows.put(String.valueOf(row.get("position")), String.join("|", String.valueOf(row.get("avg_age")), String.valueOf(row.get("employees")),
                    String.valueOf(row.get("youngest")), String.valueOf(row.get("oldest"))));
        }
        return rows;
    }

    private static List<Map<String, Object>> aggregateRows(String path, String aggregate) {
        Path file = LakeReads.local(path + "/" + aggregate).resolve(aggregate + ".parquet");
        return Files.exists(file) ? LakeReads.parquetFile(file) : new ArrayList<>();
    }

    private static PostgresColumns catalog() {
        PostgresServer pg = PostgresServer.shared();
        return new PostgresColumns(new SourceProperties.Database(pg.host(), pg.port(), RealServers.DATABASE, PostgresServer.USER, "", "disable"));
    }

    private static ChangeEvent insert(long offset, long id, String country, String position, int age) {
        return change(offset, id, "c", "null", row(id, country, position, age));
    }

    private static ChangeEvent update(long offset, long id, String country, String position, int age) {
        return change(offset, id, "u", "null", row(id, country, position, age)); // before: none (REPLICA IDENTITY DEFAULT)
    }

    private static ChangeEvent delete(long offset, long id) {
        return change(offset, id, "d", "{\"id\":" + id + "}", "null");
    }

    private static String row(long id, String country, String position, int age) {
        return "{\"id\":" + id + ",\"country\":\"" + country + "\",\"position\":\"" + position + "\",\"age\":" + age + "}";
    }

    private static ChangeEvent change(long offset, long id, String op, String before, String after) {
        return SinkDriver.record(TOPIC, 0, offset, null, "{\"id\":" + id + "}", SinkDriver.change(SCHEMA, "people", op, before, after, 2000 + offset));
    }
}
