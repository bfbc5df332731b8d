package org.isos.kernel.internal;

import java.util.concurrent.atomic.AtomicLong;

import org.isos.kernel.api.Usage;

/** The running meter of one lease: counters the workers, the store and the transport add to. */
final class LeaseUsage {

    private final AtomicLong cpuNanos = new AtomicLong();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private double storageByteSeconds;
    private long storedBytes;
    private long storedSince = System.nanoTime();

    void addCpu(long nanos) {
        if (nanos > 0) {
            cpuNanos.addAndGet(nanos);
        }
    }

    void addIn(long bytes) {
        bytesIn.addAndGet(bytes);
    }

    void addOut(long bytes) {
        bytesOut.addAndGet(bytes);
    }

    /** The store now holds {@code bytes}: close the interval at the old size. */
    synchronized void storageChanged(long bytes) {
        accrueStorage();
        storedBytes = bytes;
    }

    private void accrueStorage() {
        long now = System.nanoTime();
        storageByteSeconds += storedBytes * ((now - storedSince) / 1e9);
        storedSince = now;
    }

    synchronized Usage snapshot() {
        accrueStorage();
        return new Usage(cpuNanos.get(), storageByteSeconds, bytesIn.get(), bytesOut.get());
    }
}
