package io.cdchub.sink.iceberg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

import io.cdchub.testinfra.AppProcess;
import io.cdchub.testinfra.KafkaServer;
import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.S3Server;
import io.cdchub.testinfra.TempDirs;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.ContentFile;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.awaitility.core.ConditionTimeoutException;

/**
 * What {@link IcebergCrashIT} and {@link IcebergReplayIT} share: cdc-hub in a child JVM ({@link AppProcess}) with only the
 * Iceberg sink on, on a local folder (Hadoop catalog) or on the S3 server (JDBC catalog in PostgreSQL), and the table read
 * back only with Iceberg's own catalog and generic reader, built here from the same settings the child gets. The machine
 * running these may be heavily loaded (a child's start-up took 166 s once): waits are long.
 */
final class IcebergChildApp {

    private IcebergChildApp() {
    }

    enum Store { LOCAL, S3 }

    static final String CATALOG = "cdc_hub";
    static final String BUCKET = "iceberg-crash";
    static final List<String> COLUMNS = List.of("name", "qty");

    /** The child's settings for the store, the same catalog for this JVM's checks, and where the store keeps its files on disk. */
    record Warehouse(Map<String, String> settings, Catalog catalog, Path files) {
    }

    static Warehouse warehouse(Store store, String name) throws IOException {
        Map<String, String> settings = new LinkedHashMap<>();
        Map<String, String> catalog = new HashMap<>();
        Path files;
        if (store == Store.LOCAL) {
            files = TempDirs.create("cdc-hub-iceberg-crash-").resolve("warehouse");
            settings.put("cdc.sink.iceberg.catalog.type", "hadoop");
            settings.put("cdc.sink.iceberg.warehouse", files.toString());
            catalog.put(CatalogUtil.ICEBERG_CATALOG_TYPE, "hadoop");
            catalog.put("warehouse", files.toString());
            catalog.put("io-impl", "org.apache.iceberg.hadoop.HadoopFileIO");
        } else {
            S3Server s3 = S3Server.shared();
            s3.createBucket(BUCKET);
            files = s3.bucketDir(BUCKET).resolve(name);
            PostgresServer pg = PostgresServer.shared();
            String uri = "jdbc:postgresql://" + pg.host() + ":" + pg.port() + "/" + RealServers.DATABASE;
            String location = "s3://" + BUCKET + "/" + name;
            settings.put("cdc.sink.iceberg.catalog.type", "jdbc");
            settings.put("cdc.sink.iceberg.catalog.uri", uri);
            settings.put("cdc.sink.iceberg.catalog.user", PostgresServer.USER);
            settings.put("cdc.sink.iceberg.warehouse", location);
            for (String property : s3.properties("cdc.sink.iceberg")) {
                int eq = property.indexOf('=');
                settings.put(property.substring(0, eq), property.substring(eq + 1));
            }
            catalog.put(CatalogUtil.ICEBERG_CATALOG_TYPE, "jdbc");
            catalog.put("uri", uri);
            catalog.put("jdbc.user", PostgresServer.USER);
            catalog.put("jdbc.schema-version", "V1");
            catalog.put("warehouse", location);
            catalog.put("io-impl", "org.apache.iceberg.aws.s3.S3FileIO");
            catalog.put("s3.endpoint", s3.endpoint());
            catalog.put("client.region", S3Server.REGION);
            catalog.put("s3.path-style-access", "true");
            catalog.put("s3.access-key-id", S3Server.ACCESS_KEY);
            catalog.put("s3.secret-access-key", S3Server.SECRET_KEY);
            catalog.put("http-client.type", "apache");
        }
        return new Warehouse(settings, CatalogUtil.buildIcebergCatalog(CATALOG, catalog, new org.apache.hadoop.conf.Configuration()), files);
    }

    /** cdc-hub capturing schema {@code name} into topics {@code name.name.*}, only the Iceberg sink on, namespace {@code name}. */
    static Map<String, String> appSettings(String name, Warehouse warehouse) {
        Map<String, String> settings = RealServers.sourceSettings(name, "CREATE TABLE " + name + ".items (id int PRIMARY KEY, name text NOT NULL, qty int)");
        settings.put("cdc.sink.iceberg.enabled", "true");
        settings.put("cdc.sink.iceberg.namespace", name);
        settings.put("cdc.sink.iceberg.group-id", name + "-iceberg");
        settings.put("cdc.sink.iceberg.batch-size", "500");
        settings.put("cdc.sink.iceberg.linger-ms", "100");
        settings.put("cdc.sink.iceberg.commit-interval", "1s");
        settings.putAll(warehouse.settings());
        return settings;
    }

    static String name(String test, Store store) {
        return test + "_" + store.name().toLowerCase(java.util.Locale.ROOT);
    }

    static ConditionFactory await(String what) {
        return Awaitility.await(what).atMost(Duration.ofSeconds(600)).pollInterval(Duration.ofMillis(500)).ignoreExceptions();
    }

    /** {@link #await} until the table's rows match, and on a timeout the end of the child's log: why it did not get there. */
    static void awaitRows(AppProcess app, String what, Catalog catalog, TableIdentifier id, Predicate<Map<String, Map<String, String>>> match) {
        try {
            await(what).until(() -> rows(catalog, id), match);
        } catch (ConditionTimeoutException e) {
            String log;
            try {
                log = app.log();
            } catch (IOException unreadable) {
                log = "(unreadable: " + unreadable + ")";
            }
            throw new AssertionError(e.getMessage() + "\nthe end of the child cdc-hub's log:\n" + log.substring(Math.max(0, log.length() - 20_000)), e);
        }
    }

    static void sql(String... statements) {
        PostgresServer.shared().execute(RealServers.DATABASE, statements);
    }

    /** PostgreSQL's rows: id -> column -> value as text. */
    static Map<String, Map<String, String>> pgRows(String schema) {
        Map<String, Map<String, String>> rows = new TreeMap<>();
        try (Connection connection = PostgresServer.shared().dataSource(RealServers.DATABASE).getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT id, name, qty FROM " + schema + ".items")) {
            while (result.next()) {
                Map<String, String> values = new LinkedHashMap<>();
                values.put("name", result.getString("name"));
                values.put("qty", result.getString("qty"));
                rows.put(result.getString("id"), values);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        return rows;
    }

    /** The table's current rows through Iceberg's generic reader (deletes applied), in the form of {@link #pgRows}. */
    static Map<String, Map<String, String>> rows(Catalog catalog, TableIdentifier id) {
        Map<String, Map<String, String>> rows = new TreeMap<>();
        for (Record record : records(catalog.loadTable(id))) {
            Map<String, String> values = new LinkedHashMap<>();
            for (String column : COLUMNS) {
                Object value = record.getField(column);
                values.put(column, value == null ? null : value.toString());
            }
            rows.put(String.valueOf(record.getField("id")), values);
        }
        return rows;
    }

    static int recordCount(Table table) {
        return records(table).size();
    }

    static List<Record> records(Table table) {
        List<Record> records = new ArrayList<>();
        try (CloseableIterable<Record> all = IcebergGenerics.read(table).build()) {
            all.forEach(r -> records.add(r.copy()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return records;
    }

    static List<Long> snapshotIds(Table table) {
        List<Long> ids = new ArrayList<>();
        table.snapshots().forEach(s -> ids.add(s.snapshotId()));
        return ids;
    }

    /** The names of the data and delete files any snapshot of the table added. */
    static Set<String> referencedFiles(Table table) {
        Set<String> names = new HashSet<>();
        for (Snapshot snapshot : table.snapshots()) {
            for (ContentFile<?> file : snapshot.addedDataFiles(table.io())) {
                names.add(fileName(file.location()));
            }
            for (ContentFile<?> file : snapshot.addedDeleteFiles(table.io())) {
                names.add(fileName(file.location()));
            }
        }
        return names;
    }

    /** The names of the Parquet files under the store's folder on disk. */
    static Set<String> filesOnDisk(Path root) throws IOException {
        Set<String> names = new HashSet<>();
        if (!Files.exists(root)) {
            return names;
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".parquet")).forEach(names::add);
        }
        return names;
    }

    static String fileName(String location) {
        return location.substring(location.lastIndexOf('/') + 1);
    }

    /** Sets the (empty) consumer group's offsets back to the start of every partition of the topic. */
    static void rewind(String group, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaServer.shared().bootstrapServers()))) {
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                earliest.put(new TopicPartition(topic, p), OffsetSpec.earliest());
            }
            Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
            admin.listOffsets(earliest).all().get().forEach((tp, info) -> start.put(tp, new OffsetAndMetadata(info.offset())));
            // the group is empty once the app stopped; Kafka may take a moment to see its member gone
            await("the consumer group rewound").until(() -> {
                admin.alterConsumerGroupOffsets(group, start).all().get();
                return true;
            });
        }
    }
}
