package io.cdchub;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.actuate.autoconfigure.metrics.LogbackMetricsAutoConfiguration;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** cdc-hub: PostgreSQL changes to Kafka as Debezium events, fanned out by Camel routes. */
// No application DataSource: the source database is Debezium's, reached through cdc.source.*.
// No logback metrics: Micrometer's binder installs a logback turbo filter that every logging call consults, enabled
// or not (management.metrics.enable.logback=false hides the meter but keeps the filter); Debezium's decoding and
// queue loops check debug and trace levels per change and per wait, about 5% of the source's CPU.
@SpringBootApplication(exclude = {DataSourceAutoConfiguration.class, LogbackMetricsAutoConfiguration.class})
@ConfigurationPropertiesScan
public class CdcHubApplication {

    public static void main(String[] args) {
        SpringApplication.run(CdcHubApplication.class, args);
    }
}
