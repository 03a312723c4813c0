package io.cdchub.ops;

import java.sql.SQLException;

import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * {@code replicationSlot}: UP when the source's slot exists, is active (a walsender streams from it) and
 * PostgreSQL keeps less WAL for it than {@code cdc.health.max-slot-lag-bytes}; DOWN otherwise, or when
 * PostgreSQL cannot be reached, with the reason.
 */
public class ReplicationSlotHealthIndicator extends AbstractHealthIndicator {

    private final ReplicationSlotProbe probe;
    private final long maxLagBytes;

    public ReplicationSlotHealthIndicator(ReplicationSlotProbe probe, long maxLagBytes) {
        super("Replication slot check failed");
        this.probe = probe;
        this.maxLagBytes = maxLagBytes;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("slot", probe.slot()).withDetail("database", probe.location());
        ReplicationSlotProbe.SlotState state;
        try {
            state = probe.read();
        } catch (SQLException e) {
            builder.down().withDetail("reason", "PostgreSQL unreachable or query refused: " + e.getMessage());
            return;
        }
        if (!state.exists()) {
            builder.down().withDetail("reason", "replication slot does not exist");
            return;
        }
        builder.withDetail("active", state.active()).withDetail("lagBytes", state.lagBytes()).withDetail("maxLagBytes", maxLagBytes);
        if (state.activePid() != null) {
            builder.withDetail("activePid", state.activePid());
        }
        if (state.confirmedFlushLsn() != null) {
            builder.withDetail("confirmedFlushLsn", state.confirmedFlushLsn());
        }
        if (!state.active()) {
            builder.down().withDetail("reason", "replication slot is not active: no connection is streaming from it");
        } else if (state.lagBytes() > maxLagBytes) {
            builder.down().withDetail("reason", "PostgreSQL keeps " + state.lagBytes() + " bytes of WAL for the slot, more than cdc.health.max-slot-lag-bytes");
        } else {
            builder.up();
        }
    }
}
