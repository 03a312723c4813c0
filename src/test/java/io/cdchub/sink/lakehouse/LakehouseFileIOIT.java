package io.cdchub.sink.lakehouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import io.cdchub.testinfra.S3Server;
import io.cdchub.testinfra.TempDirs;
import org.apache.iceberg.io.FileIO;
import org.junit.jupiter.api.Test;

/** The shared FileIO writes and reads files on a local folder and on a real S3-compatible server (s3proxy). */
class LakehouseFileIOIT {

    @Test
    void writesAndReadsOnALocalFolderWithoutChecksumFiles() throws IOException {
        Path dir = TempDirs.create("cdc-hub-lakehouse-");
        LakehouseStorage storage = LakehouseStorage.of("cdc.sink.iceberg.warehouse", dir.toString(), null);
        roundTrip(storage);
        try (var files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList()).containsExactly("hello.txt");
        }
    }

    @Test
    void writesAndReadsOnS3() throws IOException {
        S3Server s3 = S3Server.shared();
        s3.createBucket("lakehouse-io");
        LakehouseStorage storage = LakehouseStorage.of("cdc.sink.iceberg.warehouse", "s3://lakehouse-io/prefix", s3.settings());
        roundTrip(storage);
        try (var client = s3.client()) {
            assertThat(client.listObjectsV2(b -> b.bucket("lakehouse-io")).contents()).anyMatch(o -> o.key().equals("prefix/sub/hello.txt"));
        }
    }

    private static void roundTrip(LakehouseStorage storage) throws IOException {
        String location = storage.resolve("sub", "hello.txt");
        try (FileIO io = LakehouseFileIO.open(storage)) {
            try (OutputStream out = io.newOutputFile(location).createOrOverwrite()) {
                out.write("hello lakehouse".getBytes(StandardCharsets.UTF_8));
            }
            try (InputStream in = io.newInputFile(location).newStream()) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello lakehouse");
            }
        }
    }
}
