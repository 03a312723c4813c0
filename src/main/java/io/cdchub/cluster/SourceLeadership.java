package io.cdchub.cluster;

import java.util.concurrent.atomic.AtomicReference;

import org.apache.camel.impl.cluster.ClusteredRoutePolicy;

/**
 * Whether this instance may run the source now: always without leader election; with it, only while it holds
 * the Lease of its replication slot (its {@link ClusteredRoutePolicy} has started the source route).
 */
public final class SourceLeadership {

    private final boolean electionEnabled;
    private final String group;
    private final AtomicReference<ClusteredRoutePolicy> policy = new AtomicReference<>();

    private SourceLeadership(boolean electionEnabled, String group) {
        this.electionEnabled = electionEnabled;
        this.group = group;
    }

    /** No election: this instance is the only source of its slot. */
    public static SourceLeadership single() {
        return new SourceLeadership(false, null);
    }

    /** Elected per cluster group (one per replication slot). */
    public static SourceLeadership elected(String group) {
        return new SourceLeadership(true, group);
    }

    public boolean electionEnabled() {
        return electionEnabled;
    }

    /** The cluster group, i.e. the Lease suffix; null without election. */
    public String group() {
        return group;
    }

    /** True when this instance runs (or may run) the source: no election, or it is the leader. */
    public boolean isLeader() {
        if (!electionEnabled) {
            return true;
        }
        ClusteredRoutePolicy current = policy.get();
        return current != null && current.isLeader();
    }

    void attach(ClusteredRoutePolicy routePolicy) {
        policy.set(routePolicy);
    }
}
