package io.cdchub.aggregation;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Component;

/**
 * Aggregation meters, tagged by consumer: {@code cdc.aggregation.windows.completed} (windows whose run ended),
 * {@code cdc.aggregation.runs{status=ok|failed}}, {@code cdc.aggregation.run.retries}, {@code cdc.aggregation.events}
 * (events in windows whose run ended) and {@code cdc.aggregation.dead.letters}.
 */
@Component
public class AggregationMetrics {

    private final MeterRegistry registry;

    public AggregationMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void run(String consumerId, String status, long events) {
        Counter.builder("cdc.aggregation.runs").tag("consumer", consumerId).tag("status", status)
                .description("pipeline runs that ended, by outcome").register(registry).increment();
        Counter.builder("cdc.aggregation.windows.completed").tag("consumer", consumerId)
                .description("windows whose pipeline run ended").register(registry).increment();
        Counter.builder("cdc.aggregation.events").tag("consumer", consumerId)
                .description("events aggregated into windows whose run ended").register(registry).increment(events);
    }

    void retry(String consumerId) {
        Counter.builder("cdc.aggregation.run.retries").tag("consumer", consumerId)
                .description("pipeline runs put off because the target or the run lock was unavailable").register(registry).increment();
    }

    void deadLetters(String consumerId, int events) {
        Counter.builder("cdc.aggregation.dead.letters").tag("consumer", consumerId)
                .description("events dead-lettered because their window's run failed for good").register(registry).increment(events);
    }
}
