package io.cdchub.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.time.Duration;

import io.cdchub.source.SourceProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

/** The replication slot's UP/DOWN rules and the dead-letter counter, without servers. */
class HealthIndicatorsTest {

    private static final SourceProperties SOURCE = new SourceProperties(false, "cdc-hub",
            new SourceProperties.Database("db.internal", 5432, "shop", "cdc", "secret", "prefer"), "public\\..*", "shop_cdc", null,
            "initial", new SourceProperties.Heartbeat(Duration.ofSeconds(10), "public.cdc_hub_heartbeat", null), "public.cdc_hub_signal",
            SourceProperties.OffsetStore.FILE, "offsets", Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofMillis(5), 4096, 16384, 1_000_000, true, io.cdchub.source.ValueFormat.CDC_HUB, false,
            Duration.ofSeconds(5), null);

    private static Health slotHealth(ReplicationSlotProbe.SlotState state, SQLException failure) {
        ReplicationSlotProbe probe = new ReplicationSlotProbe(SOURCE, Duration.ofSeconds(1)) {
            @Override
            public SlotState read() throws SQLException {
                if (failure != null) {
                    throw failure;
                }
                return state;
            }
        };
        return new ReplicationSlotHealthIndicator(probe, 1000).health();
    }

    @Test
    void activeSlotUnderTheBoundIsUp() {
        Health health = slotHealth(new ReplicationSlotProbe.SlotState(true, true, 4242, 999, "0/16B3748"), null);
        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsEntry("slot", "shop_cdc").containsEntry("activePid", 4242).containsEntry("lagBytes", 999L)
                .containsEntry("database", "db.internal:5432/shop");
        assertThat(health.getDetails().toString()).doesNotContain("secret");
    }

    @Test
    void slotBeyondTheBoundInactiveMissingOrUnreachableIsDown() {
        Health lagging = slotHealth(new ReplicationSlotProbe.SlotState(true, true, 4242, 1001, "0/16B3748"), null);
        assertThat(lagging.getStatus()).isEqualTo(Status.DOWN);
        assertThat(lagging.getDetails()).containsEntry("lagBytes", 1001L).containsKey("reason");

        Health inactive = slotHealth(new ReplicationSlotProbe.SlotState(true, false, null, 0, "0/16B3748"), null);
        assertThat(inactive.getStatus()).isEqualTo(Status.DOWN);
        assertThat((String) inactive.getDetails().get("reason")).contains("not active");

        Health missing = slotHealth(new ReplicationSlotProbe.SlotState(false, false, null, -1, null), null);
        assertThat(missing.getStatus()).isEqualTo(Status.DOWN);
        assertThat((String) missing.getDetails().get("reason")).contains("does not exist");

        Health unreachable = slotHealth(null, new SQLException("Connection to db.internal:5432 refused", "08001"));
        assertThat(unreachable.getStatus()).isEqualTo(Status.DOWN);
        assertThat((String) unreachable.getDetails().get("reason")).contains("PostgreSQL unreachable").contains("refused");
    }

    @Test
    void deadLettersAreCountedPerFailingRoute() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            camel.addRoutePolicyFactory(new DeadLetterMetrics(registry));
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:dead-letter").routeId("dead-letter").log("dead letter");
                    from("direct:in").routeId("failing-route").errorHandler(deadLetterChannel("direct:dead-letter"))
                            .throwException(new IllegalStateException("poison"));
                    from("direct:ok").routeId("fine-route").log("fine");
                }
            });
            camel.start();
            var producer = camel.createProducerTemplate();
            producer.sendBody("direct:in", "one");
            producer.sendBody("direct:in", "two");
            producer.sendBody("direct:ok", "three");
        }
        assertThat(registry.get("cdc.dlq.records").tag("route", "failing-route").tag("exception", IllegalStateException.class.getName())
                .counter().count()).isEqualTo(2.0);
        assertThat(registry.find("cdc.dlq.records").counters()).hasSize(1);
    }
}
