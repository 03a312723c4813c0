package io.cdchub.ops;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a blocking check of an external server with a deadline, so a hung target cannot hold up
 * {@code /actuator/health} (and with it Kubernetes' probes) longer than {@code cdc.health.timeout}.
 */
final class TimedCheck {

    private static final ExecutorService CHECKS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cdc-health-check");
        t.setDaemon(true);
        return t;
    });

    private TimedCheck() {
    }

    /**
     * @throws TimeoutException when the check did not finish in time (it is interrupted)
     * @throws Exception        what the check threw
     */
    static <T> T call(Callable<T> check, Duration timeout) throws Exception {
        Future<T> future = CHECKS.submit(check);
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new TimeoutException("no answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}
