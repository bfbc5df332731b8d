package org.isos.server.leases.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.isos.server.leases.Lease;

/**
 * Whom a host's apps may reach: the running leases of the same buyer's same app on other hosts where a kernel
 * listens, handed to the host with each heartbeat. Read per app (buyer and app) and kept for a few seconds, because
 * every host of an app asks for the same list: reading it per heartbeat walked every running lease in the registry
 * for each heartbeat of a leased host. A lease granted or ended meanwhile reaches the app's other hosts that much
 * later (heartbeats are tens of seconds apart anyway).
 */
final class AppPeers {

    /** How long an app's list is handed out before it is read again. */
    static final Duration CACHED_FOR = Duration.ofSeconds(5);

    private record App(String buyer, String app) {
    }

    private record Listed(List<Lease> leases, long readNanos) {
    }

    private static final Comparator<Lease> OLDEST_FIRST = Comparator.comparing(Lease::created).thenComparing(Lease::id);

    private final String selectLease;
    private final String running;
    private final int maxListed;
    private final long cachedForNanos;
    private final Reader reader;
    private final Map<App, Listed> cache = new ConcurrentHashMap<>();

    /**
     * @param selectLease the leases' SELECT up to its WHERE (columns as {@code reader} reads them)
     * @param running the SQL list of running states
     * @param maxListed the most peers one answer lists
     */
    AppPeers(String selectLease, String running, int maxListed, Duration cachedFor,
            Reader reader) {
        this.selectLease = selectLease;
        this.running = running;
        this.maxListed = maxListed;
        this.cachedForNanos = cachedFor.toNanos();
        this.reader = reader;
    }

    /**
     * The peers of {@code hostId}, which runs {@code runningHere}: other hosts' unexpired running leases of the
     * same buyers' same apps, with a transport address, oldest lease first, at most {@code maxListed}.
     */
    List<Lease> of(Connection c, String hostId, List<Lease> runningHere, Instant now) throws SQLException {
        Set<App> apps = new LinkedHashSet<>();
        for (Lease lease : runningHere) {
            apps.add(new App(lease.buyer(), lease.app()));
        }
        List<Lease> peers = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (App app : apps) {
            for (Lease lease : listed(c, app, now)) {
                if (!hostId.equals(lease.hostId()) && lease.expiry().isAfter(now) && seen.add(lease.id())) {
                    peers.add(lease);
                }
            }
        }
        peers.sort(OLDEST_FIRST);
        return peers.size() > maxListed ? List.copyOf(peers.subList(0, maxListed)) : peers;
    }

    private List<Lease> listed(Connection c, App app, Instant now) throws SQLException {
        Listed hit = cache.get(app);
        long at = System.nanoTime();
        if (hit != null && at - hit.readNanos() < cachedForNanos) {
            return hit.leases();
        }
        // twice the answer's limit: the asking host's own leases of the app are among them and left out after
        try (PreparedStatement s = c.prepareStatement(selectLease + "WHERE l.buyer_id = ? AND l.app = ? AND l.state IN "
                + running + " AND l.expiry > ? AND h.transport_address IS NOT NULL ORDER BY l.created, l.id "
                + "FETCH FIRST " + (2 * maxListed) + " ROWS ONLY")) {
            s.setString(1, app.buyer());
            s.setString(2, app.app());
            s.setObject(3, JdbcLeases.at(now));
            List<Lease> leases = List.copyOf(reader.read(s));
            if (cache.size() > 100_000) { // bounded: an instance serves far fewer running apps
                cache.clear();
            }
            cache.put(app, new Listed(leases, at));
            return leases;
        }
    }

    /** Runs a leases query (columns as in the SELECT given) into leases. */
    @FunctionalInterface
    interface Reader {
        List<Lease> read(PreparedStatement query) throws SQLException;
    }
}
