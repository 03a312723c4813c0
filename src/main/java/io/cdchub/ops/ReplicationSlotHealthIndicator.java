package io.cdchub.ops;

import java.sql.SQLException;

import io.cdchub.cluster.SourceLeadership;

import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * {@code replicationSlot}: UP when the source's slot exists, is active (a walsender streams from it) and
 * PostgreSQL keeps less WAL for it than {@code cdc.health.max-slot-lag-bytes}; DOWN otherwise, or when
 * PostgreSQL cannot be reached, with the reason.
 *
 * <p>With leader election, readiness also decides who may lead (Camel's Kubernetes election counts only ready
 * pods as members), so: a standby is UP whatever the slot's state (it is ready to take over; at first start
 * the slot does not exist until a leader creates it), and the leader's lag over the bound is reported but does
 * not turn it DOWN (stepping down would only hand the same lag to the standby, again and again).
 */
public class ReplicationSlotHealthIndicator extends AbstractHealthIndicator {

    private final ReplicationSlotProbe probe;
    private final long maxLagBytes;
    private final SourceLeadership leadership;

    public ReplicationSlotHealthIndicator(ReplicationSlotProbe probe, long maxLagBytes) {
        this(probe, maxLagBytes, SourceLeadership.single());
    }

    public ReplicationSlotHealthIndicator(ReplicationSlotProbe probe, long maxLagBytes, SourceLeadership leadership) {
        super("Replication slot check failed");
        this.probe = probe;
        this.maxLagBytes = maxLagBytes;
        this.leadership = leadership;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("slot", probe.slot()).withDetail("database", probe.location());
        if (leadership.electionEnabled() && !leadership.isLeader()) {
            builder.up().withDetail("role", "standby").withDetail("reason", "the leader of the slot's Lease runs the source");
            return;
        }
        if (leadership.electionEnabled()) {
            builder.withDetail("role", "leader");
        }
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
        } else if (state.lagBytes() > maxLagBytes && leadership.electionEnabled()) {
            builder.up().withDetail("warning", "PostgreSQL keeps " + state.lagBytes() + " bytes of WAL for the slot, more than cdc.health.max-slot-lag-bytes");
        } else if (state.lagBytes() > maxLagBytes) {
            builder.down().withDetail("reason", "PostgreSQL keeps " + state.lagBytes() + " bytes of WAL for the slot, more than cdc.health.max-slot-lag-bytes");
        } else {
            builder.up();
        }
    }
}
