package io.cdchub.sink.delta;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import io.cdchub.sink.lakehouse.LakeColumn;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.FloatType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;

/**
 * Rows of Java values ({@link LakeColumn#value} forms) as the column vectors Delta Kernel writes, through the kernel's
 * public {@link ColumnarBatch}/{@link ColumnVector} interfaces. Column kinds become these Delta types:
 *
 * <table>
 * <caption>Column kinds to Delta Lake types</caption>
 * <tr><th>kind</th><th>Delta</th></tr>
 * <tr><td>BOOLEAN</td><td>boolean</td></tr>
 * <tr><td>INT / LONG</td><td>integer / long</td></tr>
 * <tr><td>FLOAT / DOUBLE</td><td>float / double</td></tr>
 * <tr><td>DECIMAL(p,s)</td><td>decimal(p,s), exact</td></tr>
 * <tr><td>STRING</td><td>string</td></tr>
 * <tr><td>DATE</td><td>date</td></tr>
 * <tr><td>TIMESTAMP</td><td>timestamp_ntz (microseconds, table feature timestampNtz)</td></tr>
 * <tr><td>TIMESTAMPTZ</td><td>timestamp (microseconds, UTC)</td></tr>
 * </table>
 */
final class DeltaRows {

    private DeltaRows() {
    }

    static DataType type(LakeColumn column) {
        return switch (column.kind()) {
            case BOOLEAN -> BooleanType.BOOLEAN;
            case INT -> IntegerType.INTEGER;
            case LONG -> LongType.LONG;
            case FLOAT -> FloatType.FLOAT;
            case DOUBLE -> DoubleType.DOUBLE;
            case DECIMAL -> new DecimalType(column.precision(), column.scale());
            case STRING -> StringType.STRING;
            case DATE -> DateType.DATE;
            case TIMESTAMP -> TimestampNTZType.TIMESTAMP_NTZ;
            case TIMESTAMPTZ -> TimestampType.TIMESTAMP;
        };
    }

    static StructType schema(List<LakeColumn> columns) {
        List<StructField> fields = new ArrayList<>(columns.size());
        for (LakeColumn column : columns) {
            fields.add(new StructField(column.name(), type(column), true));
        }
        return new StructType(fields);
    }

    /** The rows (each one value per schema field, in order) as a batch. */
    static ColumnarBatch batch(StructType schema, List<Object[]> rows) {
        return new ColumnarBatch() {
            @Override
            public StructType getSchema() {
                return schema;
            }

            @Override
            public ColumnVector getColumnVector(int ordinal) {
                return new Column(schema.at(ordinal).getDataType(), rows, ordinal);
            }

            @Override
            public int getSize() {
                return rows.size();
            }
        };
    }

    /** One column of the rows, read in place. */
    private record Column(DataType type, List<Object[]> rows, int ordinal) implements ColumnVector {

        private Object at(int row) {
            return rows.get(row)[ordinal];
        }

        @Override
        public DataType getDataType() {
            return type;
        }

        @Override
        public int getSize() {
            return rows.size();
        }

        @Override
        public void close() {
            // nothing held
        }

        @Override
        public boolean isNullAt(int row) {
            return at(row) == null;
        }

        @Override
        public boolean getBoolean(int row) {
            return (Boolean) at(row);
        }

        @Override
        public int getInt(int row) {
            Object value = at(row);
            return value instanceof LocalDate date ? (int) date.toEpochDay() : ((Number) value).intValue();
        }

        @Override
        public long getLong(int row) {
            Object value = at(row);
            if (value instanceof Instant instant) {
                return ChronoUnit.MICROS.between(Instant.EPOCH, instant);
            }
            if (value instanceof LocalDateTime local) {
                return ChronoUnit.MICROS.between(Instant.EPOCH, local.toInstant(ZoneOffset.UTC));
            }
            return ((Number) value).longValue();
        }

        @Override
        public float getFloat(int row) {
            return ((Number) at(row)).floatValue();
        }

        @Override
        public double getDouble(int row) {
            return ((Number) at(row)).doubleValue();
        }

        @Override
        public BigDecimal getDecimal(int row) {
            return (BigDecimal) at(row);
        }

        @Override
        public String getString(int row) {
            return (String) at(row);
        }
    }
}
