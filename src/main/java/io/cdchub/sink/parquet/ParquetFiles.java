package io.cdchub.sink.parquet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import io.cdchub.sink.lakehouse.LakeColumn;
import org.apache.iceberg.Schema;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.io.FileAppender;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * Writes Parquet files through Iceberg's Parquet writer (parquet-hadoop underneath) and an Iceberg {@link FileIO}, so a
 * local folder and an S3 bucket take the same code path. Column kinds become these Parquet types (logical types in
 * brackets):
 *
 * <table>
 * <caption>Column kinds to Parquet</caption>
 * <tr><th>kind</th><th>Parquet</th></tr>
 * <tr><td>BOOLEAN</td><td>boolean</td></tr>
 * <tr><td>INT / LONG</td><td>int32 / int64</td></tr>
 * <tr><td>FLOAT / DOUBLE</td><td>float / double</td></tr>
 * <tr><td>DECIMAL(p,s)</td><td>int32, int64 or fixed_len_byte_array (DECIMAL(p,s)), exact</td></tr>
 * <tr><td>STRING</td><td>binary (STRING)</td></tr>
 * <tr><td>DATE</td><td>int32 (DATE)</td></tr>
 * <tr><td>TIMESTAMP</td><td>int64 (TIMESTAMP(MICROS, isAdjustedToUTC=false))</td></tr>
 * <tr><td>TIMESTAMPTZ</td><td>int64 (TIMESTAMP(MICROS, isAdjustedToUTC=true))</td></tr>
 * </table>
 * Every column is optional (nullable): a delete carries only the key.
 */
final class ParquetFiles {

    private final FileIO io;
    private final String compression;

    ParquetFiles(FileIO io, String compression) {
        this.io = io;
        this.compression = compression;
    }

    /** The Iceberg schema (field ids 1..n) of these columns. */
    static Schema schema(List<LakeColumn> columns) {
        List<Types.NestedField> fields = new ArrayList<>(columns.size());
        for (int i = 0; i < columns.size(); i++) {
            fields.add(Types.NestedField.optional(i + 1, columns.get(i).name(), type(columns.get(i))));
        }
        return new Schema(fields);
    }

    static Type type(LakeColumn column) {
        return switch (column.kind()) {
            case BOOLEAN -> Types.BooleanType.get();
            case INT -> Types.IntegerType.get();
            case LONG -> Types.LongType.get();
            case FLOAT -> Types.FloatType.get();
            case DOUBLE -> Types.DoubleType.get();
            case DECIMAL -> Types.DecimalType.of(column.precision(), column.scale());
            case STRING -> Types.StringType.get();
            case DATE -> Types.DateType.get();
            case TIMESTAMP -> Types.TimestampType.withoutZone();
            case TIMESTAMPTZ -> Types.TimestampType.withZone();
        };
    }

    /** A record of the schema from values in column order ({@link LakeColumn#value} forms). */
    static Record record(Schema schema, Object[] values) {
        GenericRecord record = GenericRecord.create(schema);
        for (int i = 0; i < values.length; i++) {
            Object value = values[i];
            record.set(i, value instanceof Instant instant ? OffsetDateTime.ofInstant(instant, ZoneOffset.UTC) : value);
        }
        return record;
    }

    /** Opens a file for writing, replacing what is there (a replayed batch overwrites its own file). */
    FileAppender<Record> open(String location, Schema schema) {
        try {
            return Parquet.write(io.newOutputFile(location))
                    .schema(schema)
                    .createWriterFunc(GenericParquetWriter::create)
                    .set(TableProperties.PARQUET_COMPRESSION, compression)
                    .overwrite()
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open " + location + " for writing: " + e.getMessage(), e);
        }
    }

    /** Writes all records into one file at {@code location}, replacing it. */
    void write(String location, Schema schema, List<Record> records) {
        FileAppender<Record> appender = open(location, schema);
        try (appender) {
            appender.addAll(records);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + location + ": " + e.getMessage(), e);
        }
    }

    FileIO io() {
        return io;
    }
}
