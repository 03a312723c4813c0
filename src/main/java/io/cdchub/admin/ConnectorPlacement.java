package io.cdchub.admin;

/**
 * Decides whether this instance runs runtime connectors right now, beyond {@code cdc.admin.run-connectors}: for
 * example only while it leads the source's Lease, so a hot standby takes the connectors over with the slot.
 * Declare a bean of this type to use it, and call {@link ConnectorService#placementChanged()} when the answer changes.
 * Without one, every instance with {@code cdc.admin.run-connectors=true} runs them.
 */
@FunctionalInterface
public interface ConnectorPlacement {

    boolean runHere();
}
