package io.cdchub.bench;

import java.util.List;
import java.util.Map;

import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.GenericFileWriterFactory;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.OutputFileFactory;
import org.apache.iceberg.io.UnpartitionedWriter;

/**
 * The raw baseline of {@link LakehouseBenchmark}, in a JVM of its own: a table with the route table's schema, spec and
 * properties, the same rows appended with Iceberg's own generic Parquet writer and one commit. Prints
 * {@value #REPORT} seconds and CPU seconds of the timed part (first record written to the commit returned).
 * Arguments: warehouse, namespace, the route's table, the raw table, rows.
 */
public final class LakehouseBenchmarkRaw {

    static final String REPORT = "RAW-APPEND";

    public static void main(String[] args) throws Exception {
        Catalog catalog = CatalogUtil.buildIcebergCatalog(LakehouseBenchmark.CATALOG, Map.of(CatalogUtil.ICEBERG_CATALOG_TYPE, "hadoop",
                "warehouse", args[0], "io-impl", "org.apache.iceberg.hadoop.HadoopFileIO"), new org.apache.hadoop.conf.Configuration());
        Table route = catalog.loadTable(TableIdentifier.of(args[1], args[2]));
        Table table = catalog.createTable(TableIdentifier.of(args[1], args[3]), route.schema(), route.spec(), route.properties());
        int n = Integer.parseInt(args[4]);
        List<LakehouseBenchmark.Row> rows = LakehouseBenchmark.rows(n);
        GenericRecord template = GenericRecord.create(table.schema());
        Record[] records = new Record[n];
        for (int i = 0; i < n; i++) {
            GenericRecord record = template.copy();
            LakehouseBenchmark.values(rows.get(i)).forEach(record::setField);
            records[i] = record;
        }
        long targetSize = Long.parseLong(table.properties().getOrDefault(TableProperties.WRITE_TARGET_FILE_SIZE_BYTES,
                String.valueOf(TableProperties.WRITE_TARGET_FILE_SIZE_BYTES_DEFAULT)));

        long cpu0 = BenchSupport.processCpuNanos();
        long t0 = System.nanoTime();
        OutputFileFactory files = OutputFileFactory.builderFor(table, 1, 1).format(FileFormat.PARQUET).build();
        UnpartitionedWriter<Record> writer = new UnpartitionedWriter<>(table.spec(), FileFormat.PARQUET,
                new GenericFileWriterFactory.Builder(table).dataSchema(table.schema()).dataFileFormat(FileFormat.PARQUET).build(),
                files, table.io(), targetSize);
        for (Record record : records) {
            writer.write(record);
        }
        AppendFiles append = table.newAppend();
        for (DataFile file : writer.complete().dataFiles()) {
            append.appendFile(file);
        }
        append.commit();
        long t1 = System.nanoTime();
        long cpu1 = BenchSupport.processCpuNanos();
        System.out.printf(java.util.Locale.ROOT, "%s %.3f %.3f%n", REPORT, (t1 - t0) / 1e9, (cpu1 - cpu0) / 1e9);
        System.out.flush();
    }
}
