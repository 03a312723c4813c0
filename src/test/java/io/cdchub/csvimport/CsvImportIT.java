package io.cdchub.csvimport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.cdchub.testinfra.InProcessApp;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TempDirs;
import io.cdchub.testinfra.TopicReader;
import io.cdchub.testinfra.TopicReader.Event;
import io.micrometer.core.instrument.MeterRegistry;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The CSV import as it runs: cdc-hub captures a fixed list of tables (cdc.source.tables names one table, not a
 * pattern), and files dropped into the watched folder while it runs create tables whose rows reach Kafka, because the
 * include list and the publication follow the tables the import creates. Done files move to .done/, failed ones to
 * .failed/ with a .error file; the counters follow.
 */
class CsvImportIT {

    private static final String SCHEMA = "csvin";
    private static ConfigurableApplicationContext app;
    private static Path dir;
    private static Path staging;

    @BeforeAll
    static void start() throws IOException {
        Map<String, String> settings = RealServers.sourceSettings(SCHEMA, "CREATE TABLE csvin.existing_items (id int PRIMARY KEY, name text)");
        settings.put("cdc.source.tables", "csvin\\.existing_items"); // a fixed list: the imported tables are not in it
        dir = TempDirs.create("csv-import-in-");
        staging = TempDirs.create("csv-import-staging-");
        settings.put("cdc.import.csv.dir", dir.toString());
        settings.put("cdc.import.csv.schema", SCHEMA);
        // longer than the pauses of aFileStillBeingWrittenIsNotReadUntilItStopsGrowing's writer, even on a loaded machine
        settings.put("cdc.import.csv.stable-for", "1500ms");
        settings.put("cdc.import.csv.poll-interval", "200ms");
        app = InProcessApp.start(settings);
        // the source streams: a change of the configured table arrives
        PostgresServer.shared().execute(RealServers.DATABASE, "INSERT INTO csvin.existing_items VALUES (1, 'before the import')");
        TopicReader.awaitCount("csvin.csvin.existing_items", 1);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    /** Writes the file elsewhere and renames it into the folder, as a well-behaved producer does. */
    private static void drop(String name, String content) throws IOException {
        Path written = Files.writeString(staging.resolve(name), content, StandardCharsets.UTF_8);
        Files.move(written, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    private static Path awaitFile(Path path) {
        Awaitility.await(path.toString()).atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> Files.exists(path));
        return path;
    }

    @Test
    void rowsOfAFileDroppedWhileTheAppRunsReachKafka() throws IOException {
        drop("klienci.csv", """
                id,imie,miasto,saldo,aktywny,data_rejestracji
                1,Anna,Kraków,120.50,true,2024-01-15
                2,Jan,Gdańsk,-3,false,2023-12-01
                3,Ewa,Poznań,0,true,2024-02-29
                """);

        awaitFile(dir.resolve(".done/klienci.csv"));
        assertThat(dir.resolve("klienci.csv")).doesNotExist();
        List<Event> events = TopicReader.awaitCount("csvin.csvin.klienci", 3);
        assertThat(events).extracting(Event::op).containsOnly("c");
        assertThat(events).extracting(e -> e.key().path("id").asInt()).containsExactlyInAnyOrder(1, 2, 3);
        Event anna = events.stream().filter(e -> e.after().path("id").asInt() == 1).findFirst().orElseThrow();
        assertThat(anna.after().path("imie").asText()).isEqualTo("Anna");
        assertThat(anna.after().path("saldo").decimalValue()).isEqualByComparingTo("120.50");
        assertThat(anna.after().path("aktywny").asBoolean()).isTrue();
        assertThat(anna.after().path("data_rejestracji").asText()).isEqualTo("2024-01-15");
        assertThat(publicationTables()).contains("klienci");

        // the next file of the same name goes into the same table, and replaces the first one in .done/
        drop("klienci.csv", "id,imie,miasto,saldo,aktywny,data_rejestracji\n4,Olek,Łódź,1.5,false,2024-03-01\n");
        assertThat(TopicReader.awaitCount("csvin.csvin.klienci", 4).get(3).after().path("miasto").asText()).isEqualTo("Łódź");
        Awaitility.await("second file done").atMost(Duration.ofSeconds(60))
                .until(() -> !Files.exists(dir.resolve("klienci.csv")) && Files.readString(dir.resolve(".done/klienci.csv")).contains("Olek"));
    }

    @Test
    void aFileStillBeingWrittenIsNotReadUntilItStopsGrowing() throws Exception {
        // a producer writing straight into the folder, a row every 100 ms: read early, the file would be loaded in part
        Path file = dir.resolve("rosnacy.csv");
        java.io.BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        writer.write("id,v\n");
        writer.flush();
        int rows = 40;
        java.util.concurrent.atomic.AtomicInteger written = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ScheduledExecutorService producer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        producer.scheduleAtFixedRate(() -> {
            int row = written.incrementAndGet();
            try {
                if (row <= rows) {
                    writer.write(row + ",row " + row + "\n");
                    writer.flush();
                }
                if (row == rows) {
                    writer.close();
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, 100, 100, java.util.concurrent.TimeUnit.MILLISECONDS);
        try {
            Awaitility.await("the producer wrote every row").atMost(Duration.ofSeconds(120)).until(() -> written.get() >= rows);
        } finally {
            producer.shutdown();
        }
        awaitFile(dir.resolve(".done/rosnacy.csv"));
        assertThat(query("SELECT count(*) FROM csvin.rosnacy")).as("loaded once, whole").isEqualTo(String.valueOf(rows));
        assertThat(dir.resolve(".failed/rosnacy.csv")).doesNotExist();
        assertThat(TopicReader.awaitCount("csvin.csvin.rosnacy", rows)).hasSize(rows);
    }

    @Test
    void aFileIntoAnExistingCapturedTableIsCapturedToo() throws IOException {
        drop("existing_items.csv", "id,name\n2,from a file\n3,from a file too\n");
        awaitFile(dir.resolve(".done/existing_items.csv"));
        List<Event> events = TopicReader.await("csvin.csvin.existing_items", list -> list.size() >= 3);
        assertThat(events).extracting(e -> e.after().path("name").asText()).contains("from a file", "from a file too");
    }

    @Test
    void aFailedFileMovesToFailedWithTheLineAndTheReasonAndNothingOfItIsLoaded() throws IOException {
        drop("zamowienia.csv", "id,ilosc\n1,5\n2\n3,7\n");

        Path error = awaitFile(dir.resolve(".failed/zamowienia.csv.error"));
        assertThat(dir.resolve(".failed/zamowienia.csv")).exists();
        assertThat(error).content().contains("file: zamowienia.csv", "table: csvin.zamowienia", "line: 3",
                "missing data for column \"ilosc\"");
        assertThat(query("SELECT count(*) FROM pg_tables WHERE schemaname = 'csvin' AND tablename = 'zamowienia'")).isEqualTo("0");

        drop("2024 raport.csv", "id\n1\n");
        assertThat(awaitFile(dir.resolve(".failed/2024 raport.csv.error"))).content().contains("makes no valid table name");
    }

    @Test
    void countersFollowTheFiles() throws IOException {
        drop("licznik.csv", "id,v\n1,a\n2,b\n");
        awaitFile(dir.resolve(".done/licznik.csv"));
        MeterRegistry registry = app.getBean(MeterRegistry.class);
        Awaitility.await("counters").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(registry.get("cdc.import.csv.files").tag("outcome", "done").counter().count()).isGreaterThanOrEqualTo(1);
            assertThat(registry.get("cdc.import.csv.rows").counter().count()).isGreaterThanOrEqualTo(2);
        });
        drop("licznik_zly.csv", "id,v\n1,a\n1,b\n"); // the same key twice
        awaitFile(dir.resolve(".failed/licznik_zly.csv.error"));
        Awaitility.await("failure counted").atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(registry.get("cdc.import.csv.files").tag("outcome", "failed").counter().count()).isPositive());
    }

    private static List<String> publicationTables() {
        try (Connection c = PostgresServer.shared().dataSource(RealServers.DATABASE).getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT tablename FROM pg_publication_tables WHERE pubname = 'it_csvin_pub'")) {
            List<String> tables = new java.util.ArrayList<>();
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
            return tables;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String query(String sql) {
        try (Connection c = PostgresServer.shared().dataSource(RealServers.DATABASE).getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
