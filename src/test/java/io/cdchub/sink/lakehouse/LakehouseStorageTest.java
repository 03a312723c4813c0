package io.cdchub.sink.lakehouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import io.cdchub.config.InvalidConfigurationException;
import org.junit.jupiter.api.Test;

class LakehouseStorageTest {

    private static final S3Settings KEYS = new S3Settings("http://127.0.0.1:9000", "us-east-1", "id", "very-secret", true);

    @Test
    void aLocalPathBecomesAnAbsoluteFileLocation() {
        LakehouseStorage storage = LakehouseStorage.of("cdc.sink.iceberg.warehouse", "./data/lake/", null);
        assertThat(storage.isS3()).isFalse();
        assertThat(storage.location()).isEqualTo("file:" + Path.of("data/lake").toAbsolutePath());
        assertThat(storage.resolve("db", "t")).endsWith("/data/lake/db/t");
        assertThat(storage.icebergProperties()).containsEntry("io-impl", "org.apache.iceberg.hadoop.HadoopFileIO");
        assertThat(LakehouseStorage.of("p", "file:/tmp/lake", null).localPath()).isEqualTo(Path.of("/tmp/lake"));
    }

    @Test
    void anS3LocationKeepsBucketAndPrefix() {
        LakehouseStorage storage = LakehouseStorage.of("cdc.sink.iceberg.warehouse", "s3://processed-data/lake//iceberg/", KEYS);
        assertThat(storage.isS3()).isTrue();
        assertThat(storage.location()).isEqualTo("s3://processed-data/lake/iceberg");
        assertThat(storage.bucket()).isEqualTo("processed-data");
        assertThat(storage.icebergProperties()).containsEntry("io-impl", "org.apache.iceberg.aws.s3.S3FileIO")
                .containsEntry("s3.endpoint", "http://127.0.0.1:9000").containsEntry("s3.path-style-access", "true")
                .containsEntry("s3.secret-access-key", "very-secret");
        assertThat(LakehouseStorage.of("p", "s3://bucket", KEYS).location()).isEqualTo("s3://bucket");
    }

    @Test
    void theSecretIsNeverInWhatIsLogged() {
        LakehouseStorage storage = LakehouseStorage.of("cdc.sink.iceberg.warehouse", "s3://bucket/x", KEYS);
        assertThat(storage.toString()).doesNotContain("very-secret").contains("id").contains("****");
        assertThat(KEYS.toString()).doesNotContain("very-secret");
    }

    @Test
    void badValuesNameTheirProperty() {
        assertThatThrownBy(() -> LakehouseStorage.of("cdc.sink.iceberg.warehouse", " ", null))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageStartingWith("cdc.sink.iceberg.warehouse ");
        assertThatThrownBy(() -> LakehouseStorage.of("cdc.sink.iceberg.warehouse", "s3://Bad_Bucket/x", KEYS))
                .hasMessageStartingWith("cdc.sink.iceberg.warehouse ");
        assertThatThrownBy(() -> LakehouseStorage.of("cdc.sink.iceberg.warehouse", "hdfs://nn/x", null))
                .hasMessageStartingWith("cdc.sink.iceberg.warehouse ");
        assertThatThrownBy(() -> LakehouseStorage.of("cdc.sink.iceberg.warehouse", "s3://bucket/x",
                new S3Settings("ftp://host", "us-east-1", "", "", true))).hasMessageStartingWith("cdc.sink.iceberg.s3.endpoint ");
        assertThatThrownBy(() -> LakehouseStorage.of("cdc.sink.iceberg.warehouse", "s3://bucket/x",
                new S3Settings("", "us-east-1", "id", "", true))).hasMessageStartingWith("cdc.sink.iceberg.s3.secret-key ");
        assertThatThrownBy(() -> LakehouseStorage.of("cdc.sink.parquet.path", "s3://bucket/x",
                new S3Settings("", " ", "", "", true))).hasMessageStartingWith("cdc.sink.parquet.s3.region ");
    }
}
