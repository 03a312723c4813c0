package io.cdchub.sink.clickhouse;

import io.cdchub.config.CdcHubProperties;
import io.cdchub.sink.SinkDeadLetters;
import io.cdchub.sink.SinkLagMonitor;
import io.cdchub.sink.SinkMetrics;
import io.cdchub.sink.SinkProperties;
import io.cdchub.sink.SinkSubscription;
import io.cdchub.source.SourceProperties;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The ClickHouse sink's beans, present only with {@code cdc.sink.clickhouse.enabled=true} (its route has the same precondition). */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "cdc.sink.clickhouse.enabled", havingValue = "true")
public class ClickHouseSinkConfiguration {

    @Bean(destroyMethod = "close")
    ClickHouseSink clickHouseSink(SinkProperties sinks, CdcHubProperties hub, SourceProperties source, CamelContext camel,
            SinkDeadLetters deadLetters, MeterRegistry registry, SinkLagMonitor lag) {
        SinkProperties.ClickHouse settings = sinks.clickhouse();
        ClickHouseClient client = new ClickHouseClient(camel, settings);
        ClickHouseTables tables = new ClickHouseTables(client, settings, new PostgresColumns(source.database()));
        SinkMetrics metrics = new SinkMetrics(registry, "clickhouse");
        SinkSubscription subscription = SinkSubscription.of(settings.topics(), settings.topicPattern(), hub.topicPrefix());
        lag.watch(settings.groupId(), subscription, metrics);
        return new ClickHouseSink(settings, client, tables, deadLetters, metrics, subscription);
    }
}
