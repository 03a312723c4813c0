package io.cdchub.csvimport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.cdchub.source.CapturedTables;
import io.cdchub.source.SourceProperties;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.TempDirs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * The importer against a real PostgreSQL, without the route: created tables and their inferred types, a file that is
 * wholly in or not at all, the failing line, upsert on the primary key (and its refusal without one), encodings, a
 * byte order mark, headers that need quoting. The route, the folders and the capture: CsvImportIT.
 */
class CsvImporterIT {

    private static final String DB = RealServers.DATABASE;
    private static final String SCHEMA = "csvdirect";
    private static Path dir;

    @BeforeAll
    static void createSchema() throws IOException {
        PostgresServer.shared().createDatabase(DB);
        PostgresServer.shared().execute(DB, "DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE", "CREATE SCHEMA " + SCHEMA);
        dir = TempDirs.create("csv-importer-");
    }

    private static CsvImporter importer(String... keyValues) {
        Map<String, String> map = new HashMap<>();
        map.put("cdc.import.csv.dir", dir.toString());
        map.put("cdc.import.csv.schema", SCHEMA);
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put("cdc.import.csv." + keyValues[i], keyValues[i + 1]);
        }
        map.put("cdc.source.enabled", "false");
        Binder binder = new Binder(new MapConfigurationPropertySource(map));
        CsvImportProperties settings = binder.bindOrCreate("cdc.import.csv", Bindable.of(CsvImportProperties.class));
        settings.validate();
        SourceProperties source = binder.bindOrCreate("cdc.source", Bindable.of(SourceProperties.class));
        return new CsvImporter(settings, PostgresServer.shared().dataSource(DB), new CapturedTables(source, List.of()), new SimpleMeterRegistry());
    }

    private static Path write(String name, String content) throws IOException {
        return write(name, content, StandardCharsets.UTF_8);
    }

    private static Path write(String name, String content, Charset charset) throws IOException {
        return Files.write(dir.resolve(name), content.getBytes(charset));
    }

    private static List<List<String>> query(String sql) {
        try (Connection c = PostgresServer.shared().dataSource(DB).getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            List<List<String>> rows = new ArrayList<>();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.add(rs.getString(i));
                }
                rows.add(row);
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<List<String>> columnsOf(String table) {
        return query("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = '" + SCHEMA
                + "' AND table_name = '" + table + "' ORDER BY ordinal_position");
    }

    private static boolean exists(String table) {
        return !query("SELECT 1 FROM pg_tables WHERE schemaname = '" + SCHEMA + "' AND tablename = '" + table + "'").isEmpty();
    }

    @Test
    void aNewTableGetsTheInferredTypesAndThePrimaryKey() throws IOException {
        Path file = write("klienci.csv", """
                id,Imię,miasto,saldo,aktywny,data rejestracji,ostatnie logowanie,strefa
                1,Anna,"Kraków, Stare Miasto",120.50,true,2024-01-15,2024-03-01 08:15:00,2024-03-01T08:15:00+01:00
                2,"Jan ""Janek""\",Gdańsk,-3,false,2023-12-01,2024-03-02 17:45:30.25,2024-03-02T17:45:30Z
                3,Ewa,,,,,,
                """);

        CsvImporter.Result result = importer().load(file, "klienci");

        assertThat(result).isEqualTo(new CsvImporter.Result(3, true));
        assertThat(columnsOf("klienci")).containsExactly(
                List.of("id", "integer"), List.of("imię", "text"), List.of("miasto", "text"), List.of("saldo", "numeric"),
                List.of("aktywny", "boolean"), List.of("data_rejestracji", "date"),
                List.of("ostatnie_logowanie", "timestamp without time zone"), List.of("strefa", "timestamp with time zone"));
        assertThat(query("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                + " WHERE i.indrelid = '" + SCHEMA + ".klienci'::regclass AND i.indisprimary")).containsExactly(List.of("id"));
        assertThat(query("SELECT id, \"imię\", miasto, saldo, aktywny FROM " + SCHEMA + ".klienci ORDER BY id")).containsExactly(
                List.of("1", "Anna", "Kraków, Stare Miasto", "120.50", "t"),
                List.of("2", "Jan \"Janek\"", "Gdańsk", "-3", "f"),
                java.util.Arrays.asList("3", "Ewa", null, null, null));
    }

    @Test
    void aBadRowFailsTheWholeFileNamingItsLine() throws IOException {
        StringBuilder csv = new StringBuilder("id,amount\n");
        for (int i = 1; i <= 20; i++) {
            csv.append(i).append(',').append(i == 15 ? "twelve" : String.valueOf(i * 10)).append('\n');
        }
        Path file = write("bad_amounts.csv", csv.toString());

        // the sample (5 rows) says integer; line 16 (the 15th row) is not: nothing of the file stays, not even the table
        assertThatThrownBy(() -> importer("sample-rows", "5").load(file, "bad_amounts"))
                .isInstanceOfSatisfying(CsvImportException.class, e -> {
                    assertThat(e.line()).isEqualTo(16);
                    assertThat(e.getMessage()).contains("invalid input syntax for type integer", "twelve");
                });
        assertThat(exists("bad_amounts")).isFalse();

        PostgresServer.shared().execute(DB, "CREATE TABLE " + SCHEMA + ".kept (id int PRIMARY KEY, name text)",
                "INSERT INTO " + SCHEMA + ".kept VALUES (1, 'already there')");
        Path short_ = write("kept.csv", "id,name\n2,two\n3\n4,four\n");
        assertThatThrownBy(() -> importer().load(short_, "kept")).isInstanceOfSatisfying(CsvImportException.class, e -> {
            assertThat(e.line()).isEqualTo(3);
            assertThat(e.getMessage()).contains("missing data for column \"name\"");
        });
        assertThat(query("SELECT count(*) FROM " + SCHEMA + ".kept")).containsExactly(List.of("1"));
    }

    @Test
    void anExistingTableIsUsedAsItIsAndItsColumnsMatchedByName() throws IOException {
        PostgresServer.shared().execute(DB, "CREATE TABLE " + SCHEMA + ".produkty (id bigint PRIMARY KEY, \"Nazwa\" varchar(40),"
                + " cena numeric(10,2), dodano timestamptz DEFAULT now())");
        Path file = write("produkty.csv", "Nazwa;id;cena\n\"Chleb; żytni\";1;4.5\nMasło;2;7.99\n");

        assertThat(importer("delimiter", ";").load(file, "produkty")).isEqualTo(new CsvImporter.Result(2, false));

        assertThat(columnsOf("produkty")).extracting(c -> c.get(1)).containsExactly("bigint", "character varying", "numeric",
                "timestamp with time zone");
        assertThat(query("SELECT id, \"Nazwa\", cena, dodano IS NOT NULL FROM " + SCHEMA + ".produkty ORDER BY id"))
                .containsExactly(List.of("1", "Chleb; żytni", "4.50", "t"), List.of("2", "Masło", "7.99", "t"));
    }

    @Test
    void upsertReplacesRowsByPrimaryKeyInOneTransaction() throws IOException {
        PostgresServer.shared().execute(DB, "CREATE TABLE " + SCHEMA + ".ceny (sku text, sklep int, cena numeric, PRIMARY KEY (sku, sklep))",
                "INSERT INTO " + SCHEMA + ".ceny VALUES ('a', 1, 10), ('b', 1, 20)");
        Path file = write("ceny.csv", "sku,sklep,cena\nb,1,21\nc,1,30\na,2,11\n");

        assertThat(importer("mode", "upsert").load(file, "ceny").rows()).isEqualTo(3);

        assertThat(query("SELECT sku, sklep, cena FROM " + SCHEMA + ".ceny ORDER BY sku, sklep")).containsExactly(
                List.of("a", "1", "10"), List.of("a", "2", "11"), List.of("b", "1", "21"), List.of("c", "1", "30"));
        assertThat(query("SELECT count(*) FROM pg_class WHERE relname = 'cdc_hub_csv_stage'")).containsExactly(List.of("0"));
    }

    @Test
    void upsertIsRefusedWithoutAPrimaryKeyOrWithoutItsColumns() throws IOException {
        Path keyless = write("bez_klucza.csv", "kod,ile\nx,1\n");
        assertThatThrownBy(() -> importer("mode", "upsert").load(keyless, "bez_klucza"))
                .isInstanceOf(CsvImportException.class).hasMessageContaining("has no primary key");
        assertThat(exists("bez_klucza")).isFalse();

        PostgresServer.shared().execute(DB, "CREATE TABLE " + SCHEMA + ".keyed (id int PRIMARY KEY, v text)");
        Path withoutKey = write("keyed.csv", "v\nx\n");
        assertThatThrownBy(() -> importer("mode", "upsert").load(withoutKey, "keyed"))
                .isInstanceOf(CsvImportException.class).hasMessageContaining("no column for primary key column(s) [id]");
    }

    @Test
    void otherEncodingsAByteOrderMarkAndNoHeaderRow() throws IOException {
        Path cp1250 = write("osoby.csv", "id|nazwisko\n1|Żółć\n2|'Łódź|x'\n", Charset.forName("windows-1250"));
        importer("encoding", "windows-1250", "delimiter", "|", "quote", "'").load(cp1250, "osoby");
        assertThat(query("SELECT nazwisko FROM " + SCHEMA + ".osoby ORDER BY id")).containsExactly(List.of("Żółć"), List.of("Łódź|x"));

        Path bom = dir.resolve("bom.csv");
        Files.write(bom, ("\uFEFFid,name\n1,x\n").getBytes(StandardCharsets.UTF_8));
        importer().load(bom, "bom");
        assertThat(columnsOf("bom")).extracting(c -> c.get(0)).containsExactly("id", "name");

        Path headless = write("surowe.csv", "1,2024-05-01,a\n2,2024-05-02,b\n");
        importer("header", "false").load(headless, "surowe");
        assertThat(columnsOf("surowe")).containsExactly(List.of("column_1", "integer"), List.of("column_2", "date"), List.of("column_3", "text"));
        Path more = write("surowe2.csv", "3,2024-05-03,c\n");
        importer("header", "false").load(more, "surowe");
        assertThat(query("SELECT count(*) FROM " + SCHEMA + ".surowe")).containsExactly(List.of("3"));
    }

    @Test
    void unusableHeadersAndEmptyFilesAreRefusedWithTheReason() throws IOException {
        Path injected = write("zle.csv", "id,\"x\"\"); drop table y; --\"\n1,2\n");
        assertThatThrownBy(() -> importer().load(injected, "zle")).isInstanceOf(CsvImportException.class)
                .hasMessageContaining("header column 2").hasMessageContaining("not a valid column name");
        Path twice = write("dwa.csv", "id,ID\n1,2\n");
        assertThatThrownBy(() -> importer().load(twice, "dwa")).hasMessageContaining("names column 'id' twice");
        Path empty = write("pusty.csv", "");
        assertThatThrownBy(() -> importer().load(empty, "pusty")).hasMessageContaining("the file is empty");
        assertThat(exists("zle")).isFalse();
    }
}
