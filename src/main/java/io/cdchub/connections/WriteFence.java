package io.cdchub.connections;

/**
 * Guards a window's write against a run that no longer holds its consumer's run lock: its lease ran out while it was
 * stalled (a long pause, a slow target) and another run took the lock over and may already have applied newer windows.
 * {@link #check()} runs inside the write's transaction, after its statements and before its commit, so such a stale
 * write is rolled back instead of overwriting newer data; targets without transactions check before each request.
 */
public interface WriteFence {

    /** No fence: for writes outside a consumer's run. */
    WriteFence NONE = new WriteFence() {
        @Override
        public String name() {
            return "";
        }

        @Override
        public void check() {
            // always allowed
        }
    };

    /**
     * The writer's name (the consumer id). PostgreSQL targets take a transaction-scoped advisory lock on it first, so
     * the writes of one name never overlap: a stale run's transaction either checks its fence before the newer run
     * writes anything, or is rolled back.
     */
    String name();

    /** @throws RuntimeException when the writer lost the right to write; the write is rolled back (or not sent) */
    void check();
}
