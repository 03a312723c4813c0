package io.cdchub.testinfra;

import java.util.concurrent.atomic.AtomicBoolean;

import org.springframework.boot.SpringApplication;

/**
 * Stopping shared servers at JVM exit only after the Spring applications still open then are closed. Applications
 * a test leaves open (Spring's test framework caches its contexts until the JVM exits) are closed by Spring Boot's
 * shutdown hook, which the JVM runs at the same time as every other hook: a server stopped meanwhile makes their
 * clients retry and wait out their timeouts, past surefire's 30 s limit for the forked JVM to exit. Spring Boot's
 * shutdown handlers run once its hook has closed every application, so servers are stopped there. Spring Boot
 * installs its hook when the first application starts; in a JVM that started none, a plain JVM hook stops them.
 */
final class ExitHooks {

    private static volatile boolean applicationStarted;

    private ExitHooks() {
    }

    /** A Spring application has started in this JVM: Spring Boot's shutdown hook will run its handlers at exit. */
    static void applicationStarted() {
        applicationStarted = true;
    }

    /** Runs {@code stop} once at JVM exit, after the Spring applications still open have been closed. */
    static void stopAfterApplications(String name, Runnable stop) {
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable once = () -> {
            if (stopped.compareAndSet(false, true)) {
                stop.run();
            }
        };
        SpringApplication.getShutdownHandlers().add(once);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (!applicationStarted) {
                once.run();
            }
        }, name));
    }
}
