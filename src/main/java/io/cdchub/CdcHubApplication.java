package io.cdchub;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** cdc-hub: PostgreSQL changes to Kafka as Debezium events, fanned out by Camel routes. */
// No application DataSource: the source database is Debezium's, reached through cdc.source.*.
@SpringBootApplication(exclude = DataSourceAutoConfiguration.class)
@ConfigurationPropertiesScan
public class CdcHubApplication {

    public static void main(String[] args) {
        SpringApplication.run(CdcHubApplication.class, args);
    }
}
