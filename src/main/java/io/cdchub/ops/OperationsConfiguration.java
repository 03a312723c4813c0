package io.cdchub.ops;

import io.cdchub.sink.SinkProperties;
import io.cdchub.sink.clickhouse.ClickHouseClient;
import io.cdchub.source.SourceProperties;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.kafka.clients.admin.Admin;
import org.elasticsearch.client.RestClient;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Health indicators and operational metrics. Indicator names are the bean names without
 * {@code HealthIndicator}: {@code replicationSlot} (source on), {@code kafka}, {@code clickhouse},
 * {@code elasticsearch}, {@code parquet} and {@code delta} (their sink on) and {@code camelContext}. application.yaml puts the external ones in
 * the readiness group, never in liveness: an unreachable target makes the app not ready, not dead.
 */
@Configuration(proxyBeanMethods = false)
public class OperationsConfiguration {

    @Bean
    KafkaHealthIndicator kafkaHealthIndicator(Admin admin, HealthProperties health) {
        return new KafkaHealthIndicator(admin, health.timeout());
    }

    @Bean
    CamelContextHealthIndicator camelContextHealthIndicator(CamelContext camel) {
        return new CamelContextHealthIndicator(camel);
    }

    @Bean
    DeadLetterMetrics deadLetterMetrics(MeterRegistry registry) {
        return new DeadLetterMetrics(registry);
    }

    /** {@code /actuator/pipeline}: the state the operator page ({@code /pipeline/}) shows. */
    @Bean
    @org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint(endpoint = PipelineEndpoint.class)
    PipelineEndpoint pipelineEndpoint(org.springframework.boot.actuate.health.HealthEndpoint health, MeterRegistry registry, Admin admin,
            io.cdchub.config.CdcHubProperties hub) {
        return new PipelineEndpoint(health, registry, admin, hub);
    }

    /** Debezium's snapshot and streaming MBeans as gauges, for the built-in source and the management API's connectors. */
    @Bean
    DebeziumMetrics debeziumMetrics(MeterRegistry registry, HealthProperties health) {
        return new DebeziumMetrics(registry, health.slotLagInterval());
    }

    /** The source's slot health and gauges, with {@code cdc.source.enabled}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "cdc.source.enabled", havingValue = "true", matchIfMissing = true)
    static class SourceOperations {

        @Bean
        ReplicationSlotProbe replicationSlotProbe(SourceProperties source, HealthProperties health) {
            return new ReplicationSlotProbe(source, health.timeout());
        }

        @Bean
        ReplicationSlotHealthIndicator replicationSlotHealthIndicator(ReplicationSlotProbe replicationSlotProbe, HealthProperties health,
                io.cdchub.cluster.SourceLeadership sourceLeadership) {
            return new ReplicationSlotHealthIndicator(replicationSlotProbe, health.maxSlotLagBytes(), sourceLeadership);
        }

        @Bean
        SourceMetrics sourceMetrics(MeterRegistry registry, ReplicationSlotProbe replicationSlotProbe, SourceProperties source,
                HealthProperties health) {
            return new SourceMetrics(registry, replicationSlotProbe, source.name(), health.slotLagInterval());
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "cdc.sink.clickhouse.enabled", havingValue = "true")
    static class ClickHouseOperations {

        @Bean
        ClickHouseHealthIndicator clickhouseHealthIndicator(SinkProperties sinks, HealthProperties health, io.cdchub.sink.SinkRunners runners) {
            return new ClickHouseHealthIndicator(new ClickHouseClient(sinks.clickhouse()), sinks.clickhouse().url(), health.timeout(),
                    () -> runners.outage(io.cdchub.sink.clickhouse.ClickHouseSink.NAME));
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "cdc.sink.iceberg.enabled", havingValue = "true")
    static class IcebergOperations {

        @Bean
        IcebergHealthIndicator icebergHealthIndicator(io.cdchub.sink.iceberg.IcebergSink icebergSink, HealthProperties health,
                io.cdchub.sink.SinkRunners runners) {
            return new IcebergHealthIndicator(icebergSink, health.timeout(), () -> runners.outage(io.cdchub.sink.iceberg.IcebergSink.NAME));
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "cdc.sink.parquet.enabled", havingValue = "true")
    static class ParquetOperations {

        @Bean
        FileSinkHealthIndicator parquetHealthIndicator(io.cdchub.sink.parquet.ParquetSink sink, HealthProperties health, io.cdchub.sink.SinkRunners runners) {
            return new FileSinkHealthIndicator(sink.root(), sink::probeStore, health.timeout(),
                    () -> runners.outage(io.cdchub.sink.parquet.ParquetSink.NAME));
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "cdc.sink.delta.enabled", havingValue = "true")
    static class DeltaOperations {

        @Bean
        FileSinkHealthIndicator deltaHealthIndicator(io.cdchub.sink.delta.DeltaSink sink, HealthProperties health, io.cdchub.sink.SinkRunners runners) {
            return new FileSinkHealthIndicator(sink.root(), sink::probeStore, health.timeout(),
                    () -> runners.outage(io.cdchub.sink.delta.DeltaSink.NAME));
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "cdc.sink.elasticsearch.enabled", havingValue = "true")
    static class ElasticsearchOperations {

        @Bean
        ElasticsearchHealthIndicator elasticsearchHealthIndicator(@Qualifier("elasticsearchSinkRestClient") RestClient client,
                HealthProperties health, io.cdchub.sink.SinkRunners runners) {
            return new ElasticsearchHealthIndicator(client, health.timeout(), () -> runners.outage(io.cdchub.sink.search.ElasticsearchSink.NAME));
        }
    }
}
