package io.cdchub.sink.clickhouse;

import io.cdchub.sink.SinkProperties;
import io.cdchub.source.SourceProperties;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The ClickHouse sink's beans, present only with {@code cdc.sink.clickhouse.enabled=true} (its route has the same precondition). */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "cdc.sink.clickhouse.enabled", havingValue = "true")
public class ClickHouseSinkConfiguration {

    @Bean
    ClickHouseClient clickHouseSinkClient(SinkProperties sinks) {
        return new ClickHouseClient(sinks.clickhouse());
    }

    @Bean
    ClickHouseSink clickHouseSink(SinkProperties sinks, SourceProperties source, ClickHouseClient clickHouseSinkClient) {
        SinkProperties.ClickHouse settings = sinks.clickhouse();
        ClickHouseTables tables = new ClickHouseTables(clickHouseSinkClient, settings, new PostgresColumns(source.database()));
        return new ClickHouseSink(settings, clickHouseSinkClient, tables);
    }
}
