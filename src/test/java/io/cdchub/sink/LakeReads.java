package io.cdchub.sink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

import io.cdchub.testinfra.S3Server;
import io.cdchub.testinfra.TempDirs;
import io.delta.kernel.Scan;
import io.delta.kernel.Snapshot;
import io.delta.kernel.Table;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import org.apache.avro.Conversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.LocalInputFile;

/**
 * Reads what the file sinks wrote with the formats' own libraries, never with cdc-hub's code: Parquet files with
 * parquet-avro's {@link AvroParquetReader}, Delta tables with Delta Kernel's scan. Objects on the S3 server are first
 * copied to a local folder with the S3 API, then read the same way.
 */
final class LakeReads {

    private LakeReads() {
    }

    /** Every row of every {@code .parquet} file under a local folder or {@code s3://bucket/prefix}, as column -> value. */
    static List<Map<String, Object>> parquetRows(String location) {
        Path folder = local(location);
        List<Map<String, Object>> rows = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return rows;
        }
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".parquet")).sorted().toList()) {
                rows.addAll(parquetFile(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }

    /** One Parquet file's rows through parquet-avro, decimals as BigDecimal. */
    static List<Map<String, Object>> parquetFile(Path file) {
        GenericData model = new GenericData();
        model.addLogicalTypeConversion(new Conversions.DecimalConversion());
        model.addLogicalTypeConversion(new org.apache.avro.data.TimeConversions.DateConversion());
        model.addLogicalTypeConversion(new org.apache.avro.data.TimeConversions.TimestampMicrosConversion());
        model.addLogicalTypeConversion(new org.apache.avro.data.TimeConversions.LocalTimestampMicrosConversion());
        List<Map<String, Object>> rows = new ArrayList<>();
        try (ParquetReader<GenericRecord> reader = AvroParquetReader.<GenericRecord>builder(new LocalInputFile(file)).withDataModel(model).build()) {
            for (GenericRecord record = reader.read(); record != null; record = reader.read()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (org.apache.avro.Schema.Field field : record.getSchema().getFields()) {
                    Object value = record.get(field.name());
                    row.put(field.name(), value instanceof org.apache.avro.util.Utf8 ? value.toString() : value);
                }
                rows.add(row);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file + ": " + e.getMessage(), e);
        }
        return rows;
    }

    /** Every row of a Delta table (all its changes), as column -> value (dates, timestamps and decimals as text). */
    static List<Map<String, Object>> deltaRows(String location) {
        Path folder = local(location);
        List<Map<String, Object>> rows = new ArrayList<>();
        if (!Files.isDirectory(folder.resolve("_delta_log"))) {
            return rows;
        }
        Engine engine = DefaultEngine.create(deltaReadConfiguration());
        try {
            Snapshot snapshot = Table.forPath(engine, folder.toString()).getLatestSnapshot(engine);
            Scan scan = snapshot.getScanBuilder().build();
            Row scanState = scan.getScanState(engine);
            StructType physical = io.delta.kernel.internal.data.ScanStateRow.getPhysicalDataReadSchema(scanState);
            try (CloseableIterator<FilteredColumnarBatch> scanFiles = scan.getScanFiles(engine)) {
                while (scanFiles.hasNext()) {
                    try (CloseableIterator<Row> files = scanFiles.next().getRows()) {
                        while (files.hasNext()) {
                            Row scanFile = files.next();
                            FileStatus status = io.delta.kernel.internal.InternalScanFileUtils.getAddFileStatus(scanFile);
                            CloseableIterator<ColumnarBatch> data = engine.getParquetHandler()
                                    .readParquetFiles(io.delta.kernel.internal.util.Utils.singletonCloseableIterator(status), physical, Optional.empty())
                                    .map(io.delta.kernel.engine.FileReadResult::getData);
                            try (CloseableIterator<FilteredColumnarBatch> logical = Scan.transformPhysicalData(engine, scanState, scanFile, data)) {
                                while (logical.hasNext()) {
                                    try (CloseableIterator<Row> batch = logical.next().getRows()) {
                                        while (batch.hasNext()) {
                                            rows.add(deltaRow(batch.next()));
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }

    /** Hadoop's defaults (core-default.xml): the local file system as Hadoop ships it. */
    private static org.apache.hadoop.conf.Configuration deltaReadConfiguration() {
        return new org.apache.hadoop.conf.Configuration();
    }

    private static Map<String, Object> deltaRow(Row row) {
        Map<String, Object> values = new LinkedHashMap<>();
        StructType schema = row.getSchema();
        for (int i = 0; i < schema.length(); i++) {
            DataType type = schema.at(i).getDataType();
            Object value;
            if (row.isNullAt(i)) {
                value = null;
            } else if (type instanceof DecimalType) {
                value = row.getDecimal(i);
            } else if (type instanceof DateType) {
                value = java.time.LocalDate.ofEpochDay(row.getInt(i)).toString();
            } else if (type instanceof TimestampType) {
                value = java.time.Instant.EPOCH.plus(row.getLong(i), java.time.temporal.ChronoUnit.MICROS).toString();
            } else if (type instanceof TimestampNTZType) {
                value = java.time.LocalDateTime.ofEpochSecond(Math.floorDiv(row.getLong(i), 1_000_000), (int) Math.floorMod(row.getLong(i), 1_000_000) * 1000,
                        java.time.ZoneOffset.UTC).toString();
            } else {
                value = switch (type.toString()) {
                    case "boolean" -> row.getBoolean(i);
                    case "short" -> row.getShort(i);
                    case "integer" -> row.getInt(i);
                    case "long" -> row.getLong(i);
                    case "float" -> row.getFloat(i);
                    case "double" -> row.getDouble(i);
                    default -> row.getString(i);
                };
            }
            values.put(schema.at(i).getName(), value);
        }
        return values;
    }

    /**
     * The current rows of a change log: per key the change with the highest {@code _version} (LSN), then Kafka offset,
     * unless it is a delete; as id -> column -> value as text. {@code deleted} says whether a change is a delete.
     */
    static Map<String, Map<String, String>> currentRows(List<Map<String, Object>> changes, String key, List<String> columns,
            java.util.function.Predicate<Map<String, Object>> deleted, java.util.function.Function<Map<String, Object>, Map<String, Object>> extra) {
        Map<String, Map<String, Object>> latest = new TreeMap<>();
        Comparator<Map<String, Object>> order = Comparator.comparingLong((Map<String, Object> r) -> ((Number) r.get("_version")).longValue())
                .thenComparingLong(r -> ((Number) r.get("_kafka_offset")).longValue());
        for (Map<String, Object> change : changes) {
            latest.merge(String.valueOf(change.get(key)), change, (a, b) -> order.compare(a, b) >= 0 ? a : b);
        }
        Map<String, Map<String, String>> rows = new TreeMap<>();
        latest.forEach((id, change) -> {
            if (deleted.test(change)) {
                return;
            }
            Map<String, Object> all = new LinkedHashMap<>(extra.apply(change));
            all.putAll(change);
            Map<String, String> values = new LinkedHashMap<>();
            columns.forEach(c -> values.put(c, all.get(c) == null ? null : String.valueOf(all.get(c))));
            rows.put(id, values);
        });
        return rows;
    }

    /** Where S3 objects are copied to be read (one folder per test JVM, emptied before each copy). */
    private static final Path COPIES = copies();

    private static Path copies() {
        try {
            return TempDirs.create("cdc-hub-s3-copy-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A local folder for a location: itself, or a fresh copy of the S3 prefix's objects. */
    static synchronized Path local(String location) {
        if (!location.startsWith("s3://")) {
            return Path.of(location.startsWith("file:") ? location.substring("file:".length()) : location);
        }
        String bucket = location.substring(5).split("/", 2)[0];
        String prefix = location.substring(5 + bucket.length()).replaceFirst("^/", "");
        try {
            Path copy = COPIES.resolve(bucket);
            TempDirs.delete(copy);
            try (var s3 = S3Server.shared().client()) {
                for (var object : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
                    Path target = copy.resolve(object.key());
                    Files.createDirectories(target.getParent());
                    Files.write(target, s3.getObjectAsBytes(b -> b.bucket(bucket).key(object.key())).asByteArray());
                }
            }
            return prefix.isEmpty() ? copy : copy.resolve(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
