package io.cdchub.sink.iceberg;

import java.io.IOException;

import org.apache.iceberg.FileFormat;
import org.apache.iceberg.Schema;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericFileWriterFactory;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.BaseTaskWriter;
import org.apache.iceberg.io.OutputFileFactory;

/**
 * One commit's files for one unpartitioned table: rows, and equality deletes by the identifier fields, through Iceberg's
 * {@link BaseTaskWriter.BaseEqualityDeltaWriter} (as Iceberg's Flink and Kafka Connect sinks write upserts). A key written
 * and then deleted or replaced in the same commit becomes a position delete of that row; any other a delete by key.
 * A table without identifier fields is written by {@link #appender}: rows only appended.
 */
final class IcebergDeltaWriter extends BaseTaskWriter<Record> {

    private final RowWriter writer;

    IcebergDeltaWriter(Table table, Schema schema, Schema keySchema, long targetFileSize, long commitNumber) {
        super(table.spec(), FileFormat.PARQUET, factory(table, schema, keySchema),
                OutputFileFactory.builderFor(table, 1, commitNumber).format(FileFormat.PARQUET)
                        .operationId(java.util.UUID.randomUUID().toString()).build(),
                table.io(), targetFileSize);
        this.writer = new RowWriter(schema, keySchema);
    }

    /** Appends rows only: for a table without a primary key (a log of its changes). */
    static org.apache.iceberg.io.TaskWriter<Record> appender(Table table, Schema schema, long targetFileSize, long commitNumber) {
        return new org.apache.iceberg.io.UnpartitionedWriter<>(table.spec(), FileFormat.PARQUET, factory(table, schema, null),
                OutputFileFactory.builderFor(table, 1, commitNumber).format(FileFormat.PARQUET)
                        .operationId(java.util.UUID.randomUUID().toString()).build(), table.io(), targetFileSize);
    }

    static GenericFileWriterFactory factory(Table table, Schema schema, Schema keySchema) {
        GenericFileWriterFactory.Builder builder = new GenericFileWriterFactory.Builder(table).dataSchema(schema)
                .dataFileFormat(FileFormat.PARQUET).deleteFileFormat(FileFormat.PARQUET);
        if (keySchema != null) {
            builder.equalityFieldIds(keySchema.columns().stream().mapToInt(f -> f.fieldId()).toArray()).equalityDeleteRowSchema(keySchema);
        }
        return builder.build();
    }

    /** Writes a row (an insert, or the new version of a row whose key was deleted first). */
    @Override
    public void write(Record row) throws IOException {
        writer.write(row);
    }

    /** Deletes the row with this key (a record of the key schema). */
    void deleteKey(Record key) throws IOException {
        writer.deleteKey(key);
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }

    private final class RowWriter extends BaseEqualityDeltaWriter {
        // Iceberg's internal forms (dates as days, timestamps as micros) for hashing and comparing keys
        private final InternalRecordWrapper rows;
        private final InternalRecordWrapper keys;

        RowWriter(Schema schema, Schema keySchema) {
            super(null, schema, keySchema);
            this.rows = new InternalRecordWrapper(schema.asStruct());
            this.keys = new InternalRecordWrapper(keySchema.asStruct());
        }

        @Override
        protected StructLike asStructLike(Record data) {
            return rows.wrap(data);
        }

        @Override
        protected StructLike asStructLikeKey(Record key) {
            return keys.wrap(key);
        }
    }
}
