package org.isos.server.directives.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.directives.DirectiveRefused;
import org.isos.server.directives.DirectiveRefused.Reason;
import org.isos.server.directives.HostDirective;
import org.isos.server.directives.HostDirectives;
import org.isos.server.hosts.HostPolicy;
import org.isos.server.store.Store;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link HostDirectives} in the store's {@code host_directives} table (migration V007): one row per host
 * whose owner gave a directive. A change bumps the row's revision in the same statement that writes it, so
 * two owners' sessions changing the same host never reuse a revision.
 *
 * <p>{@link #directive} answers every heartbeat, so it is served from memory for {@link #CACHED_FOR}: a change
 * made through this instance replaces its entry at once; one made through another server over the same store is
 * seen here at most that long later.
 */
@Component(service = HostDirectives.class)
public class JdbcHostDirectives implements HostDirectives {

    private static final String COLUMNS = "host_id, revision, paused, max_cpu_share, storage_quota_bytes, "
            + "bandwidth_cap_bytes_per_second, accepted_categories, minimum_price_per_hour_micros, updated";

    /** How long a directive read from the store is handed out without reading it again. */
    static final Duration CACHED_FOR = Duration.ofSeconds(5);

    private final Store store;
    private final Clock clock;
    private final long cachedForNanos;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    /** A directive as read (or written) at {@code readNanos} ({@link System#nanoTime()}). */
    private record Cached(HostDirective directive, long readNanos) {
    }

    @Activate
    public JdbcHostDirectives(@Reference Store store) {
        this(store, Clock.systemUTC(), CACHED_FOR);
    }

    JdbcHostDirectives(Store store, Clock clock) {
        this(store, clock, CACHED_FOR);
    }

    /** {@code cachedFor} zero: every {@link #directive} reads the store. */
    JdbcHostDirectives(Store store, Clock clock, Duration cachedFor) {
        this.store = store;
        this.clock = clock;
        this.cachedForNanos = cachedFor.toNanos();
    }

    @Override
    public HostDirective setPolicy(Account owner, String hostId, HostPolicy policy) throws DirectiveRefused, SQLException {
        checkOwner(owner);
        if (policy == null) {
            throw new DirectiveRefused(Reason.BAD_REQUEST, "no policy given");
        }
        String problem = HostDirectives.check(policy);
        if (problem != null) {
            throw new DirectiveRefused(Reason.BAD_REQUEST, "the agent would refuse this policy: " + problem);
        }
        return change(owner, hostId, "max_cpu_share = ?, storage_quota_bytes = ?, bandwidth_cap_bytes_per_second = ?, "
                + "accepted_categories = ?, minimum_price_per_hour_micros = ?", (p, i) -> {
                    p.setDouble(i, policy.maxCpuShare());
                    p.setLong(i + 1, policy.storageQuotaBytes());
                    p.setLong(i + 2, policy.bandwidthCapBytesPerSecond());
                    p.setString(i + 3, String.join(",", new TreeSet<>(policy.acceptedCategories())));
                    p.setLong(i + 4, policy.minimumPricePerHourMicros());
                    return i + 5;
                }, null);
    }

    @Override
    public HostDirective pause(Account owner, String hostId, boolean paused) throws DirectiveRefused, SQLException {
        checkOwner(owner);
        return change(owner, hostId, "paused = ?", (p, i) -> {
            p.setBoolean(i, paused);
            return i + 1;
        }, paused);
    }

    @FunctionalInterface
    private interface Setter {
        int set(PreparedStatement statement, int firstIndex) throws SQLException;
    }

    /**
     * Writes {@code assignments} into the host's row (made at revision 0 when there is none), bumping its
     * revision; when {@code unchangedIfPaused} is the row's paused state already, nothing changes.
     */
    private HostDirective change(Account owner, String hostId, String assignments, Setter setter, Boolean unchangedIfPaused)
            throws DirectiveRefused, SQLException {
        HostDirective changed = changeInStore(owner, hostId, assignments, setter, unchangedIfPaused);
        // committed: this instance's heartbeats hand it out from now on
        cached(changed);
        return changed;
    }

    private HostDirective changeInStore(Account owner, String hostId, String assignments, Setter setter,
            Boolean unchangedIfPaused) throws DirectiveRefused, SQLException {
        Instant now = clock.instant();
        try {
            return store.transaction(c -> {
                try (PreparedStatement p = c.prepareStatement("SELECT owner_id FROM hosts WHERE id = ?")) {
                    p.setString(1, hostId);
                    try (ResultSet r = p.executeQuery()) {
                        if (!r.next() || !r.getString(1).equals(owner.id())) {
                            throw new Refusal(new DirectiveRefused(Reason.NOT_FOUND, "no host " + hostId
                                    + " among your hosts (GET /v1/hosts lists them)"));
                        }
                    }
                }
                try (PreparedStatement p = c.prepareStatement("INSERT INTO host_directives (host_id, owner_id, revision, "
                        + "paused, updated) VALUES (?, ?, 1, FALSE, ?) ON CONFLICT DO NOTHING")) {
                    p.setString(1, hostId);
                    p.setString(2, owner.id());
                    p.setObject(3, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
                    if (p.executeUpdate() == 0) {
                        HostDirective before = read(c, hostId);
                        if (unchangedIfPaused != null && before != null && before.paused() == unchangedIfPaused) {
                            return before;
                        }
                        bump(c, hostId);
                    }
                }
                try (PreparedStatement p = c.prepareStatement("UPDATE host_directives SET " + assignments
                        + ", updated = ? WHERE host_id = ?")) {
                    int next = setter.set(p, 1);
                    p.setObject(next, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
                    p.setString(next + 1, hostId);
                    p.executeUpdate();
                }
                return read(c, hostId);
            });
        } catch (Refusal r) {
            throw r.refused;
        }
    }

    private static void bump(Connection c, String hostId) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE host_directives SET revision = revision + 1 WHERE host_id = ?")) {
            p.setString(1, hostId);
            p.executeUpdate();
        }
    }

    @Override
    public HostDirective directive(String hostId) throws SQLException {
        Cached hit = cache.get(hostId);
        if (hit != null && System.nanoTime() - hit.readNanos() < cachedForNanos) {
            return hit.directive();
        }
        HostDirective d;
        try (Connection c = store.connection()) {
            d = read(c, hostId);
        }
        return cached(d == null ? HostDirective.none(hostId) : d);
    }

    /**
     * Caches {@code directive} unless a later revision is cached already (a read that began before a change
     * committed here must not replace what the change cached); returns what is cached.
     */
    private HostDirective cached(HostDirective directive) {
        if (cachedForNanos <= 0) {
            return directive;
        }
        Cached fresh = new Cached(directive, System.nanoTime());
        return cache.merge(directive.hostId(), fresh,
                (old, now) -> old.directive().revision() > now.directive().revision() ? old : now).directive();
    }

    @Override
    public List<HostDirective> directivesOf(Account owner) throws DirectiveRefused, SQLException {
        checkOwner(owner);
        try (Connection c = store.connection();
                PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS
                        + " FROM host_directives WHERE owner_id = ? ORDER BY host_id")) {
            p.setString(1, owner.id());
            List<HostDirective> all = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    all.add(row(r));
                }
            }
            return all;
        }
    }

    private static HostDirective read(Connection c, String hostId) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM host_directives WHERE host_id = ?")) {
            p.setString(1, hostId);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? row(r) : null;
            }
        }
    }

    private static HostDirective row(ResultSet r) throws SQLException {
        HostPolicy policy = null;
        double cpu = r.getDouble(4);
        if (!r.wasNull()) {
            String categories = r.getString(7);
            policy = new HostPolicy(cpu, r.getLong(5), r.getLong(6), categories == null || categories.isEmpty()
                    ? java.util.Set.of() : new TreeSet<>(Arrays.asList(categories.split(","))), r.getLong(8));
        }
        return new HostDirective(r.getString(1), r.getLong(2), policy, r.getBoolean(3),
                r.getObject(9, OffsetDateTime.class).toInstant());
    }

    private static void checkOwner(Account owner) throws DirectiveRefused {
        if (owner.kind() != AccountKind.OWNER) {
            throw new DirectiveRefused(Reason.NOT_AN_OWNER, "only host owners direct hosts (this token is a "
                    + owner.kind().code() + "'s)");
        }
    }

    /** Carries a refusal out of the transaction's work, which may throw only SQLException; rolls the transaction back. */
    private static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final DirectiveRefused refused;

        Refusal(DirectiveRefused refused) {
            super(refused.getMessage(), refused, false, false);
            this.refused = refused;
        }
    }
}
