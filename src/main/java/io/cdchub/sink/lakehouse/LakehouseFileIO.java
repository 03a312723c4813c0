package io.cdchub.sink.lakehouse;

import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.aws.s3.S3FileIO;
import org.apache.iceberg.hadoop.HadoopFileIO;
import org.apache.iceberg.io.FileIO;

/**
 * Opens an Iceberg {@link FileIO} on a {@link LakehouseStorage}: the one way every lakehouse sink reads and writes its
 * files, whether on a local folder or on an S3-compatible store. Iceberg's catalogs take the same properties
 * ({@link LakehouseStorage#icebergProperties()}), so a table's files and a Parquet sink's files go through the same code.
 *
 * <ul>
 * <li>Local: {@link HadoopFileIO} over Hadoop's raw local file system (the checksummed default would leave a
 *     {@code .crc} file next to every data file). Hadoop is here only as the small set of classes Iceberg's Parquet
 *     writer needs anyway (pom.xml); no Hadoop configuration file is read.</li>
 * <li>S3: Iceberg's {@link S3FileIO} on the AWS SDK v2 (multipart uploads, retries), with the endpoint, region, path
 *     style and keys of {@link S3Settings}.</li>
 * </ul>
 */
public final class LakehouseFileIO {

    private LakehouseFileIO() {
    }

    /** A new FileIO on the storage; close it when done (S3FileIO holds an HTTP connection pool). */
    public static FileIO open(LakehouseStorage storage) {
        Map<String, String> properties = storage.icebergProperties();
        if (storage.isS3()) {
            S3FileIO io = new S3FileIO();
            io.initialize(properties);
            return io;
        }
        HadoopFileIO io = new HadoopFileIO(hadoopConfiguration());
        io.initialize(properties);
        return io;
    }

    /**
     * The Hadoop configuration Iceberg's Parquet writer and Hadoop catalog are given: no default resources read (no
     * core-site.xml from the class path), {@code file:} served by the raw local file system (no {@code .crc} files).
     */
    public static Configuration hadoopConfiguration() {
        Configuration conf = new Configuration(false);
        conf.set("fs.file.impl", "org.apache.hadoop.fs.RawLocalFileSystem");
        conf.setBoolean("fs.file.impl.disable.cache", true);
        return conf;
    }
}
