package org.isos.kernel.internal;

import java.util.concurrent.locks.LockSupport;

/**
 * A lease's bandwidth cap: {@code rate} bytes per second with a burst of one second. Takers block
 * until their bytes are covered; only app threads take, never the transport's event loop.
 */
final class TokenBucket {

    private volatile long rate;
    private double tokens;
    private long refilledAt = System.nanoTime();

    TokenBucket(long bytesPerSecond) {
        this.rate = bytesPerSecond;
        this.tokens = bytesPerSecond;
    }

    void rate(long bytesPerSecond) {
        this.rate = bytesPerSecond;
    }

    /** Blocks until {@code bytes} may pass. Requests above the burst pass in debt and repay it by waiting. */
    void take(long bytes) throws InterruptedException {
        long waitNanos;
        synchronized (this) {
            refill();
            tokens -= bytes;
            waitNanos = tokens >= 0 ? 0 : (long) (-tokens / rate * 1e9);
        }
        long deadline = System.nanoTime() + waitNanos;
        while (waitNanos > 0) {
            LockSupport.parkNanos(waitNanos);
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted while waiting for bandwidth");
            }
            waitNanos = deadline - System.nanoTime();
        }
    }

    private void refill() {
        long now = System.nanoTime();
        tokens = Math.min(rate, tokens + (now - refilledAt) / 1e9 * rate);
        refilledAt = now;
    }

}
