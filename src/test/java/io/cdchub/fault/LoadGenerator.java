package io.cdchub.fault;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import javax.sql.DataSource;

/**
 * The steady load: single-row autocommit inserts, updates and deletes over the three tables of schema {@code fault}
 * at a fixed rate, on one connection. Each change is recorded ({@link Changes#code}) once its commit returned, so the
 * log holds exactly the committed changes. Marker rows (label {@code marker}, never updated or deleted) are inserted on
 * request, in the load's own order, to tell when a target has caught up with everything before them.
 */
final class LoadGenerator implements AutoCloseable {

    private static final String LABEL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789 é\"\\|'ü";

    private final DataSource dataSource;
    private final int rate;
    private final Random random;
    private final Changes.Log committed = new Changes.Log();
    private final long[][] live = new long[Changes.TABLES.length][1024];
    private final int[] liveSize = new int[Changes.TABLES.length];
    private final long[] nextId = {1, 1, 1};
    private final ConcurrentLinkedQueue<Marker> markers = new ConcurrentLinkedQueue<>();
    private final Consumer<long[]> beforeMarker;
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong behind = new AtomicLong();
    private volatile String lastFailure;
    private volatile boolean running;
    private volatile boolean paused;
    private Thread thread;
    private volatile long startedNanos;
    private volatile long stoppedNanos;

    private record Marker(CompletableFuture<long[]> done) {
    }

    LoadGenerator(DataSource dataSource, int rate, long seed, Consumer<long[]> beforeMarker) {
        this.dataSource = dataSource;
        this.rate = rate;
        this.random = new Random(seed);
        this.beforeMarker = beforeMarker;
    }

    static String[] ddl() {
        String[] ddl = new String[Changes.TABLES.length + 1];
        ddl[0] = "CREATE SCHEMA IF NOT EXISTS fault";
        for (int t = 0; t < Changes.TABLES.length; t++) {
            ddl[t + 1] = "CREATE TABLE IF NOT EXISTS fault." + Changes.TABLES[t]
                    + " (id bigint PRIMARY KEY, rev int NOT NULL, label text NOT NULL, amount numeric(12,2))";
        }
        return ddl;
    }

    synchronized void start() {
        running = true;
        startedNanos = System.nanoTime();
        thread = new Thread(this::run, "fault-load");
        thread.setDaemon(true);
        thread.start();
    }

    /** Inserts one marker row per table (after every change committed so far); returns their change codes. */
    long[] marker() {
        Marker m = new Marker(new CompletableFuture<>());
        markers.add(m);
        if (!running || paused) {
            drainMarkers(null);
        }
        try {
            return m.done().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("marker insert failed: " + e.getMessage(), e);
        }
    }

    Changes.Log committed() {
        return committed;
    }

    long written() {
        return committed.size();
    }

    long failures() {
        return failures.get();
    }

    String lastFailure() {
        return lastFailure;
    }

    /** Changes per second achieved while running. */
    double achievedRate() {
        long end = stoppedNanos > 0 ? stoppedNanos : System.nanoTime();
        return committed.size() / Math.max(1e-9, (end - startedNanos) / 1e9);
    }

    /** Times the pacing found the load more than a second behind its schedule (PostgreSQL or this machine too slow). */
    long timesBehind() {
        return behind.get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        if (thread != null) {
            thread.join(30_000);
        }
        stoppedNanos = System.nanoTime();
    }

    private void run() {
        long interval = 1_000_000_000L / rate;
        long next = System.nanoTime();
        while (running) {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(true);
                Statements st = new Statements(c);
                while (running) {
                    drainMarkers(st);
                    long now = System.nanoTime();
                    if (next > now) {
                        LockSupport.parkNanos(next - now);
                        continue;
                    }
                    if (now - next > 1_000_000_000L) {
                        behind.incrementAndGet();
                        next = now;
                    }
                    next += interval;
                    change(st);
                }
            } catch (SQLException | RuntimeException e) {
                failures.incrementAndGet();
                lastFailure = e.toString();
                LockSupport.parkNanos(200_000_000L);
            }
        }
    }

    private synchronized void drainMarkers(Statements open) {
        Marker m;
        while ((m = markers.poll()) != null) {
            try {
                if (open != null) {
                    m.done().complete(insertMarkers(open));
                } else {
                    try (Connection c = dataSource.getConnection()) {
                        c.setAutoCommit(true);
                        m.done().complete(insertMarkers(new Statements(c)));
                    }
                }
            } catch (SQLException | RuntimeException e) {
                m.done().completeExceptionally(e);
            }
        }
    }

    private long[] insertMarkers(Statements st) throws SQLException {
        long[] codes = new long[Changes.TABLES.length];
        for (int t = 0; t < codes.length; t++) {
            codes[t] = Changes.code(t, Changes.INSERT, nextId[t], 0);
        }
        beforeMarker.accept(codes);
        for (int t = 0; t < codes.length; t++) {
            long id = nextId[t]++;
            st.insert[t].setLong(1, id);
            st.insert[t].setString(2, "marker");
            st.insert[t].setNull(3, Types.NUMERIC);
            st.insert[t].executeUpdate();
            committed.add(codes[t]);
        }
        return codes;
    }

    private synchronized void change(Statements st) throws SQLException {
        int t = random.nextInt(Changes.TABLES.length);
        int op;
        if (liveSize[t] < 50) {
            op = Changes.INSERT;
        } else {
            double r = random.nextDouble();
            op = r < 0.40 ? Changes.INSERT : r < 0.75 ? Changes.UPDATE : Changes.DELETE;
        }
        switch (op) {
            case Changes.INSERT -> {
                long id = nextId[t]++;
                st.insert[t].setLong(1, id);
                st.insert[t].setString(2, label());
                setAmount(st.insert[t], 3);
                st.insert[t].executeUpdate();
                committed.add(Changes.code(t, Changes.INSERT, id, 0));
                addLive(t, id);
            }
            case Changes.UPDATE -> {
                long id = live[t][random.nextInt(liveSize[t])];
                st.update[t].setString(1, label());
                setAmount(st.update[t], 2);
                st.update[t].setLong(3, id);
                try (ResultSet rs = st.update[t].executeQuery()) {
                    if (rs.next()) {
                        committed.add(Changes.code(t, Changes.UPDATE, id, rs.getInt(1)));
                    }
                }
            }
            default -> {
                int index = random.nextInt(liveSize[t]);
                long id = live[t][index];
                st.delete[t].setLong(1, id);
                if (st.delete[t].executeUpdate() == 1) {
                    committed.add(Changes.code(t, Changes.DELETE, id, 0));
                }
                live[t][index] = live[t][--liveSize[t]];
            }
        }
    }

    private void addLive(int t, long id) {
        if (liveSize[t] == live[t].length) {
            live[t] = Arrays.copyOf(live[t], live[t].length * 2);
        }
        live[t][liveSize[t]++] = id;
    }

    private String label() {
        int length = 4 + random.nextInt(28);
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(LABEL_CHARS.charAt(random.nextInt(LABEL_CHARS.length())));
        }
        return sb.toString();
    }

    private void setAmount(PreparedStatement statement, int index) throws SQLException {
        if (random.nextInt(20) == 0) {
            statement.setNull(index, Types.NUMERIC);
        } else {
            statement.setBigDecimal(index, BigDecimal.valueOf(random.nextLong(-9_999_999L, 9_999_999L), 2));
        }
    }

    private static final class Statements {
        final PreparedStatement[] insert = new PreparedStatement[Changes.TABLES.length];
        final PreparedStatement[] update = new PreparedStatement[Changes.TABLES.length];
        final PreparedStatement[] delete = new PreparedStatement[Changes.TABLES.length];

        Statements(Connection c) throws SQLException {
            for (int t = 0; t < Changes.TABLES.length; t++) {
                String table = "fault." + Changes.TABLES[t];
                insert[t] = c.prepareStatement("INSERT INTO " + table + " (id, rev, label, amount) VALUES (?, 0, ?, ?)");
                update[t] = c.prepareStatement("UPDATE " + table + " SET rev = rev + 1, label = ?, amount = ? WHERE id = ? RETURNING rev");
                delete[t] = c.prepareStatement("DELETE FROM " + table + " WHERE id = ?");
            }
        }
    }
}
