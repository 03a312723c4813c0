package io.cdchub.sink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.test.context.ContextConfiguration;

/** The same contract on a local folder with the Hadoop catalog; "target down" puts a file where the warehouse was. */
@ContextConfiguration(initializers = IcebergLocalSinkContractIT.OnLocalFolder.class)
class IcebergLocalSinkContractIT extends IcebergSinkContract {

    static Path warehouse;

    @Order(Ordered.HIGHEST_PRECEDENCE)
    static class OnLocalFolder implements ApplicationContextInitializer<ConfigurableApplicationContext> {
        @Override
        public void initialize(ConfigurableApplicationContext context) {
            try {
                warehouse = io.cdchub.testinfra.TempDirs.create("cdc-hub-iceberg-").resolve("warehouse");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            Map<String, String> settings = contextSettings("icelocal");
            settings.put("cdc.sink.iceberg.catalog.type", "hadoop");
            settings.put("cdc.sink.iceberg.warehouse", warehouse.toString());
            TestPropertyValues.of(settings).applyTo(context.getEnvironment());
        }
    }

    @Override
    String contractName() {
        return "iceberg_local";
    }

    @Override
    String prefix() {
        return "icelocal";
    }

    private Path away() {
        return warehouse.resolveSibling("warehouse-away");
    }

    @Override
    void stopTarget() {
        try {
            Files.move(warehouse, away());
            Files.writeString(warehouse, "not a folder: the storage is away"); // writes under it fail, nothing is created
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    void startTarget() {
        try {
            Files.delete(warehouse);
            Files.move(away(), warehouse);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
