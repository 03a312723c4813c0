package io.cdchub.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;

import io.cdchub.change.ChangeEvent;
import io.cdchub.sink.clickhouse.PostgresColumns;
import io.cdchub.sink.delta.DeltaSettings;
import io.cdchub.sink.delta.DeltaSink;
import io.cdchub.sink.lakehouse.LakeTableColumns;
import io.cdchub.sink.lakehouse.LakehouseFileIO;
import io.cdchub.sink.lakehouse.LakehouseStorage;
import io.cdchub.sink.parquet.ParquetSettings;
import io.cdchub.sink.parquet.ParquetSink;
import io.cdchub.source.SourceProperties;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.S3Server;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Parquet and Delta Lake sinks on a local folder and on the S3 server alike: one row of every type family PostgreSQL's
 * catalog describes, an update and a delete, then the same batch written again (a retry after a crash); read back with
 * parquet-avro and Delta Kernel. The sinks are driven as the runner drives them (prepare, then write each request), with
 * the records a Kafka consumer would hand over; the column types come from a real PostgreSQL's catalog.
 */
class LakehouseSinksStorageIT {

    private static final String SCHEMA = "lakestore";
    private static final String TOPIC = "lakestore.lakestore.lake_types";

    static {
        PostgresServer pg = PostgresServer.shared();
        pg.createDatabase(RealServers.DATABASE);
        pg.execute(RealServers.DATABASE, "CREATE SCHEMA IF NOT EXISTS " + SCHEMA,
                "CREATE TABLE IF NOT EXISTS " + SCHEMA + ".lake_types (id bigint PRIMARY KEY, flag boolean, small smallint, price numeric(12,4),"
                        + " big numeric, ratio double precision, born date, seen timestamp, at timestamptz, doc jsonb, tags text[], note text)");
    }

    /** {@code local} or {@code s3}: a fresh location for one test. */
    private static String location(String storage, String name) throws java.io.IOException {
        return S3Server.location(storage, "lakestore", name);
    }

    private static PostgresColumns catalog() {
        PostgresServer pg = PostgresServer.shared();
        return new PostgresColumns(new SourceProperties.Database(pg.host(), pg.port(), RealServers.DATABASE, PostgresServer.USER, "", "disable"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "s3"})
    void parquetKeepsEveryTypeAndAReplayedBatchOverwritesItsFiles(String storage) throws Exception {
        String path = location(storage, "parquet");
        ParquetSettings settings = new ParquetSettings(true, path, S3Server.shared().settings(), "raw", List.of(), null, "g", 100, 1000, 1000, 500000,
                134217728L, "zstd", Map.of(), Map.of());
        LakehouseStorage store = settings.storage();
        try (var io = LakehouseFileIO.open(store)) {
            ParquetSink sink = new ParquetSink(settings, new LakeTableColumns(catalog()), io, store.location());
            assertThat(writeBatch(sink)).isEqualTo(4);
            String table = store.resolve("raw", "lake_types");
            List<Map<String, Object>> rows = LakeReads.parquetRows(table);
            assertThat(rows).hasSize(4);
            Map<String, Object> inserted = rows.get(0);
            assertThat(inserted.get("id")).isEqualTo(1L);
            assertThat(inserted.get("flag")).isEqualTo(true);
            assertThat(inserted.get("small")).isEqualTo(7);
            assertThat(inserted.get("price")).isEqualTo(new BigDecimal("1234.5678"));
            assertThat(inserted.get("big")).isEqualTo("12345678901234567890.123456789");
            assertThat(inserted.get("ratio")).isEqualTo(0.25);
            assertThat(inserted.get("born")).isEqualTo(LocalDate.parse("2024-02-29"));
            assertThat(inserted.get("seen")).isEqualTo(LocalDateTime.parse("2024-02-29T13:45:30.123456"));
            assertThat(inserted.get("at")).isEqualTo(Instant.parse("2024-02-29T11:45:30.123456Z"));
            assertThat(inserted.get("doc")).isEqualTo("{\"a\":[1,2.50]}");
            assertThat(inserted.get("tags")).isEqualTo("[\"x\",\"y\"]");
            assertThat(inserted).containsEntry("_op", "c").containsEntry("_kafka_offset", 0L).containsEntry("_is_deleted", false);
            assertThat(LakeReads.currentRows(rows, "id", List.of("note", "price"), r -> Boolean.TRUE.equals(r.get("_is_deleted")), r -> Map.of()))
                    .isEqualTo(Map.of("1", Map.of("note", "updated", "price", "1234.5678")));
            Path local = LakeReads.local(table);
            try (var files = Files.walk(local)) {
                assertThat(files.filter(f -> f.toString().endsWith(".parquet")).map(f -> local.relativize(f).toString()).toList())
                        .containsExactly("dt=2024-02-29/hour=11/" + TOPIC + "-0-00000000000000000000.parquet");
            }

            // the same batch again (a retry, a restart before Kafka's commit): the same file, rewritten
            writeBatch(sink);
            assertThat(LakeReads.parquetRows(table)).hasSize(4);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "s3"})
    void deltaKeepsEveryTypeAndSkipsAReplayedBatch(String storage) throws Exception {
        String path = location(storage, "delta");
        DeltaSettings settings = new DeltaSettings(true, path, S3Server.shared().settings(), List.of(), null, "g", 100, 1000, Map.of());
        LakehouseStorage store = settings.storage();
        DeltaSink sink = new DeltaSink(settings, new LakeTableColumns(catalog()), engine(store), store.location());
        assertThat(writeBatch(sink)).isEqualTo(4);
        String table = store.resolve("lake_types");
        List<Map<String, Object>> rows = LakeReads.deltaRows(table);
        assertThat(rows).hasSize(4);
        Map<String, Object> inserted = rows.stream().filter(r -> "insert".equals(r.get(DeltaSink.CHANGE_TYPE)) && r.get("id").equals(1L)).findFirst().orElseThrow();
        assertThat(inserted.get("flag")).isEqualTo(true);
        assertThat(inserted.get("small")).isEqualTo(7);
        assertThat(inserted.get("price")).isEqualTo(new BigDecimal("1234.5678"));
        assertThat(inserted.get("big")).isEqualTo("12345678901234567890.123456789");
        assertThat(inserted.get("ratio")).isEqualTo(0.25);
        assertThat(inserted.get("born")).isEqualTo("2024-02-29");
        assertThat(inserted.get("seen")).isEqualTo("2024-02-29T13:45:30.123456");
        assertThat(inserted.get("at")).isEqualTo("2024-02-29T11:45:30.123456Z");
        assertThat(inserted.get("doc")).isEqualTo("{\"a\":[1,2.50]}");
        assertThat(rows.stream().map(r -> r.get(DeltaSink.CHANGE_TYPE)).toList()).containsExactly("insert", "insert", "update_postimage", "delete");
        assertThat(LakeReads.local(table).resolve("_delta_log/00000000000000000000.json"))
                .content().contains("\"delta.enableChangeDataFeed\":\"true\"").contains("\"appId\":\"cdc-hub-" + TOPIC + "-0\"");

        // the same batch again: the table's transaction id for the partition says it is there, nothing is appended
        assertThat(writeBatch(sink)).isZero();
        assertThat(LakeReads.deltaRows(table)).hasSize(4);
        assertThat(LakeReads.local(table).resolve("_delta_log/00000000000000000001.json")).doesNotExist();
    }

    private static io.delta.kernel.engine.Engine engine(LakehouseStorage store) {
        // the sink's own engine, as its configuration makes it
        return io.cdchub.sink.delta.DeltaSinkConfiguration.engine(store);
    }

    /** Writes the batch through the sink as the runner does (committed, as at the roll); returns the items written. */
    private static <I> int writeBatch(Sink<I> sink) {
        List<ChangeEvent> events = List.of(
                event(0, "{\"id\":1}", "null", ROW.formatted(1, "first"), "c"),
                event(1, "{\"id\":2}", "null", ROW.formatted(2, "second"), "c"),
                event(2, "{\"id\":1}", "null", ROW.formatted(1, "updated"), "u"),
                event(3, "{\"id\":2}", "{\"id\":2}", "null", "d"));
        int written = SinkDriver.write(sink, events);
        if (sink.staging() != null) {
            sink.staging().commit(); // the roll interval passed
        }
        return written;
    }

    private static final String ROW = "{\"id\":%d,\"flag\":true,\"small\":7,\"price\":1234.5678,\"big\":12345678901234567890.123456789,\"ratio\":0.25,"
            + "\"born\":\"2024-02-29\",\"seen\":\"2024-02-29T13:45:30.123456\",\"at\":\"2024-02-29T11:45:30.123456Z\",\"doc\":{\"a\":[1,2.50]},"
            + "\"tags\":[\"x\",\"y\"],\"note\":\"%s\"}";

    /** A consumed record as the Kafka consumer hands it to a sink route. */
    private static ChangeEvent event(long offset, String key, String before, String after, String op) {
        return SinkDriver.record(TOPIC, 0, offset, null, key, SinkDriver.change(SCHEMA, "lake_types", op, before, after, 1000 + offset));
    }
}
