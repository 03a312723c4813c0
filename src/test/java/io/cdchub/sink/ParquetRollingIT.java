package io.cdchub.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Parquet sink's change files roll by size or time, not by batch: many small batches go into one file until the
 * roll interval (the sink's commit) or {@code roll-size-bytes}; a file is named by its first offset. A crash (the sink
 * dropped without its commit) leaves nothing visible of the uncommitted batches, and the restart (reading again from the
 * offset after the last commit, in other batch sizes) writes every change once. Read back with parquet-avro; the sink is
 * driven as the runner drives it (prepare, write each request, commit at the interval). On a local folder and on S3.
 */
class ParquetRollingIT {

    private static final String SCHEMA = "lakeroll";
    private static final String TOPIC = "lakeroll.lakeroll.items";

    static {
        PostgresServer pg = PostgresServer.shared();
        pg.createDatabase(RealServers.DATABASE);
        pg.execute(RealServers.DATABASE, "CREATE SCHEMA IF NOT EXISTS " + SCHEMA,
                "CREATE TABLE IF NOT EXISTS " + SCHEMA + ".items (id bigint PRIMARY KEY, note text)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "s3"})
    void smallBatchesShareAFileUntilItRollsAndACrashLosesAndDuplicatesNothing(String storage) throws Exception {
        String path = S3Server.location(storage, "lakeroll", "run");
        ParquetSettings settings = new ParquetSettings(true, path, S3Server.shared().settings(), "raw", List.of(), null, "g", 100, 1000,
                60000, 500000, 1048576L, "snappy", Map.of(), Map.of());
        LakehouseStorage store = settings.storage();
        String table = store.resolve("raw", "items");
        try (var io = LakehouseFileIO.open(store)) {
            // 20 batches of 5 small changes, then the roll interval passes: one file
            ParquetSink sink = new ParquetSink(settings, new LakeTableColumns(catalog()), io, store.location());
            for (long offset = 0; offset < 100; offset += 5) {
                write(sink, offset, offset + 5, 10);
            }
            assertThat(fileNames(table)).as("nothing visible before the roll").isEmpty();
            sink.staging().commit();
            assertThat(fileNames(table)).containsExactly(name(0));
            assertThat(offsets(table)).isEqualTo(range(0, 100));

            // 2500 changes of 1.5 KB (incompressible) in batches of 100: files close at 1 MiB (checked every 1000 rows)
            for (long offset = 100; offset < 2600; offset += 100) {
                write(sink, offset, offset + 100, 1500);
            }
            sink.staging().commit();
            assertThat(fileNames(table)).containsExactly(name(0), name(100), name(1100), name(2100));
            assertThat(offsets(table)).isEqualTo(range(0, 2600));

            // a crash: batches written, no commit (so no Kafka commit either), the process gone
            ParquetSink crashed = new ParquetSink(settings, new LakeTableColumns(catalog()), io, store.location());
            for (long offset = 2600; offset < 2700; offset += 10) {
                write(crashed, offset, offset + 10, 10);
            }
            assertThat(fileNames(table)).as("nothing of the uncommitted batches visible").hasSize(4);

            // the restart reads again from offset 2600 (cut into other batches) and goes on
            ParquetSink restarted = new ParquetSink(settings, new LakeTableColumns(catalog()), io, store.location());
            for (long offset = 2600; offset < 2720; offset += 30) {
                write(restarted, offset, offset + 30, 10);
            }
            restarted.staging().commit();
            assertThat(fileNames(table)).containsExactly(name(0), name(100), name(1100), name(2100), name(2600));
            assertThat(offsets(table)).as("every change once").isEqualTo(range(0, 2720));
        }
    }

    private static String name(long firstOffset) {
        return "dt=2024-02-29/hour=11/" + TOPIC + "-0-" + String.format("%020d", firstOffset) + ".parquet";
    }

    private static List<Long> range(long from, long to) {
        return LongStream.range(from, to).boxed().toList();
    }

    /** The Kafka offsets of every row of every file, read with parquet-avro, sorted. */
    private static List<Long> offsets(String table) {
        return LakeReads.parquetRows(table).stream().map(r -> (Long) r.get(ParquetSink.KAFKA_OFFSET)).sorted().toList();
    }

    private static List<String> fileNames(String table) throws Exception {
        Path local = LakeReads.local(table);
        if (!Files.isDirectory(local)) {
            return List.of();
        }
        try (var files = Files.walk(local)) {
            return files.filter(Files::isRegularFile).map(f -> local.relativize(f).toString()).sorted().toList();
        }
    }

    private static PostgresColumns catalog() {
        PostgresServer pg = PostgresServer.shared();
        return new PostgresColumns(new SourceProperties.Database(pg.host(), pg.port(), RealServers.DATABASE, PostgresServer.USER, "", "disable"));
    }

    /** Prepares and writes records [from, to) as one batch, as the runner does; each row's note has noteLength random letters. */
    private static void write(Sink<ParquetSink.Item> sink, long from, long to, int noteLength) {
        List<ChangeEvent> events = new ArrayList<>();
        for (long offset = from; offset < to; offset++) {
            Random random = new Random(offset);
            StringBuilder note = new StringBuilder(noteLength);
            for (int i = 0; i < noteLength; i++) {
                note.append((char) ('a' + random.nextInt(26)));
            }
            events.add(SinkDriver.record(TOPIC, 0, offset, null, "{\"id\":" + offset + "}",
                    SinkDriver.change(SCHEMA, "items", "c", "null", "{\"id\":" + offset + ",\"note\":\"" + note + "\"}", 1000 + offset)));
        }
        SinkDriver.write(sink, events);
    }
}
