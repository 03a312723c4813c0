package io.cdchub.sink;

import java.util.Map;

import io.cdchub.testinfra.PostgresServer;
import io.cdchub.testinfra.RealServers;
import io.cdchub.testinfra.S3Server;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.test.context.ContextConfiguration;

/** The sink contract on Iceberg, warehouse on the S3 server, JDBC catalog in PostgreSQL; "target down" stops the S3 server. */
@ContextConfiguration(initializers = IcebergSinkContractIT.OnS3.class)
class IcebergSinkContractIT extends IcebergSinkContract {

    static final String BUCKET = "iceberg-contract";

    @Order(Ordered.HIGHEST_PRECEDENCE) // before SinkServers, which then starts no server for the sinks that are off
    static class OnS3 implements ApplicationContextInitializer<ConfigurableApplicationContext> {
        @Override
        public void initialize(ConfigurableApplicationContext context) {
            S3Server s3 = S3Server.shared();
            s3.createBucket(BUCKET);
            PostgresServer pg = PostgresServer.shared();
            Map<String, String> settings = contextSettings("ices3");
            settings.put("cdc.sink.iceberg.catalog.type", "jdbc");
            settings.put("cdc.sink.iceberg.catalog.uri", "jdbc:postgresql://" + pg.host() + ":" + pg.port() + "/" + RealServers.DATABASE);
            settings.put("cdc.sink.iceberg.catalog.user", PostgresServer.USER);
            settings.put("cdc.sink.iceberg.warehouse", "s3://" + BUCKET + "/warehouse");
            TestPropertyValues.of(settings).and(s3.properties("cdc.sink.iceberg")).applyTo(context.getEnvironment());
        }
    }

    @Override
    String contractName() {
        return "iceberg_s3";
    }

    @Override
    String prefix() {
        return "ices3";
    }

    @Override
    void stopTarget() {
        S3Server.shared().stop();
    }

    @Override
    void startTarget() {
        S3Server.shared().start();
    }
}
