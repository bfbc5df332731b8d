package org.isos.server.internal;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A component's background sweep (hosts gone silent become OFFLINE, leases past expiry become EXPIRED): one
 * task every period, with a fixed delay so a slow sweep never overlaps the next, on a daemon thread of its own,
 * until {@link #close()}.
 */
public final class PeriodicSweep implements AutoCloseable {

    private final ScheduledExecutorService executor;

    public PeriodicSweep(String threadName, Duration every, Runnable sweep) {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        long millis = Math.max(1, every.toMillis());
        executor.scheduleWithFixedDelay(sweep, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** Stops the sweep, waiting up to 5 s for one in progress. */
    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
