package org.isos.apps.streaming.client;

import java.io.IOException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A holder in memory that behaves like the streaming app on a host: it checks ids on store, serves a fetch as a
 * stream of chunks paced to its rate on a thread of its own, and ends it early on cancel. It can be made slow, made
 * to stall (stop sending, stream left open), to die (every fetch in flight and later fails), or to corrupt what it
 * serves.
 */
final class MemoryHolder implements SegmentHolder {

    final String hostId;
    final Map<String, byte[]> fragments = new ConcurrentHashMap<>();
    final AtomicInteger fetches = new AtomicInteger();
    final AtomicInteger cancels = new AtomicInteger();
    /** Fetches being served now (sending or waiting for the holder's rate). */
    final AtomicInteger serving = new AtomicInteger();
    volatile long bytesPerSecond;
    volatile int chunkBytes = 4096;
    /** Stop sending (without ending the stream) after this many bytes of any fetch; -1 never. */
    volatile long stallAfterBytes = -1;
    volatile boolean dead;
    /** Flip a byte in everything served. */
    volatile boolean corrupt;
    /**
     * When set, the first fetch blocks in the caller (as a session being opened does) until this holds, 5 s at most;
     * {@link #openedOnCondition} says whether it held.
     */
    volatile java.util.function.BooleanSupplier openWhen;
    volatile boolean openedOnCondition;
    private boolean opened;

    MemoryHolder(String hostId, long bytesPerSecond) {
        this.hostId = hostId;
        this.bytesPerSecond = bytesPerSecond;
    }

    @Override
    public String hostId() {
        return hostId;
    }

    @Override
    public void store(String title, int segment, int index, String fragmentId, byte[] fragment) throws IOException {
        if (dead) {
            throw new IOException("host " + hostId + " unreachable");
        }
        if (!sha256(fragment).equals(fragmentId)) {
            throw new IOException("host " + hostId + " refused: id is not the fragment's hash");
        }
        fragments.put(title + "/" + segment + "/" + index, fragment.clone());
    }

    @Override
    public Fetch fetch(String title, int segment, int index, String fragmentId, Receiver receiver) {
        fetches.incrementAndGet();
        java.util.function.BooleanSupplier gate = openWhen;
        synchronized (this) {
            if (gate != null && !opened) {
                long until = System.nanoTime() + 5_000_000_000L;
                while (!gate.getAsBoolean() && System.nanoTime() < until) {
                    sleep(5);
                }
                openedOnCondition = gate.getAsBoolean();
                opened = true;
            }
        }
        AtomicBoolean cancelled = new AtomicBoolean();
        Thread t = new Thread(() -> {
            serving.incrementAndGet();
            try {
                serve(title + "/" + segment + "/" + index, fragmentId, receiver, cancelled);
            } finally {
                serving.decrementAndGet();
            }
        }, "memory-holder-" + hostId);
        t.setDaemon(true);
        t.start();
        return () -> {
            cancels.incrementAndGet();
            cancelled.set(true);
        };
    }

    private void serve(String place, String expected, Receiver receiver, AtomicBoolean cancelled) {
        if (dead) {
            receiver.failed("host " + hostId + " unreachable");
            return;
        }
        byte[] stored = fragments.get(place);
        if (stored == null) {
            receiver.failed("no fragment " + place + " on this host");
            return;
        }
        if (!corrupt && !sha256(stored).equals(expected)) {
            receiver.failed("fragment " + place + " is not " + expected);
            return;
        }
        byte[] served = stored.clone();
        if (corrupt) {
            served[served.length / 2] ^= 0x40;
        }
        for (int at = 0; at < served.length; at += chunkBytes) {
            if (cancelled.get()) {
                receiver.ended(); // short: the viewer asked for it
                return;
            }
            if (dead) {
                receiver.failed("the connection closed before the stream ended");
                return;
            }
            if (stallAfterBytes >= 0 && at >= stallAfterBytes) {
                while (!cancelled.get() && !dead) {
                    sleep(20); // silent, stream left open
                }
                receiver.failed("the connection closed before the stream ended");
                return;
            }
            int n = Math.min(chunkBytes, served.length - at);
            long wait = reserve(n) - System.nanoTime();
            if (wait > 0) {
                sleep(wait / 1_000_000 + 1);
            }
            receiver.bytes(served, at, n);
        }
        receiver.ended();
    }

    private long nextFree;

    /** When {@code n} more bytes may go: the holder's rate is shared by all its fetches, like a lease's cap. */
    private synchronized long reserve(int n) {
        long now = System.nanoTime();
        nextFree = Math.max(now, nextFree) + (long) (n * 1e9 / bytesPerSecond);
        return nextFree;
    }

    @Override
    public void close() {
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
