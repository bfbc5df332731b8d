package org.isos.server.ca.internal;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

import org.isos.server.ca.Revocation;

/**
 * The revoked certificates that have not expired, in memory: every heartbeat asks "revoked since" and every
 * mutual-TLS request "is this serial revoked", and reading the table for that cost a query each. A revocation made
 * on this instance is in the list as soon as it is committed ({@link #add}); one made by another server instance
 * over the same database arrives with the next reload, at most {@code refresh} later. Readers never wait for a
 * reload (except for the first load): the one that finds the list stale reloads it, the others read the old one.
 */
final class RevocationList {

    /** A revocation and when its certificate expires (after that, nobody needs to hear of it). */
    record Entry(Revocation revocation, Instant expires) {
    }

    @FunctionalInterface
    interface Loader {
        /** Every revoked certificate not yet expired. */
        List<Entry> load() throws SQLException;
    }

    private static final Comparator<Entry> ORDER = Comparator.comparing((Entry e) -> e.revocation().revokedAt())
            .thenComparing(e -> e.revocation().serial());

    /** Oldest revocation first, and by serial; immutable. */
    private record Snapshot(List<Entry> entries, Map<String, Entry> bySerial, long loadedNanos) {

        static Snapshot of(List<Entry> entries, long loadedNanos) {
            List<Entry> sorted = new ArrayList<>(entries);
            sorted.sort(ORDER);
            Map<String, Entry> bySerial = new HashMap<>();
            for (Entry e : sorted) {
                bySerial.put(e.revocation().serial(), e);
            }
            return new Snapshot(List.copyOf(sorted), Map.copyOf(bySerial), loadedNanos);
        }
    }

    private final Loader loader;
    private final long refreshNanos;
    /** Held while reloading or adding, so that an addition is never overwritten by a reload read before it. */
    private final ReentrantLock changing = new ReentrantLock();
    private volatile Snapshot snapshot;

    RevocationList(Loader loader, Duration refresh) {
        this.loader = loader;
        this.refreshNanos = refresh.toNanos();
    }

    /** Revocations at or after {@code since} of certificates not expired at {@code now}, oldest first. */
    List<Revocation> since(Instant since, Instant now) throws SQLException {
        List<Entry> entries = current().entries();
        int low = 0;
        int high = entries.size();
        while (low < high) { // the first entry revoked at or after since
            int mid = (low + high) >>> 1;
            if (entries.get(mid).revocation().revokedAt().isBefore(since)) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        List<Revocation> out = new ArrayList<>();
        for (int i = low; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (e.expires().isAfter(now)) {
                out.add(e.revocation());
            }
        }
        return out;
    }

    /** Whether the list holds {@code serial} (lower-case hex) as revoked. */
    boolean holds(String serial) throws SQLException {
        return current().bySerial().containsKey(serial);
    }

    /** A revocation this instance committed: in the list from now on. */
    void add(Entry entry) throws SQLException {
        changing.lock();
        try {
            Snapshot now = current();
            if (now.bySerial().containsKey(entry.revocation().serial())) {
                return;
            }
            List<Entry> entries = new ArrayList<>(now.entries());
            entries.add(entry);
            snapshot = Snapshot.of(entries, now.loadedNanos());
        } finally {
            changing.unlock();
        }
    }

    private Snapshot current() throws SQLException {
        Snapshot s = snapshot;
        if (s == null) {
            changing.lock(); // the first load: everybody waits for it
            try {
                if (snapshot == null) {
                    snapshot = Snapshot.of(loader.load(), System.nanoTime());
                }
                return snapshot;
            } finally {
                changing.unlock();
            }
        }
        if (System.nanoTime() - s.loadedNanos() > refreshNanos && changing.tryLock()) {
            try {
                if (snapshot == s) {
                    long started = System.nanoTime();
                    snapshot = Snapshot.of(loader.load(), started);
                }
            } finally {
                changing.unlock();
            }
            return snapshot;
        }
        return s;
    }
}
