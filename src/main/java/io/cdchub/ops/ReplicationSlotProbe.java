package io.cdchub.ops;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

import io.cdchub.source.SourceProperties;

/**
 * Reads the source's replication slot from {@code pg_replication_slots} over a short-lived JDBC connection
 * with short timeouts: whether it exists, is active (and by which backend), and how much WAL PostgreSQL
 * keeps for it. Shared by the {@code replicationSlot} health indicator and the slot lag gauge.
 */
public class ReplicationSlotProbe {

    // PostgreSQL 10+ (no wal_status, which came with 13)
    private static final String QUERY = """
            SELECT active, active_pid, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint AS lag_bytes,
                   confirmed_flush_lsn::text
            FROM pg_replication_slots WHERE slot_name = ? AND database = current_database()
            """;

    /** What the slot looks like now; {@code lagBytes} is -1 when PostgreSQL does not know it (nothing confirmed yet). */
    public record SlotState(boolean exists, boolean active, Integer activePid, long lagBytes, String confirmedFlushLsn) {

        static SlotState missing() {
            return new SlotState(false, false, null, -1, null);
        }
    }

    private final SourceProperties source;
    private final Duration timeout;

    public ReplicationSlotProbe(SourceProperties source, Duration timeout) {
        this.source = source;
        this.timeout = timeout;
    }

    public String slot() {
        return source.slot();
    }

    /** Where the slot lives, for messages (never the password). */
    public String location() {
        return source.database().hostname() + ":" + source.database().port() + "/" + source.database().dbname();
    }

    /** @throws SQLException when PostgreSQL cannot be reached or refuses the query */
    public SlotState read() throws SQLException {
        try (Connection connection = source.database().dataSource("cdc-hub-health", timeout).getConnection(); PreparedStatement st = connection.prepareStatement(QUERY)) {
            st.setQueryTimeout(seconds());
            st.setString(1, source.slot());
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    return SlotState.missing();
                }
                int pid = rs.getInt(2);
                Integer activePid = rs.wasNull() ? null : pid;
                long lag = rs.getLong(3);
                if (rs.wasNull()) {
                    lag = -1;
                }
                return new SlotState(true, rs.getBoolean(1), activePid, lag, rs.getString(4));
            }
        }
    }

    private int seconds() {
        return (int) Math.max(1, (timeout.toMillis() + 999) / 1000);
    }
}
