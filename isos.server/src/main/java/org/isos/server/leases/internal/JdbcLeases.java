package org.isos.server.leases.internal;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.isos.server.internal.PeriodicSweep;
import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.bank.Bank;
import org.isos.server.bank.BankRefused;
import org.isos.server.bank.PriceTable;
import org.isos.server.bank.Settlement;
import org.isos.server.hosts.Availability;
import org.isos.server.hosts.DailyHours;
import org.isos.server.hosts.Heartbeat;
import org.isos.server.hosts.HostPolicy;
import org.isos.server.hosts.HostRefused;
import org.isos.server.hosts.Hosts;
import org.isos.server.hosts.ReportedStatus;
import org.isos.server.leases.HostLeases;
import org.isos.server.leases.Lease;
import org.isos.server.leases.LeaseRefused;
import org.isos.server.leases.LeaseRefused.Reason;
import org.isos.server.leases.LeaseReport;
import org.isos.server.leases.LeaseRequest;
import org.isos.server.leases.Leases;
import org.isos.server.leases.UsageOutcome;
import org.isos.server.leases.UsageReport;
import org.isos.server.store.Store;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Leases in the store's {@code leases} table, their escrow and usage payments through the {@link Bank} in the
 * same transactions. Matching reads the cheapest qualifying hosts from {@code hosts} (index {@code hosts_match_price}):
 * room is each host's policy less its {@code committed_*} columns, which every change to a host's running leases
 * sets, in its transaction, to the sums over them ({@link #recommit}); the spread over owners is ranked in Java.
 * A sweep on the component's own thread expires leases past their expiry and fails the ones of hosts gone
 * OFFLINE; each end returns the escrow's rest to the buyer.
 */
@Component(service = Leases.class, configurationPid = PriceConfig.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class JdbcLeases implements Leases, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(JdbcLeases.class.getName());
    /** How often the sweep looks for expired leases and lost hosts. */
    static final Duration SWEEP_PERIOD = Duration.ofSeconds(5);
    /** How long an ended lease is listed in its host's heartbeat answers. */
    static final Duration ENDED_LISTED_FOR = Duration.ofHours(1);
    /** Usage above what a lease granted, by this factor, is capped. */
    static final double USAGE_SLACK = 1.10;
    /** Usage is billable this long after a lease ended or expired (the host's last record comes after the end). */
    static final Duration USAGE_GRACE = Duration.ofMinutes(1);
    static final int MAX_HOSTS_PER_REQUEST = 100;
    static final int MAX_EXCLUDED_HOSTS = 1000;
    static final int MAX_REASON_CHARS = 1000;
    private static final List<String> STATES = List.of("PENDING", "ACTIVE", "SUSPENDED", "EXPIRED", "RELEASED", "FAILED");
    private static final String RUNNING = "('PENDING', 'ACTIVE')";

    private final Store store;
    private final Hosts hosts;
    private final Bank bank;
    private final PriceTable prices;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private PeriodicSweep sweeper;
    /** The peers listed in heartbeat answers, read per app and kept a few seconds. */
    private final AppPeers appPeers = new AppPeers(SELECT_LEASE, RUNNING, MAX_PEERS_LISTED, AppPeers.CACHED_FOR,
            JdbcLeases::leases);

    @Activate
    public JdbcLeases(PriceConfig config, @Reference Store store, @Reference Hosts hosts, @Reference Bank bank) {
        this(store, hosts, bank, pricesOf(config), Clock.systemUTC());
        startSweeping(SWEEP_PERIOD);
    }

    /** Without a sweeper; tests give their prices and clock. */
    public JdbcLeases(Store store, Hosts hosts, Bank bank, PriceTable prices, Clock clock) {
        this.store = store;
        this.hosts = hosts;
        this.bank = bank;
        this.prices = prices;
        this.clock = clock;
    }

    static PriceTable pricesOf(PriceConfig config) {
        try {
            return new PriceTable(config.cpuCoreHourMicros(), config.storageGbDayMicros(), config.transferGbMicros(),
                    config.feeBasisPoints());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PriceConfig.PID + ": " + e.getMessage(), e);
        }
    }

    /** The posted prices in force. */
    public PriceTable prices() {
        return prices;
    }

    synchronized void startSweeping(Duration every) {
        sweeper = new PeriodicSweep("isos-leases-sweep", every, this::sweepQuietly);
    }

    @Override
    @Deactivate
    public synchronized void close() {
        if (sweeper != null) {
            sweeper.close();
            sweeper = null;
        }
    }

    // ------------------------------------------------------------------ granting

    @Override
    public List<Lease> grant(Account buyer, LeaseRequest request) throws LeaseRefused, SQLException {
        if (buyer.kind() != AccountKind.BUYER) {
            throw new LeaseRefused(Reason.FORBIDDEN, "only buyers lease hosts (account " + buyer.id() + " is a "
                    + buyer.kind().code() + ")");
        }
        check(request);
        long posted = prices.pricePerHourMicros(request.cpuShare(), request.storageBytes());
        if (request.maxPricePerHourMicros() != null && posted > request.maxPricePerHourMicros()) {
            throw new LeaseRefused(Reason.NOT_ENOUGH_HOSTS, "no host qualifies: the posted price for these resources is "
                    + posted + " micro-credits per hour, above maxPricePerHourMicros " + request.maxPricePerHourMicros());
        }
        Instant now = now();
        Instant expiry = now.plusSeconds(request.seconds());
        try {
            return store.transaction(c -> {
                String app = bundleOf(c, buyer, request.bundle());
                List<String[]> chosen = candidates(c, request, posted, List.of(), now);
                if (chosen.size() < request.hosts()) {
                    throw new Refusal(new LeaseRefused(Reason.NOT_ENOUGH_HOSTS, notEnough(c, request, chosen.size(), now)));
                }
                // Concurrent grants may have chosen the same hosts: lock them (in id order, so two grants never
                // wait on each other in a cycle) and ask again, now that the other grant has committed or waits
                // for us. Fewer answers mean a host was taken meanwhile: the store runs the grant again.
                List<String> ids = chosen.stream().map(h -> h[0]).sorted().toList();
                lockHosts(c, ids);
                if (candidates(c, request, posted, ids, now).size() < ids.size()) {
                    throw new SQLException("a chosen host was leased by a concurrent grant; choosing again", "40001");
                }
                List<Lease> granted = new ArrayList<>();
                for (String[] host : chosen) {
                    long price = Math.max(posted, Long.parseLong(host[2]));
                    String id = "lease-" + HexFormat.of().formatHex(bytes(16));
                    Lease lease = new Lease(id, buyer.id(), host[0], host[1], request.bundle(), app, "PENDING", null,
                            request.category(), request.cpuShare(), request.memoryBytes(), request.storageBytes(),
                            request.bandwidthBytesPerSecond(), price, now, expiry, null, host[3]);
                    insert(c, lease);
                    long escrow = escrowMicros(price, request.seconds());
                    try {
                        bank.hold("hold:" + id, buyer.id(), id, escrow);
                    } catch (BankRefused e) {
                        long total = 0;
                        for (String[] h : chosen) {
                            total += escrowMicros(Math.max(posted, Long.parseLong(h[2])), request.seconds());
                        }
                        throw new Refusal(bankRefusal(e, "these " + chosen.size() + " lease(s) need " + total
                                + " micro-credits in escrow: "));
                    }
                    granted.add(lease);
                }
                for (String hostId : ids) {
                    recommit(c, hostId);
                }
                return granted;
            });
        } catch (Refusal r) {
            throw (LeaseRefused) r.getCause();
        }
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** What a lease holds in escrow: its price for its time, rounded up, at least one micro-credit. */
    static long escrowMicros(long pricePerHourMicros, long seconds) {
        long amount = BigDecimal.valueOf(pricePerHourMicros).multiply(BigDecimal.valueOf(seconds))
                .divide(BigDecimal.valueOf(3600), 0, RoundingMode.CEILING).longValueExact();
        return Math.max(1, amount);
    }

    private static void check(LeaseRequest r) throws LeaseRefused {
        if (r.bundle() == null || !r.bundle().matches("[0-9a-f]{64}")) {
            throw bad("field 'bundle' must be the bundle's SHA-256 (64 lowercase hex digits)");
        }
        if (r.hosts() < 1 || r.hosts() > MAX_HOSTS_PER_REQUEST) {
            throw bad("field 'hosts' must be 1 to " + MAX_HOSTS_PER_REQUEST + ", not " + r.hosts());
        }
        if (r.seconds() < 1 || r.seconds() > MAX_SECONDS) {
            throw bad("field 'seconds' must be 1 to " + MAX_SECONDS + " (30 days), not " + r.seconds());
        }
        if (!(r.cpuShare() > 0 && r.cpuShare() <= HostPolicy.MAX_CPU_SHARE)) {
            throw bad("field 'cpuShare' must be > 0 and <= " + (int) HostPolicy.MAX_CPU_SHARE + ", not " + r.cpuShare());
        }
        if (r.memoryBytes() < 0) {
            throw bad("field 'memoryBytes' must be >= 0, not " + r.memoryBytes());
        }
        if (r.storageBytes() < 0) {
            throw bad("field 'storageBytes' must be >= 0, not " + r.storageBytes());
        }
        if (r.bandwidthBytesPerSecond() < 0) {
            throw bad("field 'bandwidthBytesPerSecond' must be >= 0, not " + r.bandwidthBytesPerSecond());
        }
        if (r.maxPricePerHourMicros() != null && r.maxPricePerHourMicros() < 0) {
            throw bad("field 'maxPricePerHourMicros' must be >= 0, not " + r.maxPricePerHourMicros());
        }
        if (r.minAvailability() != null && !(r.minAvailability() >= 0 && r.minAvailability() <= 1)) {
            throw bad("field 'minAvailability' must be a number from 0 to 1, not " + r.minAvailability());
        }
        if (r.window() != null) {
            try {
                DailyHours.minutes(r.window());
            } catch (IllegalArgumentException e) {
                throw bad("field 'window' (daily UTC hours the app must be able to run): " + e.getMessage());
            }
        }
        if (r.category() != null && !HostPolicy.CATEGORIES.contains(r.category())) {
            throw bad("field 'category' must be \"compute\", \"storage\" or \"streaming\", not \"" + r.category() + "\"");
        }
        if (r.excludeHosts().size() > MAX_EXCLUDED_HOSTS) {
            throw bad("field 'excludeHosts' names more than " + MAX_EXCLUDED_HOSTS + " hosts");
        }
        for (String host : r.excludeHosts()) {
            if (host == null || host.length() > 100) {
                throw bad("field 'excludeHosts' must hold host ids (strings of at most 100 characters)");
            }
        }
    }

    private static LeaseRefused bad(String message) {
        return new LeaseRefused(Reason.BAD_REQUEST, message);
    }

    /** The bundle's symbolic name, when the repository has it from this buyer. */
    private static String bundleOf(Connection c, Account buyer, String sha256) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT buyer_id, symbolic_name FROM bundles WHERE sha256 = ?")) {
            s.setString(1, sha256);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next() || !buyer.id().equals(r.getString(1))) {
                    throw new Refusal(new LeaseRefused(Reason.NOT_FOUND, "no bundle " + sha256
                            + " of yours in the repository: upload it first (POST /v1/bundles)"));
                }
                return r.getString(2);
            }
        }
    }

    /** The SQL conditions a host must meet besides room and the bundle rule (shared by matching and diagnosis). */
    private static String categoryColumn(String category) {
        return category == null ? null : "accepts_" + category; // a known category: checked before
    }

    /** The fewest qualifying hosts the match query reads, and how many per wanted host (room to spread over owners). */
    static final int MATCH_MIN_ROWS = 200;
    static final int MATCH_ROWS_PER_HOST = 8;
    /** A wider read when the cheapest rows could not be spread over enough owners: this many times more, then all. */
    static final int MATCH_WIDEN = 16;

    /**
     * One qualifying host as the match query reads it: {@code reserve} is the owner's reserve for this request
     * (the greater of the reserve in force and, for a window outside the owner's hours, the reserve there),
     * {@code indexed} the reserve in force (the match index's order, never above {@code reserve}).
     */
    record Candidate(String id, String owner, long reserve, long indexed, String transport, boolean ownerRunsIt) {

        Candidate(String id, String owner, long reserve, String transport, boolean ownerRunsIt) {
            this(id, owner, reserve, reserve, transport, ownerRunsIt);
        }
    }

    /**
     * The qualifying hosts, best first, at most {@code request.hosts()}: {id, owner, reserve, transport}.
     * Spread over owners first (owners not yet running the bundle, then each owner's cheapest host before anyone's
     * second), then the cheapest price (the lease's price, the greater of reserve and posted; then the lower reserve).
     * <p>
     * The store reads only the cheapest qualifying hosts (by reserve, through index {@code hosts_match_price}) and
     * the spread is ranked here. That read is the whole answer when every chosen host is its owner's cheapest and
     * of an owner not running the bundle: any host not read is dearer, and at best also its owner's first. Otherwise
     * an owner not read could come before a second host, so the read widens, at last to every qualifying host.
     * With {@code onlyHosts} (the re-check after locking) it reads just those hosts, unranked.
     */
    static List<String[]> candidates(Connection c, LeaseRequest request, long posted, List<String> onlyHosts,
            Instant now) throws SQLException {
        if (!onlyHosts.isEmpty()) {
            return rows(matching(c, request, onlyHosts, 0, now));
        }
        int limit = Math.max(MATCH_MIN_ROWS, request.hosts() * MATCH_ROWS_PER_HOST);
        while (true) {
            List<Candidate> read = matching(c, request, List.of(), limit, now);
            List<Candidate> chosen = spread(read, posted, request.hosts());
            boolean everyOne = limit == 0 || read.size() < limit;
            // a host not read has an indexed reserve (so a reserve) of at least the last one read: a window's
            // higher reserve may rank a host read below it only when that reserve is under the last indexed one
            long lastIndexed = read.isEmpty() ? Long.MAX_VALUE : read.get(read.size() - 1).indexed();
            Map<String, Candidate> firsts = ownersFirst(read);
            if (everyOne || chosen.stream().allMatch(h -> !h.ownerRunsIt() && firsts.get(h.owner()) == h
                    && (h.reserve() == h.indexed() || h.reserve() < lastIndexed))) {
                return rows(chosen);
            }
            limit = limit >= MATCH_MIN_ROWS * MATCH_WIDEN ? 0 : limit * MATCH_WIDEN;
        }
    }

    /** The order in which an owner's hosts come: the cheaper for this request first, then the index's order. */
    private static final java.util.Comparator<Candidate> OWNERS_ORDER = java.util.Comparator
            .comparingLong(Candidate::reserve).thenComparingLong(Candidate::indexed).thenComparing(Candidate::id);

    /** Each owner's first host among {@code read}. */
    private static Map<String, Candidate> ownersFirst(List<Candidate> read) {
        Map<String, Candidate> first = new java.util.HashMap<>();
        for (Candidate h : read) {
            first.merge(h.owner(), h, (a, b) -> OWNERS_ORDER.compare(a, b) <= 0 ? a : b);
        }
        return first;
    }

    private static List<String[]> rows(List<Candidate> hosts) {
        return hosts.stream().map(h -> new String[] { h.id(), h.owner(), Long.toString(h.reserve()), h.transport() })
                .toList();
    }

    /**
     * The best {@code wanted} of {@code read}: owners not running the bundle first, then by the host's rank among its
     * owner's ({@link #OWNERS_ORDER}), the lease's price, the reserve for this request, the reserve in force, the id.
     */
    static List<Candidate> spread(List<Candidate> read, long posted, int wanted) {
        Map<String, Integer> seen = new java.util.HashMap<>();
        Map<Candidate, Integer> ownerRank = new java.util.IdentityHashMap<>();
        for (Candidate h : read.stream().sorted(OWNERS_ORDER).toList()) {
            ownerRank.put(h, seen.merge(h.owner(), 1, Integer::sum));
        }
        return read.stream().sorted(java.util.Comparator.<Candidate>comparingInt(h -> h.ownerRunsIt() ? 1 : 0)
                .thenComparingInt(ownerRank::get)
                .thenComparingLong(h -> Math.max(h.reserve(), posted))
                .thenComparingLong(Candidate::reserve)
                .thenComparingLong(Candidate::indexed)
                .thenComparing(Candidate::id))
                .limit(wanted).toList();
    }

    /** The match query's answer: the first {@code limit} qualifying hosts (0: all) by reserve and id. */
    private static List<Candidate> matching(Connection c, LeaseRequest request, List<String> onlyHosts, int limit,
            Instant now) throws SQLException {
        List<Object> parameters = new ArrayList<>();
        String sql = matchQuery(request, onlyHosts, limit, parameters, now);
        List<Candidate> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(sql)) {
            bind(s, parameters);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    long indexed = r.getLong(3);
                    long reserve = Math.max(indexed, r.getLong(6));
                    out.add(new Candidate(r.getString(1), r.getString(2), reserve, indexed, r.getString(4),
                            r.getInt(5) == 1));
                }
            }
        }
        return out;
    }

    /**
     * The match query and its parameters (added to {@code parameters}); EXPLAINed by RegistryBench. Room is the
     * policy less what the host's running leases hold (its {@code committed_*} columns); the order is the index's
     * ({@code status} and {@code suspended} are fixed by the conditions: naming them lets H2 read the index in order
     * and stop at the limit, as PostgreSQL does by itself).
     */
    static String matchQuery(LeaseRequest request, List<String> onlyHosts, int limit, List<Object> parameters,
            Instant now) {
        String window = request.window() == null ? null : DailyHours.coverPattern(request.window());
        StringBuilder sql = new StringBuilder("SELECT h.id, h.owner_id, h.minimum_price_per_hour_micros, "
                + "h.transport_address, "
                // owners who run this bundle already come after the others (spread across requests too)
                + "CASE WHEN EXISTS (SELECT 1 FROM leases o WHERE o.bundle_sha256 = ? AND o.state IN " + RUNNING
                + " AND o.owner_id = h.owner_id) THEN 1 ELSE 0 END AS owner_runs_it, "
                // the reserve the window adds: none inside the owner's hours, the one outside them otherwise
                + (window == null ? "0" : "CASE WHEN h.allowed_slots LIKE ? THEN 0 ELSE h.minimum_price_outside_hours_micros END")
                + " AS window_reserve "
                + "FROM hosts h WHERE h.status = 'ONLINE' AND h.suspended = FALSE "
                // Room, memory, availability and window are one CASE: PostgreSQL then estimates them together at
                // one half (it cannot estimate such an expression) instead of multiplying a third per condition
                // as if independent, which at 100,000 hosts made it sort every qualifying row rather than read
                // hosts_match_price up to the limit (measured: RegistryBench, README "V012"). H2 reads the
                // index in order either way.
                + "AND CASE WHEN h.max_cpu_share - h.committed_cpu_share >= ? "
                + "AND h.storage_quota_bytes - h.committed_storage_bytes >= ? "
                + "AND h.bandwidth_cap_bytes_per_second - h.committed_bandwidth_bytes_per_second >= ? ");
        parameters.add(request.bundle());
        if (window != null) {
            parameters.add(window);
        }
        parameters.addAll(List.of(request.cpuShare(), request.storageBytes(), request.bandwidthBytesPerSecond()));
        if (request.memoryBytes() > 0) {
            // a host that never said how much memory it has does not match a request for memory
            sql.append("AND h.memory_bytes - h.committed_memory_bytes >= ? ");
            parameters.add(request.memoryBytes());
        }
        if (request.minAvailability() != null && request.minAvailability() > 0) {
            // every host here is available (ONLINE, not suspended): its clock says how long, see Availability
            sql.append("AND h.availability_clock <= ? ");
            parameters.add(Availability.latestClock(request.minAvailability(), now));
        }
        if (window != null) {
            // the owner's hours cover the window, or the owner takes work outside them (for its reserve there)
            sql.append("AND (h.allowed_slots LIKE ? OR (h.minimum_price_outside_hours_micros > 0");
            parameters.add(window);
            if (request.maxPricePerHourMicros() != null) {
                sql.append(" AND h.minimum_price_outside_hours_micros <= ?");
                parameters.add(request.maxPricePerHourMicros());
            }
            sql.append(")) ");
        }
        sql.append("THEN TRUE ELSE FALSE END ");
        if (request.category() != null) {
            sql.append("AND h.").append(categoryColumn(request.category())).append(" = TRUE ");
        }
        if (request.maxPricePerHourMicros() != null) {
            sql.append("AND h.minimum_price_per_hour_micros <= ? ");
            parameters.add(request.maxPricePerHourMicros());
        }
        if (!request.excludeHosts().isEmpty()) {
            sql.append("AND h.id NOT IN (").append("?, ".repeat(request.excludeHosts().size() - 1)).append("?) ");
            parameters.addAll(request.excludeHosts());
        }
        if (!onlyHosts.isEmpty()) {
            sql.append("AND h.id IN (").append("?, ".repeat(onlyHosts.size() - 1)).append("?) ");
            parameters.addAll(onlyHosts);
        }
        // never two running leases of one bundle on one host
        sql.append("AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.host_id = h.id AND l.state IN " + RUNNING
                + " AND l.bundle_sha256 = ?) ");
        parameters.add(request.bundle());
        sql.append("ORDER BY h.status, h.suspended, h.minimum_price_per_hour_micros, h.id");
        if (limit > 0) {
            sql.append(" LIMIT ?");
            parameters.add(limit);
        }
        return sql.toString();
    }

    /**
     * Sets the host's {@code committed_*} columns to the sums over its running leases, in the transaction that
     * changed them. The host row is locked first: the sums are then read after any other change to its leases
     * committed (READ COMMITTED reads as of each statement's start), so no concurrent change is lost.
     */
    static void recommit(Connection c, String hostId) throws SQLException {
        lockHosts(c, List.of(hostId));
        try (PreparedStatement u = c.prepareStatement("UPDATE hosts SET "
                + "committed_cpu_share = COALESCE((SELECT SUM(l.cpu_share) FROM leases l "
                + "WHERE l.host_id = hosts.id AND l.state IN " + RUNNING + "), 0), "
                + "committed_storage_bytes = COALESCE((SELECT SUM(l.storage_bytes) FROM leases l "
                + "WHERE l.host_id = hosts.id AND l.state IN " + RUNNING + "), 0), "
                + "committed_bandwidth_bytes_per_second = COALESCE((SELECT SUM(l.bandwidth_bytes_per_second) FROM leases l "
                + "WHERE l.host_id = hosts.id AND l.state IN " + RUNNING + "), 0), "
                + "committed_memory_bytes = COALESCE((SELECT SUM(l.memory_bytes) FROM leases l "
                + "WHERE l.host_id = hosts.id AND l.state IN " + RUNNING + "), 0) WHERE id = ?")) {
            u.setString(1, hostId);
            u.executeUpdate();
        }
    }

    /** Locks the hosts' rows, in id order (so two transactions that lock several never wait on each other in a cycle). */
    private static void lockHosts(Connection c, List<String> hostIds) throws SQLException {
        if (hostIds.isEmpty()) {
            return;
        }
        List<Object> ids = new ArrayList<>(hostIds.stream().distinct().sorted().toList());
        try (PreparedStatement lock = c.prepareStatement("SELECT id FROM hosts WHERE id IN ("
                + "?, ".repeat(ids.size() - 1) + "?) ORDER BY id FOR UPDATE")) {
            bind(lock, ids);
            lock.executeQuery().close();
        }
    }

    /** The buyer's lease {@code leaseId}, still running at {@code now}; refused ENDED otherwise, saying {@code what}. */
    private Lease runningLease(Connection c, Account buyer, String leaseId, Instant now, String what) throws SQLException {
        Lease lease = ownLease(c, buyer, leaseId);
        if (!lease.running() || !lease.expiry().isAfter(now)) {
            throw new Refusal(new LeaseRefused(Reason.ENDED, "lease " + leaseId + " is "
                    + (lease.running() ? "EXPIRED" : lease.state()) + ": " + what));
        }
        return lease;
    }

    /**
     * Why hosts did not qualify, counted by the first rule each broke: one aggregate over {@code hosts}, run only
     * when a request is refused.
     */
    private static String notEnough(Connection c, LeaseRequest request, int qualified, Instant now) throws SQLException {
        StringBuilder why = new StringBuilder("SELECT CASE "
                + "WHEN status <> 'ONLINE' THEN 'not online' "
                + "WHEN suspended IS NULL OR max_cpu_share IS NULL THEN 'no policy reported' "
                + "WHEN suspended THEN 'suspended by the owner' ");
        List<Object> parameters = new ArrayList<>();
        if (!request.excludeHosts().isEmpty()) {
            why.append("WHEN id IN (").append("?, ".repeat(request.excludeHosts().size() - 1)).append("?) THEN 'excluded' ");
            parameters.addAll(request.excludeHosts());
        }
        if (request.category() != null) {
            why.append("WHEN ").append(categoryColumn(request.category())).append(" = FALSE THEN 'category ")
                    .append(request.category()).append(" not accepted' ");
        }
        why.append("WHEN max_cpu_share < ? OR storage_quota_bytes < ? OR bandwidth_cap_bytes_per_second < ? "
                + "THEN 'policy allows less CPU, storage or bandwidth' ");
        parameters.addAll(List.of(request.cpuShare(), request.storageBytes(), request.bandwidthBytesPerSecond()));
        if (request.memoryBytes() > 0) {
            why.append("WHEN memory_bytes IS NULL THEN 'memory not reported' "
                    + "WHEN memory_bytes < ? THEN 'less memory than memoryBytes' ");
            parameters.add(request.memoryBytes());
        }
        if (request.minAvailability() != null && request.minAvailability() > 0) {
            why.append("WHEN availability_clock IS NULL OR availability_clock > ? THEN 'availability below minAvailability' ");
            parameters.add(Availability.latestClock(request.minAvailability(), now));
        }
        if (request.window() != null) {
            why.append("WHEN allowed_slots IS NULL THEN 'allowed hours not reported' "
                    + "WHEN NOT (allowed_slots LIKE ? OR minimum_price_outside_hours_micros > 0) "
                    + "THEN 'allowed hours do not cover the window' ");
            parameters.add(DailyHours.coverPattern(request.window()));
            if (request.maxPricePerHourMicros() != null) {
                why.append("WHEN NOT allowed_slots LIKE ? AND minimum_price_outside_hours_micros > ? "
                        + "THEN 'reserve outside the allowed hours above maxPricePerHourMicros' ");
                parameters.add(DailyHours.coverPattern(request.window()));
                parameters.add(request.maxPricePerHourMicros());
            }
        }
        if (request.maxPricePerHourMicros() != null) {
            why.append("WHEN minimum_price_per_hour_micros > ? THEN 'reserve price above maxPricePerHourMicros' ");
            parameters.add(request.maxPricePerHourMicros());
        }
        why.append("WHEN EXISTS (SELECT 1 FROM leases l WHERE l.host_id = hosts.id AND l.state IN " + RUNNING
                + " AND l.bundle_sha256 = ?) THEN 'runs this bundle already' ");
        parameters.add(request.bundle());
        why.append("ELSE 'no room left beside its running leases' END AS why, COUNT(*) FROM hosts GROUP BY 1 ORDER BY 2 DESC, 1");
        Map<String, Long> counts = new LinkedHashMap<>();
        long total = 0;
        try (PreparedStatement s = c.prepareStatement(why.toString())) {
            bind(s, parameters);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    counts.put(r.getString(1), r.getLong(2));
                    total += r.getLong(2);
                }
            }
        }
        StringBuilder message = new StringBuilder("only " + qualified + " of " + total + " host(s) qualify for "
                + request.hosts() + " lease(s)");
        List<String> reasons = new ArrayList<>();
        counts.forEach((reason, count) -> {
            if (!reason.startsWith("no room") || count > qualified) {
                reasons.add((reason.startsWith("no room") ? count - qualified : count) + " " + reason);
            }
        });
        reasons.removeIf(r -> r.startsWith("0 "));
        if (!reasons.isEmpty()) {
            message.append(": ").append(String.join(", ", reasons));
        }
        return message.toString();
    }

    // ------------------------------------------------------------------ reading and changing leases

    @Override
    public List<Lease> leasesOf(Account account, String state) throws LeaseRefused, SQLException {
        if (state != null && !STATES.contains(state)) {
            throw bad("state must be one of " + String.join(", ", STATES) + ", not \"" + cut(state) + "\"");
        }
        String column = account.kind() == AccountKind.BUYER ? "l.buyer_id" : "l.owner_id";
        return store.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement(SELECT_LEASE + "WHERE " + column + " = ?"
                    + (state == null ? "" : " AND l.state = ?") + " ORDER BY l.created DESC, l.id LIMIT 1000")) {
                s.setString(1, account.id());
                if (state != null) {
                    s.setString(2, state);
                }
                return leases(s);
            }
        });
    }

    @Override
    public Lease lease(Account account, String leaseId) throws LeaseRefused, SQLException {
        Lease lease = store.transaction(c -> find(c, leaseId, false));
        if (lease == null || !account.id().equals(lease.buyer()) && !account.id().equals(lease.ownerId())) {
            throw notFound(leaseId);
        }
        return lease;
    }

    private static LeaseRefused notFound(String leaseId) {
        return new LeaseRefused(Reason.NOT_FOUND, "no lease \"" + cut(leaseId) + "\" of yours");
    }

    @Override
    public Lease renew(Account buyer, String leaseId, long seconds) throws LeaseRefused, SQLException {
        if (seconds < 1) {
            throw bad("field 'seconds' must be at least 1, not " + seconds);
        }
        long granted = Math.min(seconds, MAX_SECONDS); // granted <= requested
        Instant now = now();
        try {
            return store.transaction(c -> {
                Lease lease = runningLease(c, buyer, leaseId, now, "it cannot be renewed; ask for a new one");
                Instant expiry = now.plusSeconds(granted);
                int renewals;
                try (PreparedStatement s = c.prepareStatement("SELECT renewals FROM leases WHERE id = ?")) {
                    s.setString(1, leaseId);
                    try (ResultSet r = s.executeQuery()) {
                        r.next();
                        renewals = r.getInt(1) + 1;
                    }
                }
                long added = Duration.between(lease.expiry(), expiry).getSeconds();
                if (added > 0) {
                    try {
                        bank.hold("hold:" + leaseId + ":" + renewals, buyer.id(), leaseId,
                                escrowMicros(lease.pricePerHourMicros(), added));
                    } catch (BankRefused e) {
                        throw new Refusal(bankRefusal(e, "renewing " + leaseId + " needs more escrow: "));
                    }
                }
                try (PreparedStatement u = c.prepareStatement("UPDATE leases SET expiry = ?, renewals = ? WHERE id = ?")) {
                    u.setObject(1, at(expiry));
                    u.setInt(2, renewals);
                    u.setString(3, leaseId);
                    u.executeUpdate();
                }
                return find(c, leaseId, false);
            });
        } catch (Refusal r) {
            throw (LeaseRefused) r.getCause();
        }
    }

    @Override
    public Lease release(Account buyer, String leaseId) throws LeaseRefused, SQLException {
        Instant now = now();
        try {
            return store.transaction(c -> {
                String hostId = leaseId == null || leaseId.length() > 64 ? null : hostOf(c, leaseId);
                if (hostId != null) {
                    lockHosts(c, List.of(hostId)); // before the lease: see endOnHost
                }
                Lease lease = ownLease(c, buyer, leaseId);
                if (lease.running()) {
                    end(c, leaseId, "RELEASED", null, now);
                } else if (!"RELEASED".equals(lease.state())) {
                    throw new Refusal(new LeaseRefused(Reason.ENDED, "lease " + leaseId + " has ended already ("
                            + lease.state() + (lease.reason() == null ? "" : ": " + lease.reason()) + ")"));
                }
                return find(c, leaseId, false);
            });
        } catch (Refusal r) {
            throw (LeaseRefused) r.getCause();
        }
    }

    @Override
    public Lease updateBundle(Account buyer, String leaseId, String sha256) throws LeaseRefused, SQLException {
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw bad("field 'bundle' must be the bundle's SHA-256 (64 lowercase hex digits)");
        }
        Instant now = now();
        try {
            return store.transaction(c -> {
                Lease lease = runningLease(c, buyer, leaseId, now, "its bundle cannot change any more");
                String app = bundleOf(c, buyer, sha256);
                if (!app.equals(lease.app())) {
                    throw new Refusal(bad("bundle " + sha256 + " is app " + app + ", but lease " + leaseId
                            + " runs app " + lease.app() + ": an update keeps the Bundle-SymbolicName"));
                }
                if (sha256.equals(lease.bundle())) {
                    return lease;
                }
                BundleUpdates.request(c, lease, sha256, now);
                return find(c, leaseId, false);
            });
        } catch (Refusal r) {
            throw (LeaseRefused) r.getCause();
        }
    }

    /** The buyer's lease, locked. */
    private static Lease ownLease(Connection c, Account buyer, String leaseId) throws SQLException {
        Lease lease = find(c, leaseId, true);
        if (lease == null || !buyer.id().equals(lease.buyer())) {
            throw new Refusal(notFound(leaseId));
        }
        return lease;
    }

    /**
     * Ends a running lease ({@code state} one of the end states) and returns its escrow's rest to the buyer;
     * a lease that is not running any more is left as it is. Usage records that arrive later are paid from the
     * buyer's balance ({@link Bank#settle} does that once the escrow is empty).
     *
     * @return whether this call ended it
     */
    private boolean end(Connection c, String leaseId, String state, String reason, Instant now) throws SQLException {
        int ended;
        try (PreparedStatement u = c.prepareStatement("UPDATE leases SET state = ?, reason = ?, ended = ? "
                + "WHERE id = ? AND state IN " + RUNNING)) {
            u.setString(1, state);
            u.setString(2, reason == null ? null : cut(reason, MAX_REASON_CHARS));
            u.setObject(3, at(now));
            u.setString(4, leaseId);
            ended = u.executeUpdate();
        }
        if (ended == 0) {
            return false;
        }
        recommit(c, hostOf(c, leaseId));
        try {
            bank.releaseHold("release:" + leaseId, leaseId);
        } catch (BankRefused e) {
            throw new IllegalStateException("the bank refused to release the escrow of " + leaseId + ": " + e.getMessage(), e);
        }
        return true;
    }

    /** The host of lease {@code leaseId}, or null when there is no such lease. */
    private static String hostOf(Connection c, String leaseId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT host_id FROM leases WHERE id = ?")) {
            s.setString(1, leaseId);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getString(1) : null;
            }
        }
    }

    /**
     * {@link #end} with the lease's host locked first. Ending a lease changes its host's row ({@link #recommit}); a
     * heartbeat locks the host's row before the leases it reports on, so locking in that order everywhere keeps
     * the two from waiting on each other.
     */
    private boolean endOnHost(Connection c, String leaseId, String state, String reason, Instant now)
            throws SQLException {
        String hostId = leaseId == null || leaseId.length() > 64 ? null : hostOf(c, leaseId);
        if (hostId != null) {
            lockHosts(c, List.of(hostId));
        }
        return end(c, leaseId, state, reason, now);
    }

    // ------------------------------------------------------------------ hosts

    @Override
    public HostLeases heartbeat(String hostId, X509Certificate certificate, String description, ReportedStatus status,
            List<LeaseReport> reports) throws HostRefused, SQLException {
        List<LeaseReport> given = reports == null ? List.of() : List.copyOf(reports);
        try {
            return store.transaction(c -> {
                Heartbeat beat;
                try {
                    beat = hosts.heartbeat(hostId, certificate, description, status);
                } catch (HostRefused e) {
                    throw new Refusal(e);
                }
                Instant now = beat.serverTime();
                if (!given.isEmpty()) {
                    lockHosts(c, List.of(hostId)); // before its leases: see endOnHost
                }
                for (LeaseReport report : given) {
                    apply(c, hostId, report, now);
                }
                // one read for the running leases and those past their expiry, which become EXPIRED here (so a
                // heartbeat is right between sweeps)
                List<Lease> running = new ArrayList<>();
                List<String> past = new ArrayList<>();
                try (PreparedStatement s = c.prepareStatement(SELECT_LEASE + "WHERE l.host_id = ? AND l.state IN "
                        + RUNNING + " ORDER BY l.created, l.id")) {
                    s.setString(1, hostId);
                    for (Lease lease : leases(s)) {
                        if (lease.expiry().isAfter(now)) {
                            running.add(lease);
                        } else {
                            past.add(lease.id());
                        }
                    }
                }
                if (!past.isEmpty()) {
                    lockHosts(c, List.of(hostId)); // before its leases: see endOnHost
                }
                for (String id : past) {
                    end(c, id, "EXPIRED", null, now);
                }
                List<Lease> ended;
                try (PreparedStatement s = c.prepareStatement(SELECT_LEASE + "WHERE l.host_id = ? AND l.ended >= ? "
                        + "AND l.state NOT IN " + RUNNING + " ORDER BY l.ended, l.id")) {
                    s.setString(1, hostId);
                    s.setObject(2, at(now.minus(ENDED_LISTED_FOR)));
                    ended = leases(s);
                }
                // the same buyer's same app elsewhere, where a kernel listens: whom this host's apps may reach
                List<Lease> peers = running.isEmpty() ? List.of() : appPeers.of(c, hostId, running, now);
                return new HostLeases(beat, running, ended, peers);
            });
        } catch (Refusal r) {
            throw (HostRefused) r.getCause();
        }
    }

    /** A host's report about a lease it holds; reports about other hosts' or ended leases change nothing. */
    private void apply(Connection c, String hostId, LeaseReport report, Instant now) throws SQLException {
        Lease lease = find(c, report.leaseId(), true);
        if (lease == null || !hostId.equals(lease.hostId()) || !lease.running()) {
            return;
        }
        switch (report.state()) {
            case "ACTIVE" -> {
                if ("PENDING".equals(lease.state())) {
                    try (PreparedStatement u = c.prepareStatement(
                            "UPDATE leases SET state = 'ACTIVE' WHERE id = ? AND state = 'PENDING'")) {
                        u.setString(1, lease.id());
                        u.executeUpdate();
                    }
                }
                if (report.bundleSha256() != null) {
                    BundleUpdates.recordRunning(c, lease, report);
                }
            }
            case "FAILED" -> end(c, lease.id(), "FAILED",
                    report.reason() == null || report.reason().isBlank() ? "refused by the host" : report.reason(), now);
            default -> end(c, lease.id(), lease.expiry().isAfter(now) ? "FAILED" : "EXPIRED",
                    lease.expiry().isAfter(now) ? "ended by the host" + (report.reason() == null ? "" : ": " + report.reason())
                            : null, now);
        }
    }

    @Override
    public boolean holdsBundle(String hostId, String sha256) throws SQLException {
        return store.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM leases WHERE host_id = ? AND state IN " + RUNNING
                    + " AND (bundle_sha256 = ? OR EXISTS (SELECT 1 FROM lease_bundles b WHERE b.lease_id = leases.id "
                    + "AND b.sha256 = ?))")) {
                s.setString(1, hostId);
                s.setString(2, sha256);
                s.setString(3, sha256);
                try (ResultSet r = s.executeQuery()) {
                    return r.next();
                }
            }
        });
    }

    // ------------------------------------------------------------------ usage

    @Override
    public UsageOutcome usage(String hostId, X509Certificate certificate, List<UsageReport> records)
            throws HostRefused, SQLException {
        hosts.authenticate(hostId, certificate);
        PublicKey key = certificate.getPublicKey();
        List<UsageOutcome.Accepted> accepted = new ArrayList<>();
        List<UsageOutcome.Refused> refused = new ArrayList<>();
        for (UsageReport record : records) {
            String refusal = refusalOf(hostId, key, record);
            if (refusal == null) {
                try {
                    refusal = settle(hostId, record);
                } catch (SQLException e) {
                    if (!"23505".equals(e.getSQLState())) {
                        throw e;
                    }
                    refusal = null; // the same record stored meanwhile by a concurrent delivery: paid once, accepted
                }
            }
            if (refusal == null) {
                accepted.add(new UsageOutcome.Accepted(record.leaseId(), record.sequence()));
            } else {
                refused.add(new UsageOutcome.Refused(record.leaseId(), record.sequence(), refusal));
            }
        }
        return new UsageOutcome(accepted, refused);
    }

    /** Why a record is refused before the store is asked (its fields, its signature), or null. */
    private static String refusalOf(String hostId, PublicKey key, UsageReport record) {
        if (record.leaseId() == null || record.leaseId().isEmpty() || record.leaseId().length() > 64) {
            return "leaseId must be a lease id";
        }
        if (!hostId.equals(record.hostId())) {
            return "the record is for host " + cut(String.valueOf(record.hostId())) + ", not " + hostId;
        }
        if (record.sequence() < 1) {
            return "sequence must be >= 1";
        }
        if (record.from() == null || record.to() == null || record.to().isBefore(record.from())) {
            return "the period must have from <= to";
        }
        if (record.cpuNanos() < 0 || record.bytesIn() < 0 || record.bytesOut() < 0
                || !(record.storageByteSeconds() >= 0) || Double.isInfinite(record.storageByteSeconds())) {
            return "usage figures must be >= 0";
        }
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(record.signature() == null ? "" : record.signature());
        } catch (IllegalArgumentException e) {
            return "signature is not base64";
        }
        try {
            Signature verifier = Signature.getInstance(key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA");
            verifier.initVerify(key);
            verifier.update(record.signedText().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            if (signature.length == 0 || !verifier.verify(signature)) {
                return "signature does not verify with host " + hostId + "'s certificate";
            }
        } catch (GeneralSecurityException e) {
            return "signature does not verify with host " + hostId + "'s certificate (" + e.getMessage() + ")";
        }
        return null;
    }

    /** Prices, pays and stores one record in one transaction; a refusal's reason or null (accepted). */
    private String settle(String hostId, UsageReport record) throws SQLException {
        Instant now = now();
        return store.transaction(c -> {
            Lease lease = find(c, record.leaseId(), false);
            if (lease == null || !hostId.equals(lease.hostId())) {
                return "lease " + cut(record.leaseId()) + " is not held by host " + hostId;
            }
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT 1 FROM usage_records WHERE lease_id = ? AND sequence = ?")) {
                s.setString(1, record.leaseId());
                s.setLong(2, record.sequence());
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) {
                        return null; // delivered before: paid then
                    }
                }
            }
            // What the lease granted over the billable part of the period, with slack; more is capped (and the
            // record noted). Billable: within the lease's life (until its end or expiry or now, plus a grace for the
            // last record) and after the periods already paid, so overlapping or invented periods earn nothing more.
            // Hosts send a lease's records in sequence order, so "after" is after the latest paid period's end.
            Instant paidUntil = paidUntil(c, lease.id());
            Instant windowStart = paidUntil != null && paidUntil.isAfter(lease.created()) ? paidUntil : lease.created();
            Instant life = lease.ended() != null ? lease.ended() : lease.expiry();
            // and nothing in the future: a host cannot bill ahead
            Instant windowEnd = (life.isBefore(now) ? life : now).plus(USAGE_GRACE);
            Instant billedFrom = record.from().isAfter(windowStart) ? record.from() : windowStart;
            Instant billedTo = record.to().isBefore(windowEnd) ? record.to() : windowEnd;
            double seconds = billedTo.isAfter(billedFrom) ? Duration.between(billedFrom, billedTo).toNanos() / 1e9 : 0;
            long cpuCap = capOf(lease.cpuShare() * seconds * 1e9);
            double storageCap = lease.storageBytes() * seconds * USAGE_SLACK;
            long transferCap = capOf(lease.bandwidthBytesPerSecond() * seconds);
            long transferred = saturatedAdd(record.bytesIn(), record.bytesOut());
            long cpu = Math.min(record.cpuNanos(), cpuCap);
            double storage = Math.min(record.storageByteSeconds(), storageCap);
            long transfer = Math.min(transferred, transferCap);
            boolean capped = cpu < record.cpuNanos() || storage < record.storageByteSeconds() || transfer < transferred;
            if (capped) {
                LOG.info("usage record " + record.leaseId() + "#" + record.sequence() + " from " + hostId
                        + " exceeds what the lease granted; capped");
            }
            long amount = prices.usageMicros(cpu, storage, transfer);
            Settlement settlement = null;
            if (amount > 0) {
                try {
                    settlement = bank.settle("usage:" + record.leaseId() + ":" + record.sequence(), lease.buyer(),
                            lease.id(), lease.ownerId(), amount);
                } catch (BankRefused e) {
                    throw new IllegalStateException("the bank refused usage of " + lease.id() + ": " + e.getMessage(), e);
                }
            }
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO usage_records (lease_id, sequence, host_id, "
                    + "period_from, period_to, cpu_nanos, storage_byte_seconds, bytes_in, bytes_out, last_record, capped, "
                    + "signature, amount_micros, paid_micros, short_micros, settled) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                insert.setString(1, record.leaseId());
                insert.setLong(2, record.sequence());
                insert.setString(3, hostId);
                insert.setObject(4, at(record.from()));
                insert.setObject(5, at(record.to()));
                insert.setLong(6, record.cpuNanos());
                insert.setDouble(7, record.storageByteSeconds());
                insert.setLong(8, record.bytesIn());
                insert.setLong(9, record.bytesOut());
                insert.setBoolean(10, record.last());
                insert.setBoolean(11, capped);
                insert.setString(12, record.signature());
                insert.setLong(13, amount);
                insert.setLong(14, settlement == null ? 0 : settlement.paidMicros());
                insert.setLong(15, settlement == null ? 0 : settlement.shortMicros());
                insert.setObject(16, at(now));
                insert.executeUpdate();
            }
            if (settlement != null && settlement.shortMicros() > 0) {
                suspendLeasesOf(c, lease.buyer(), now);
            }
            return null;
        });
    }

    /**
     * The end of the latest period paid under the lease, or null before its first record. A record's period counts
     * only up to when it was settled (plus the grace): a period reported ahead of time was not billed beyond that,
     * so it must not make the periods that follow unbillable.
     */
    private static Instant paidUntil(Connection c, String leaseId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT MAX(LEAST(period_to, settled + INTERVAL '"
                + USAGE_GRACE.toSeconds() + "' SECOND)) FROM usage_records WHERE lease_id = ?")) {
            s.setString(1, leaseId);
            try (ResultSet r = s.executeQuery()) {
                OffsetDateTime last = r.next() ? r.getObject(1, OffsetDateTime.class) : null;
                return last == null ? null : last.toInstant();
            }
        }
    }

    private static long capOf(double granted) {
        double capped = granted * USAGE_SLACK;
        return capped >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) Math.ceil(capped);
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }

    /** The buyer ran out of money: every running lease of theirs is SUSPENDED (delivered to hosts in {@code ended}). */
    private void suspendLeasesOf(Connection c, String buyerId, Instant now) throws SQLException {
        List<String> hostIds = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT DISTINCT host_id FROM leases WHERE buyer_id = ? AND state IN "
                + RUNNING)) {
            s.setString(1, buyerId);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    hostIds.add(r.getString(1));
                }
            }
        }
        lockHosts(c, hostIds); // before the leases: see endOnHost
        List<String> running = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT id FROM leases WHERE buyer_id = ? AND state IN " + RUNNING
                + " ORDER BY id FOR UPDATE")) {
            s.setString(1, buyerId);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    running.add(r.getString(1));
                }
            }
        }
        for (String id : running) {
            end(c, id, "SUSPENDED", "the buyer is out of funds", now);
        }
        if (!running.isEmpty()) {
            LOG.info("buyer " + buyerId + " is out of funds: " + running.size() + " lease(s) suspended");
        }
    }

    // ------------------------------------------------------------------ sweep

    /**
     * Ends running leases past their expiry (EXPIRED) and those of hosts that went OFFLINE (FAILED, "host lost"),
     * each in its own transaction, at most 1000 of each per call.
     *
     * @return how many leases it ended
     */
    int sweep() throws SQLException {
        Instant now = now();
        int ended = 0;
        for (String id : ids("SELECT id FROM leases WHERE state IN " + RUNNING + " AND expiry <= ? ORDER BY expiry LIMIT 1000",
                now)) {
            if (store.transaction(c -> endOnHost(c, id, "EXPIRED", null, now))) {
                ended++;
            }
        }
        for (String id : ids("SELECT l.id FROM leases l JOIN hosts h ON h.id = l.host_id WHERE l.state IN " + RUNNING
                + " AND h.status = 'OFFLINE' ORDER BY l.id LIMIT 1000", null)) {
            if (store.transaction(c -> endOnHost(c, id, "FAILED", "host lost", now))) {
                ended++;
            }
        }
        return ended;
    }

    private List<String> ids(String sql, Instant at) throws SQLException {
        return store.transaction(c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(sql)) {
                if (at != null) {
                    s.setObject(1, at(at));
                }
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.add(r.getString(1));
                    }
                }
            }
            return out;
        });
    }

    private void sweepQuietly() {
        try {
            int ended = sweep();
            if (ended > 0) {
                LOG.info(ended + " lease(s) ended: expired or their host was lost");
            }
        } catch (SQLException | RuntimeException e) {
            LOG.log(Level.WARNING, "lease sweep failed; the next one tries again", e);
        }
    }

    // ------------------------------------------------------------------ rows

    /** Peer leases a heartbeat answer lists at most (the oldest first). */
    static final int MAX_PEERS_LISTED = 500;

    private static final String SELECT_LEASE = "SELECT l.id, l.buyer_id, l.host_id, l.owner_id, l.bundle_sha256, l.app, "
            + "l.state, l.reason, l.category, l.cpu_share, l.memory_bytes, l.storage_bytes, l.bandwidth_bytes_per_second, "
            + "l.price_per_hour_micros, l.created, l.expiry, l.ended, h.transport_address, l.running_bundle_sha256, "
            + "l.update_reason FROM leases l JOIN hosts h ON h.id = l.host_id ";

    private static Lease find(Connection c, String leaseId, boolean lock) throws SQLException {
        if (leaseId == null || leaseId.length() > 64) {
            return null;
        }
        if (lock) {
            // PostgreSQL locks no outer-joined rows: lock the lease row alone, then read it with its host
            try (PreparedStatement s = c.prepareStatement("SELECT id FROM leases WHERE id = ? FOR UPDATE")) {
                s.setString(1, leaseId);
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        return null;
                    }
                }
            }
        }
        try (PreparedStatement s = c.prepareStatement(SELECT_LEASE + "WHERE l.id = ?")) {
            s.setString(1, leaseId);
            List<Lease> found = leases(s);
            return found.isEmpty() ? null : found.get(0);
        }
    }

    private static List<Lease> leases(PreparedStatement s) throws SQLException {
        List<Lease> out = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
                OffsetDateTime ended = r.getObject(17, OffsetDateTime.class);
                out.add(new Lease(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                        r.getString(6), r.getString(7), r.getString(8), r.getString(9), r.getDouble(10), r.getLong(11),
                        r.getLong(12), r.getLong(13), r.getLong(14), r.getObject(15, OffsetDateTime.class).toInstant(),
                        r.getObject(16, OffsetDateTime.class).toInstant(), ended == null ? null : ended.toInstant(),
                        r.getString(18), r.getString(19), r.getString(20)));
            }
        }
        return out;
    }

    private static void insert(Connection c, Lease lease) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO leases (id, buyer_id, host_id, owner_id, bundle_sha256, "
                + "app, state, category, cpu_share, memory_bytes, storage_bytes, bandwidth_bytes_per_second, "
                + "price_per_hour_micros, created, expiry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            s.setString(1, lease.id());
            s.setString(2, lease.buyer());
            s.setString(3, lease.hostId());
            s.setString(4, lease.ownerId());
            s.setString(5, lease.bundle());
            s.setString(6, lease.app());
            s.setString(7, lease.state());
            s.setString(8, lease.category());
            s.setDouble(9, lease.cpuShare());
            s.setLong(10, lease.memoryBytes());
            s.setLong(11, lease.storageBytes());
            s.setLong(12, lease.bandwidthBytesPerSecond());
            s.setLong(13, lease.pricePerHourMicros());
            s.setObject(14, at(lease.created()));
            s.setObject(15, at(lease.expiry()));
            s.executeUpdate();
        }
    }

    static void bind(PreparedStatement s, List<Object> parameters) throws SQLException {
        for (int i = 0; i < parameters.size(); i++) {
            Object p = parameters.get(i);
            if (p instanceof Double d) {
                s.setDouble(i + 1, d);
            } else if (p instanceof Long l) {
                s.setLong(i + 1, l);
            } else if (p instanceof Integer n) {
                s.setInt(i + 1, n);
            } else {
                s.setString(i + 1, (String) p);
            }
        }
    }

    private static LeaseRefused bankRefusal(BankRefused e, String context) {
        return new LeaseRefused(e.reason() == BankRefused.Reason.INSUFFICIENT_FUNDS ? Reason.INSUFFICIENT_FUNDS
                : Reason.BAD_REQUEST, context + e.getMessage());
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    static OffsetDateTime at(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static String cut(String value) {
        return cut(value, 80);
    }

    private static String cut(String value, int max) {
        return value.length() > max ? value.substring(0, max) : value;
    }

    /** Carries a refusal out of a transaction's work (which may throw only SQLException); rolls it back. */
    private static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refusal(Exception cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }
}
