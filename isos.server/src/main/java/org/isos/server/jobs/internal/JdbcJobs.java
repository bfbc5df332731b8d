package org.isos.server.jobs.internal;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.regex.Pattern;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.jobs.Assignment;
import org.isos.server.jobs.Equivalence;
import org.isos.server.jobs.HostTrust;
import org.isos.server.jobs.Job;
import org.isos.server.jobs.JobRefused;
import org.isos.server.jobs.JobRefused.Reason;
import org.isos.server.jobs.JobSpec;
import org.isos.server.jobs.Jobs;
import org.isos.server.jobs.Report;
import org.isos.server.jobs.ReportOutcome;
import org.isos.server.jobs.ReportReply;
import org.isos.server.jobs.UnitInput;
import org.isos.server.jobs.UnitResult;
import org.isos.server.leases.Leases;
import org.isos.server.repository.Repository;
import org.isos.server.repository.StoredBundle;
import org.isos.server.store.Store;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Jobs in the store's {@code jobs}, {@code job_units}, {@code job_replicas} and {@code job_host_trust} tables.
 *
 * <p>Dispatch does not search the store: each running job has a {@link JobQueue} in memory, a deque of ready
 * unit numbers refilled from the store a batch at a time (index {@code job_units_ready}), like BOINC's feeder.
 * Every state change goes through this component and is written through in a transaction; units that become
 * ready again (a failure, a missed deadline, a disagreement that needs one more copy, a cheater's unverified
 * work) are pushed back into the deque after the commit. A claim re-checks the unit's row, so a stale entry
 * (or another server instance) only costs a skipped unit, never a double issue. Deadlines are a priority queue
 * per job, loaded once and checked on each dispatch and report.
 */
@Component(service = Jobs.class, configurationPid = JobsConfig.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = JobsConfig.class)
public class JdbcJobs implements Jobs {

    /** What the job service needs of the leases: whether a host may run the job's app now. */
    @FunctionalInterface
    public interface LeaseCheck {
        boolean holdsBundle(String hostId, String sha256) throws SQLException;
    }

    static final int MAX_QUORUM = 10;
    static final int MAX_REPLICAS = 20;
    static final int MAX_DEADLINE_SECONDS = 7 * 24 * 3600;
    static final int MAX_DISPATCH = 1000;
    static final int MAX_REPORTS = 1000;
    private static final Duration LEASE_CHECK_TTL = Duration.ofSeconds(20);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern JOB_ID = Pattern.compile("job-[0-9a-f]{20}");
    private static final Pattern NAME = Pattern.compile("[\\x20-\\x7e]{1,200}");
    private static final Pattern HOST_ID = Pattern.compile("[\\x21-\\x7e]{1,200}");

    private final Store store;
    private final Repository repository;
    private final LeaseCheck leaseCheck;
    private final Map<String, Equivalence> equivalences = new HashMap<>();
    private final JobsConfig config;
    private final Clock clock;
    private final Random random;
    private final Map<String, JobQueue> queues = new ConcurrentHashMap<>();
    private final Map<String, Instant> leaseChecked = new ConcurrentHashMap<>();
    /**
     * The row lock a claim takes on a unit it reads. Claims of a job are serialized by its queue's lock within one
     * server, and only claims change a READY unit; so only a store shared by several servers (PostgreSQL) needs it.
     * H2 never caches the parsed form of a SELECT ... FOR UPDATE: re-parsing it per unit was a tenth of dispatch.
     */
    private final String claimLock;

    @Activate
    public JdbcJobs(JobsConfig config, @Reference Store store, @Reference Repository repository,
            @Reference Leases leases,
            @Reference(cardinality = ReferenceCardinality.MULTIPLE, policyOption = ReferencePolicyOption.GREEDY)
            List<Equivalence> equivalences) {
        this(config, store, repository, leases::holdsBundle, equivalences, Clock.systemUTC(), new SecureRandom());
    }

    /** Tests give their clock and random source (the replication coin, ids, spot check placement). */
    public JdbcJobs(JobsConfig config, Store store, Repository repository, LeaseCheck leaseCheck,
            List<Equivalence> equivalences, Clock clock, Random random) {
        if (config.initialQuota() < 1 || config.maxQuota() < config.initialQuota() || config.banAfterInvalid() < 1
                || config.trustScale() < 1 || config.replicationFloorPercent() < 0
                || config.replicationFloorPercent() > 100 || config.cacheBatch() < 1 || config.maxUnits() < 1
                || config.maxUnitBytes() < 1 || config.trustedAfter() < 0) {
            throw new IllegalArgumentException(JobsConfig.PID + ": quotas, scale, batch and limits must be positive,"
                    + " maxQuota >= initialQuota, replicationFloorPercent 0-100");
        }
        this.config = config;
        this.store = store;
        this.repository = repository;
        this.leaseCheck = leaseCheck;
        for (Equivalence e : equivalences) {
            for (String kind : e.kinds()) {
                this.equivalences.putIfAbsent(kind, e);
            }
        }
        this.clock = clock;
        this.random = random;
        this.claimLock = store.dialect() == Store.Dialect.H2 ? "" : " FOR UPDATE";
    }

    // ---------------------------------------------------------------- create, read

    @Override
    public Job create(Account buyer, JobSpec spec) throws JobRefused, SQLException {
        if (buyer.kind() != AccountKind.BUYER) {
            throw new JobRefused(Reason.FORBIDDEN, "only a buyer account submits jobs");
        }
        if (spec == null) {
            throw new JobRefused(Reason.BAD_REQUEST, "no job given");
        }
        if (spec.appSha256() == null || !SHA256.matcher(spec.appSha256()).matches()) {
            throw new JobRefused(Reason.BAD_REQUEST, "bundle: must be the app bundle's SHA-256, 64 lowercase hex digits");
        }
        Optional<StoredBundle> bundle = repository.find(spec.appSha256());
        if (bundle.isEmpty() || !bundle.get().buyerId().equals(buyer.id())) {
            throw new JobRefused(Reason.NOT_FOUND, "bundle " + spec.appSha256() + ": you have no such bundle"
                    + " in the repository (upload it first)");
        }
        Equivalence equivalence = equivalences.get(spec.appKind());
        if (equivalence == null) {
            throw new JobRefused(Reason.BAD_REQUEST, "app: unknown kind of work '" + spec.appKind() + "' (known: "
                    + String.join(", ", new TreeSet<>(equivalences.keySet())) + ")");
        }
        if (spec.minQuorum() < 1 || spec.minQuorum() > MAX_QUORUM) {
            throw new JobRefused(Reason.BAD_REQUEST, "minQuorum: " + spec.minQuorum() + " is not within 1-" + MAX_QUORUM);
        }
        if (spec.maxReplicas() < spec.minQuorum() || spec.maxReplicas() > MAX_REPLICAS) {
            throw new JobRefused(Reason.BAD_REQUEST, "maxReplicas: " + spec.maxReplicas() + " is not within minQuorum ("
                    + spec.minQuorum() + ")-" + MAX_REPLICAS);
        }
        if (spec.deadlineSeconds() < 1 || spec.deadlineSeconds() > MAX_DEADLINE_SECONDS) {
            throw new JobRefused(Reason.BAD_REQUEST, "deadlineSeconds: " + spec.deadlineSeconds() + " is not within 1-"
                    + MAX_DEADLINE_SECONDS);
        }
        List<UnitInput> units = spec.units() == null ? List.of() : spec.units();
        List<UnitInput> checks = spec.spotChecks() == null ? List.of() : spec.spotChecks();
        if (units.isEmpty()) {
            throw new JobRefused(Reason.BAD_REQUEST, "units: a job needs at least one work unit");
        }
        if ((long) units.size() + checks.size() > config.maxUnits()) {
            throw new JobRefused(Reason.BAD_REQUEST, "units: " + units.size() + " units and " + checks.size()
                    + " spot checks are more than the " + config.maxUnits() + " a job may have");
        }
        for (int i = 0; i < units.size(); i++) {
            checkUnit("units[" + i + "]", units.get(i), false);
        }
        for (int i = 0; i < checks.size(); i++) {
            checkUnit("spotChecks[" + i + "]", checks.get(i), true);
        }
        // spot checks go at random places among the buyer's units, which keep their order
        List<UnitInput> order = new ArrayList<>(units);
        List<Integer> positions = new ArrayList<>();
        for (int i = 0; i < units.size(); i++) {
            positions.add(i);
        }
        synchronized (random) {
            for (UnitInput check : checks) {
                int at = random.nextInt(order.size() + 1);
                order.add(at, check);
                positions.add(at, -1);
            }
        }
        String id = "job-" + randomHex(10);
        Instant now = now();
        store.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO jobs (id, buyer_id, app_sha256, app_kind,"
                    + " min_quorum, max_replicas, deadline_seconds, units, remaining, state, created)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'RUNNING', ?)")) {
                s.setString(1, id);
                s.setString(2, buyer.id());
                s.setString(3, spec.appSha256());
                s.setString(4, spec.appKind());
                s.setInt(5, spec.minQuorum());
                s.setInt(6, spec.maxReplicas());
                s.setInt(7, spec.deadlineSeconds());
                s.setInt(8, units.size());
                s.setInt(9, units.size());
                s.setObject(10, time(now));
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("INSERT INTO job_units (job_id, seq, position, name, input,"
                    + " estimated_cost, expected, state, quorum, wanted, active, issued)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, 'READY', ?, ?, 0, 0)")) {
                for (int seq = 0; seq < order.size(); seq++) {
                    UnitInput u = order.get(seq);
                    int copies = u.spotCheck() ? 1 : spec.minQuorum();
                    s.setString(1, id);
                    s.setInt(2, seq);
                    s.setInt(3, positions.get(seq));
                    s.setString(4, u.name());
                    s.setBytes(5, u.input());
                    s.setLong(6, u.estimatedCost());
                    s.setBytes(7, u.expected());
                    s.setInt(8, copies);
                    s.setInt(9, copies);
                    s.addBatch();
                    if (seq % 500 == 499) {
                        s.executeBatch();
                    }
                }
                s.executeBatch();
            }
            return null;
        });
        return job(buyer, id);
    }

    private void checkUnit(String field, UnitInput u, boolean spotCheck) throws JobRefused {
        if (u == null) {
            throw new JobRefused(Reason.BAD_REQUEST, field + ": missing");
        }
        if (u.name() == null || !NAME.matcher(u.name()).matches()) {
            throw new JobRefused(Reason.BAD_REQUEST, field + ".name: must be 1-200 printable ASCII characters");
        }
        if (u.input() == null || u.input().length == 0 || u.input().length > config.maxUnitBytes()) {
            throw new JobRefused(Reason.BAD_REQUEST, field + ".input: must be 1-" + config.maxUnitBytes() + " bytes");
        }
        if (u.estimatedCost() < 0) {
            throw new JobRefused(Reason.BAD_REQUEST, field + ".estimatedCost: must not be negative");
        }
        if (spotCheck && (u.expected() == null || u.expected().length == 0
                || u.expected().length > config.maxUnitBytes())) {
            throw new JobRefused(Reason.BAD_REQUEST, field + ".expected: a spot check needs its known result, 1-"
                    + config.maxUnitBytes() + " bytes");
        }
        if (!spotCheck && u.expected() != null) {
            throw new JobRefused(Reason.BAD_REQUEST, field + ".expected: only spot checks carry a known result");
        }
    }

    @Override
    public Job job(Account buyer, String jobId) throws JobRefused, SQLException {
        JobRow row = row(buyer, jobId);
        return store.transaction(c -> {
            int ready = 0, inProgress = 0, validated = 0, errors = 0, checks = 0, passed = 0, failed = 0;
            try (PreparedStatement s = c.prepareStatement("SELECT state, CASE WHEN position >= 0 THEN 1 ELSE 0 END,"
                    + " COUNT(*) FROM job_units WHERE job_id = ? GROUP BY state, CASE WHEN position >= 0 THEN 1 ELSE 0 END")) {
                s.setString(1, jobId);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        String state = r.getString(1);
                        int n = r.getInt(3);
                        if (r.getInt(2) == 1) {
                            switch (state) {
                            case "READY" -> ready += n;
                            case "IN_PROGRESS" -> inProgress += n;
                            case "VALIDATED" -> validated += n;
                            default -> errors += n;
                            }
                        } else {
                            checks += n;
                            if ("VALIDATED".equals(state)) {
                                passed += n;
                            } else if ("ERROR".equals(state)) {
                                failed += n;
                            }
                        }
                    }
                }
            }
            long issued = 0;
            try (PreparedStatement s = c.prepareStatement("SELECT COALESCE(SUM(issued), 0) FROM job_units WHERE job_id = ?")) {
                s.setString(1, jobId);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    issued = r.getLong(1);
                }
            }
            JobRow now = row(c, jobId);
            return new Job(row.id, row.buyerId, row.appSha256, row.appKind, row.minQuorum, row.maxReplicas,
                    row.deadlineSeconds, now.state, row.units, ready, inProgress, validated, errors, issued, checks,
                    passed, failed, row.created, now.finished);
        });
    }

    @Override
    public List<Job> jobsOf(Account buyer) throws SQLException {
        List<String> ids = new ArrayList<>();
        try (Connection c = store.connection();
                PreparedStatement s = c.prepareStatement("SELECT id FROM jobs WHERE buyer_id = ? ORDER BY created DESC, id")) {
            s.setString(1, buyer.id());
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    ids.add(r.getString(1));
                }
            }
        }
        List<Job> jobs = new ArrayList<>();
        for (String id : ids) {
            try {
                jobs.add(job(buyer, id));
            } catch (JobRefused e) {
                throw new IllegalStateException(e);
            }
        }
        return jobs;
    }

    @Override
    public List<UnitResult> results(Account buyer, String jobId) throws JobRefused, SQLException {
        row(buyer, jobId);
        List<UnitResult> results = new ArrayList<>();
        try (Connection c = store.connection();
                PreparedStatement s = c.prepareStatement("SELECT position, name, state, result, error FROM job_units"
                        + " WHERE job_id = ? AND position >= 0 ORDER BY position")) {
            s.setString(1, jobId);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    String state = r.getString(3);
                    results.add(new UnitResult(r.getInt(1), r.getString(2), state,
                            "VALIDATED".equals(state) ? r.getBytes(4) : null, r.getString(5)));
                }
            }
        }
        return results;
    }

    @Override
    public List<HostTrust> hostsOf(Account buyer, String jobId) throws JobRefused, SQLException {
        JobRow row = row(buyer, jobId);
        List<HostTrust> hosts = new ArrayList<>();
        try (Connection c = store.connection();
                PreparedStatement s = c.prepareStatement("SELECT t.host_id, t.app_sha256, t.streak, t.valid_total,"
                        + " t.invalid_total, t.timed_out, t.quota, t.banned, t.credit, t.forfeited FROM job_host_trust t"
                        + " WHERE t.app_sha256 = ? AND t.host_id IN (SELECT DISTINCT host_id FROM job_replicas WHERE job_id = ?)"
                        + " ORDER BY t.host_id")) {
            s.setString(1, row.appSha256);
            s.setString(2, jobId);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    hosts.add(trustOf(r));
                }
            }
        }
        return hosts;
    }

    /** A host's record with an app, if it has one. */
    public Optional<HostTrust> trust(String hostId, String appSha256) throws SQLException {
        try (Connection c = store.connection()) {
            return Optional.ofNullable(trust(c, hostId, appSha256));
        }
    }

    // ---------------------------------------------------------------- dispatch

    @Override
    public List<Assignment> dispatch(Account buyer, String jobId, String hostId, int max) throws JobRefused, SQLException {
        return dispatch(buyer, jobId, hostId, max, false);
    }

    @Override
    public List<Assignment> dispatch(Account buyer, String jobId, String hostId, int max, boolean resend)
            throws JobRefused, SQLException {
        checkAsk(hostId, max);
        JobQueue queue = queue(buyer, jobId);
        checkLease(queue, hostId);
        synchronized (queue) {
            expire(queue);
            return issue(null, queue, hostId, max, resend);
        }
    }

    private static void checkAsk(String hostId, int max) throws JobRefused {
        if (hostId == null || !HOST_ID.matcher(hostId).matches()) {
            throw new JobRefused(Reason.BAD_REQUEST, "hostId: must be a host id");
        }
        if (max < 1 || max > MAX_DISPATCH) {
            throw new JobRefused(Reason.BAD_REQUEST, "max: " + max + " is not within 1-" + MAX_DISPATCH);
        }
    }

    private void checkLease(JobQueue queue, String hostId) throws JobRefused, SQLException {
        String checkKey = hostId + "/" + queue.appSha256;
        Instant checked = leaseChecked.get(checkKey);
        if (checked == null || checked.plus(LEASE_CHECK_TTL).isBefore(now())) {
            if (!leaseCheck.holdsBundle(hostId, queue.appSha256)) {
                leaseChecked.remove(checkKey);
                throw new JobRefused(Reason.FORBIDDEN, "host " + hostId + " holds no running lease of the job's app "
                        + queue.appSha256);
            }
            leaseChecked.put(checkKey, now());
        }
    }

    /**
     * Issues up to {@code max} replicas to the host; the caller holds the queue's lock. {@code tx}: the transaction
     * of a report that asked for the host's next units, whose changes (a streak grown, a ban) the host's record is
     * read with; the claims then join it (a nested {@link Store#transaction} joins the thread's). Null: the record
     * is read on a connection of its own and each claim commits.
     */
    private List<Assignment> issue(Connection tx, JobQueue queue, String hostId, int max, boolean resend)
            throws JobRefused, SQLException {
        if (queue.done) {
            return List.of();
        }
        HostTrust trust;
        if (tx != null && queue.recorded.contains(hostId)) {
            trust = trust(tx, hostId, queue.appSha256);
        } else if (queue.recorded.contains(hostId)) {
            try (Connection c = store.connection()) {
                trust = trust(c, hostId, queue.appSha256); // its record exists: a read, no transaction to commit
            }
        } else {
            trust = store.transaction(c -> {
                try (PreparedStatement s = c.prepareStatement("INSERT INTO job_host_trust (host_id, app_sha256, streak,"
                        + " valid_total, invalid_total, timed_out, quota, banned, credit, forfeited)"
                        + " VALUES (?, ?, 0, 0, 0, 0, ?, FALSE, 0, 0) ON CONFLICT DO NOTHING")) {
                    s.setString(1, hostId);
                    s.setString(2, queue.appSha256);
                    s.setInt(3, config.initialQuota());
                    s.executeUpdate();
                }
                return trust(c, hostId, queue.appSha256);
            });
            queue.recorded.add(hostId);
        }
        if (trust.banned()) {
            throw new JobRefused(Reason.BANNED, "host " + hostId + " is banned from this app: " + trust.invalidTotal()
                    + " invalid results");
        }
        List<Assignment> again = resend && queue.held(hostId) > 0 ? outstanding(queue, hostId) : List.of();
        int room = Math.min(max - again.size(), trust.quota() - queue.held(hostId));
        List<Assignment> out = new ArrayList<>(again);
        room += out.size(); // the loop below counts what it adds on top of the copies sent again
        Deque<Integer> setAside = new ArrayDeque<>();
        int looked = 0;
        while (out.size() < room) {
            if (queue.ready.isEmpty() && !refill(queue)) {
                break;
            }
            List<Integer> candidates = new ArrayList<>();
            while (candidates.size() < room - out.size() && !queue.ready.isEmpty()) {
                candidates.add(queue.ready.pollFirst());
            }
            looked += candidates.size();
            Claims claims;
            try {
                claims = store.transaction(c -> claim(c, queue, hostId, trust, candidates));
            } catch (SQLException | RuntimeException e) {
                for (int i = candidates.size() - 1; i >= 0; i--) {
                    queue.ready.addFirst(candidates.get(i));
                }
                throw e;
            }
            for (Claimed claimed : claims.claimed) {
                out.add(claimed.assignment);
                queue.deadlines.add(new Deadline(claimed.assignment.deadline(), claimed.assignment.replicaId()));
                queue.hold(hostId, 1);
                if (claimed.stillReady) {
                    setAside.add(claimed.seq); // more copies wanted, by other hosts
                }
            }
            setAside.addAll(claims.heldByHost);
            if (looked >= 4 * room + 64) {
                break; // this host holds copies of what is ready: do not walk the whole job for it
            }
        }
        while (!setAside.isEmpty()) {
            queue.ready.addFirst(setAside.pollLast());
        }
        return out;
    }

    /**
     * The replicas a host holds that are before their deadline, oldest first: the same rows, ids and deadlines,
     * so sending them again issues nothing and a replica is still settled (and credited) once.
     */
    private List<Assignment> outstanding(JobQueue queue, String hostId) throws SQLException {
        List<Assignment> out = new ArrayList<>();
        try (Connection c = store.connection();
                PreparedStatement s = c.prepareStatement("SELECT r.id, u.input, r.deadline FROM job_replicas r"
                        + " JOIN job_units u ON u.job_id = r.job_id AND u.seq = r.seq WHERE r.host_id = ?"
                        + " AND r.job_id = ? AND r.state = 'IN_PROGRESS' AND r.deadline > ? ORDER BY r.issued, r.id")) {
            s.setString(1, hostId);
            s.setString(2, queue.jobId);
            s.setObject(3, time(now()));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new Assignment(r.getString(1), r.getBytes(2), r.getObject(3, OffsetDateTime.class).toInstant()));
                }
            }
        }
        return out;
    }

    private record Claimed(int seq, Assignment assignment, boolean stillReady) {
    }

    private record Claims(List<Claimed> claimed, List<Integer> heldByHost) {
    }

    /** A candidate unit's row as a claim reads it. */
    private static final class Candidate {
        String state;
        int wanted, active, issued, quorum;
        boolean spotCheck;
        byte[] input;
        long cost;
    }

    /**
     * Claims the candidates in a few statements whatever their number: one read of their rows, one of the copies the
     * host holds among them, then the new replicas and the units' counts as two JDBC batches (statements parsed once
     * per claim, not once per unit).
     */
    private Claims claim(Connection c, JobQueue queue, String hostId, HostTrust trust, List<Integer> seqs)
            throws SQLException {
        List<Claimed> claimed = new ArrayList<>();
        List<Integer> held = new ArrayList<>();
        Instant now = now();
        Instant deadline = now.plusSeconds(queue.deadlineSeconds);
        java.util.Set<Integer> distinct = new java.util.LinkedHashSet<>(seqs); // a seq queued twice is a stale entry
        Map<Integer, Candidate> rows = new HashMap<>();
        eachUnit(c, "SELECT seq, state, wanted, active, issued, quorum, expected IS NOT NULL, input, estimated_cost"
                + " FROM job_units WHERE job_id = ? AND seq", claimLock, List.of(queue.jobId), distinct, r -> {
                    Candidate u = new Candidate();
                    u.state = r.getString(2);
                    u.wanted = r.getInt(3);
                    u.active = r.getInt(4);
                    u.issued = r.getInt(5);
                    u.quorum = r.getInt(6);
                    u.spotCheck = r.getBoolean(7);
                    u.input = r.getBytes(8);
                    u.cost = r.getLong(9);
                    rows.put(r.getInt(1), u);
                });
        java.util.Set<Integer> hostHolds = new java.util.HashSet<>();
        List<Integer> issuedBefore = rows.entrySet().stream().filter(e -> e.getValue().issued > 0)
                .map(Map.Entry::getKey).toList();
        if (!issuedBefore.isEmpty()) {
            eachUnit(c, "SELECT seq FROM job_replicas WHERE job_id = ? AND host_id = ? AND seq", "",
                    List.of(queue.jobId, hostId), issuedBefore, r -> hostHolds.add(r.getInt(1)));
        }
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO job_replicas (id, job_id, seq, host_id, state,"
                + " issued, deadline, credit, credit_state) VALUES (?, ?, ?, ?, 'IN_PROGRESS', ?, ?, ?, 'PENDING')");
                PreparedStatement update = c.prepareStatement("UPDATE job_units SET state = ?, quorum = ?, wanted = ?,"
                        + " active = active + 1, issued = issued + 1 WHERE job_id = ? AND seq = ?")) {
            for (int seq : distinct) {
                Candidate u = rows.get(seq);
                if (u == null || !"READY".equals(u.state) || u.active >= u.wanted) {
                    continue; // a stale cache entry: dropped
                }
                if (hostHolds.contains(seq)) {
                    held.add(seq); // never two copies of a unit on one host
                    continue;
                }
                int quorum = u.quorum, wanted = u.wanted;
                if (u.issued == 0 && !u.spotCheck && quorum > 1 && !replicate(trust.streak())) {
                    // adaptive replication: a trusted host's first copy stands alone, this time
                    quorum = 1;
                    wanted = 1;
                }
                String replicaId = "r-" + randomToken();
                insert.setString(1, replicaId);
                insert.setString(2, queue.jobId);
                insert.setInt(3, seq);
                insert.setString(4, hostId);
                insert.setObject(5, time(now));
                insert.setObject(6, time(deadline));
                insert.setLong(7, u.cost);
                insert.addBatch();
                boolean stillReady = u.active + 1 < wanted;
                update.setString(1, stillReady ? "READY" : "IN_PROGRESS");
                update.setInt(2, quorum);
                update.setInt(3, wanted);
                update.setString(4, queue.jobId);
                update.setInt(5, seq);
                update.addBatch();
                claimed.add(new Claimed(seq, new Assignment(replicaId, u.input, deadline), stillReady));
            }
            if (!claimed.isEmpty()) {
                insert.executeBatch();
                update.executeBatch();
            }
        }
        return new Claims(claimed, held);
    }

    /** Whether a unit first issued to a host with this streak of valid results is replicated. */
    boolean replicate(int streak) {
        if (streak < config.trustedAfter()) {
            // a cheater that answers right now and then can build a short record by chance, not a long one
            return true;
        }
        double p = Math.max(config.replicationFloorPercent() / 100.0, 1.0 / (1.0 + (double) streak / config.trustScale()));
        synchronized (random) {
            return random.nextDouble() < p;
        }
    }

    /** Reads the next batch of READY units after the cache's cursor; false when there are none. */
    private boolean refill(JobQueue queue) throws SQLException {
        if (queue.scanExhausted) {
            return false;
        }
        try (Connection c = store.connection();
                PreparedStatement s = c.prepareStatement("SELECT seq FROM job_units WHERE job_id = ? AND state = 'READY'"
                        + " AND seq >= ? ORDER BY seq LIMIT ?")) {
            s.setString(1, queue.jobId);
            s.setInt(2, queue.scanFrom);
            s.setInt(3, config.cacheBatch());
            int n = 0;
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    int seq = r.getInt(1);
                    queue.ready.addLast(seq);
                    queue.scanFrom = seq + 1;
                    n++;
                }
            }
            if (n < config.cacheBatch()) {
                // everything after this is either issued or comes back through requeue(), so never scan again
                queue.scanExhausted = true;
            }
            return n > 0;
        }
    }

    // ---------------------------------------------------------------- reports and validation

    @Override
    public List<ReportOutcome> report(Account buyer, String jobId, List<Report> reports) throws JobRefused, SQLException {
        checkReports(reports);
        JobQueue queue = queue(buyer, jobId);
        synchronized (queue) {
            expire(queue);
            // one transaction for the batch: a commit per result would bound throughput by the log's flushes
            return store.transaction(c -> settleReports(queue, reports));
        }
    }

    @Override
    public ReportReply report(Account buyer, String jobId, List<Report> reports, String hostId, int max)
            throws JobRefused, SQLException {
        checkReports(reports);
        checkAsk(hostId, max);
        JobQueue queue = queue(buyer, jobId);
        checkLease(queue, hostId);
        synchronized (queue) {
            expire(queue);
            try {
                // the reports and the host's next units in one transaction and one commit (a commit was a fifth of
                // JobsBench's CPU); the reports go first, so that the host's quota and record count them
                return store.transaction(c -> {
                    List<ReportOutcome> outcomes = settleReports(queue, reports);
                    try {
                        return new ReportReply(outcomes, issue(c, queue, hostId, max, false));
                    } catch (JobRefused banned) {
                        return new ReportReply(outcomes, List.of()); // caught in this very batch: no more work
                    }
                });
            } catch (SQLException | RuntimeException e) {
                // the queue followed the reports before the commit that failed: rebuilt from the store next time
                queues.remove(queue.jobId, queue);
                throw e;
            }
        }
    }

    private void checkReports(List<Report> reports) throws JobRefused {
        if (reports == null || reports.isEmpty() || reports.size() > MAX_REPORTS) {
            throw new JobRefused(Reason.BAD_REQUEST, "results: give 1-" + MAX_REPORTS + " results");
        }
        for (int i = 0; i < reports.size(); i++) {
            Report r = reports.get(i);
            if (r == null || r.replicaId() == null || r.hostId() == null) {
                throw new JobRefused(Reason.BAD_REQUEST, "results[" + i + "]: needs hostId and replicaId");
            }
            if (r.result() == null && (r.error() == null || r.error().isBlank())) {
                throw new JobRefused(Reason.BAD_REQUEST, "results[" + i + "]: needs a result or an error");
            }
            if (r.result() != null && r.result().length > config.maxUnitBytes()) {
                throw new JobRefused(Reason.BAD_REQUEST, "results[" + i + "].result: more than " + config.maxUnitBytes() + " bytes");
            }
        }
    }

    /** Applies a batch of reports in the thread's transaction and makes the queue follow; the caller holds its lock. */
    private List<ReportOutcome> settleReports(JobQueue queue, List<Report> reports) throws SQLException {
        Equivalence equivalence = equivalences.get(queue.appKind);
        Effects effects = store.transaction(c -> {
            Effects e = new Effects();
            lockAhead(c, queue, reports, e);
            for (Report report : reports) {
                e.outcomes.add(new ReportOutcome(report.replicaId(), apply(c, queue, equivalence, report, e)));
            }
            flush(c, queue, e);
            return e;
        });
        applyEffects(queue, effects);
        return effects.outcomes;
    }

    /**
     * Locks and reads the batch's replicas and then their units, each in one statement in a fixed order, so that
     * applying the reports needs no read of its own for them. A {@code SELECT ... FOR UPDATE} per report and unit was
     * parsed anew every time (H2 caches no {@code FOR UPDATE}) and cost two statements per result.
     */
    private void lockAhead(Connection c, JobQueue queue, List<Report> reports, Effects effects) throws SQLException {
        Object[] ids = reports.stream().map(Report::replicaId).distinct().sorted().toArray();
        java.util.TreeSet<Integer> seqs = new java.util.TreeSet<>();
        try (PreparedStatement s = c.prepareStatement("SELECT id, host_id, state, seq, credit, credit_state"
                + " FROM job_replicas WHERE job_id = ? AND id = ANY(?) ORDER BY id FOR UPDATE")) {
            s.setString(1, queue.jobId);
            s.setArray(2, c.createArrayOf("varchar", ids));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    seqs.add(r.getInt(4));
                    if ("IN_PROGRESS".equals(r.getString(3))) {
                        // only rows nothing but their own report (or a host caught, which drops this) changes
                        effects.replicas.put(r.getString(1), new ReplicaRow(r.getString(2), r.getString(3), r.getInt(4),
                                "PENDING".equals(r.getString(6)) ? r.getLong(5) : 0));
                    }
                }
            }
        }
        if (seqs.isEmpty()) {
            return;
        }
        eachUnit(c, "SELECT seq, state, quorum, wanted, active, issued, input, expected, result, error FROM job_units"
                + " WHERE job_id = ? AND seq", " FOR UPDATE", List.of(queue.jobId), seqs, r -> {
                    UnitRow u = new UnitRow();
                    u.seq = r.getInt(1);
                    u.state = r.getString(2);
                    u.quorum = r.getInt(3);
                    u.wanted = r.getInt(4);
                    u.active = r.getInt(5);
                    u.issued = r.getInt(6);
                    u.input = r.getBytes(7);
                    u.expected = r.getBytes(8);
                    u.result = r.getBytes(9);
                    u.error = r.getString(10);
                    effects.units.put(u.seq, u);
                });
    }

    @FunctionalInterface
    private interface RowReader {
        void read(ResultSet r) throws SQLException;
    }

    /**
     * Runs {@code select} (ending in "seq", its first column the seq) for a set of a job's unit numbers, in ascending
     * order so that locks are taken in one order. PostgreSQL: one statement, {@code seq = ANY(?)}. H2: one statement
     * parsed and executed per number, because for {@code seq = ANY(?)} (and for an IN list) H2 seeks only the first
     * column of the key (job_id) and tests every row of the job against the array: a claim and a report batch cost
     * O(units of the job), 40 % of JobsBench's CPU at 5,000 units and growing with the job (an IN subquery over
     * UNNEST was worse still: evaluated per row).
     */
    private void eachUnit(Connection c, String select, String suffix, List<String> keys, java.util.Collection<Integer> seqs,
            RowReader reader) throws SQLException {
        Integer[] sorted = new java.util.TreeSet<>(seqs).toArray(new Integer[0]);
        if (sorted.length == 0) {
            return;
        }
        boolean array = store.dialect() != Store.Dialect.H2;
        try (PreparedStatement s = c.prepareStatement(select + (array ? " = ANY(?) ORDER BY seq" : " = ?") + suffix)) {
            for (int i = 0; i < keys.size(); i++) {
                s.setString(i + 1, keys.get(i));
            }
            if (array) {
                s.setArray(keys.size() + 1, c.createArrayOf("integer", sorted));
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        reader.read(r);
                    }
                }
                return;
            }
            for (int seq : sorted) {
                s.setInt(keys.size() + 1, seq);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        reader.read(r);
                    }
                }
            }
        }
    }

    private record ReplicaRow(String hostId, String state, int seq, long pendingCredit) {
    }

    /** What a transaction changed that the in-memory queues must follow after it commits. */
    private static final class Effects {
        final List<ReportOutcome> outcomes = new ArrayList<>();
        final List<Integer> requeued = new ArrayList<>();
        final Map<String, List<Integer>> requeuedElsewhere = new HashMap<>();
        final Map<String, Integer> released = new HashMap<>();
        /** Units of the job that reached VALIDATED or ERROR, not yet counted in its row. */
        int finished;
        /** Valid results per host not yet written to its record: count, credit. */
        final Map<String, long[]> valid = new HashMap<>();
        /** Replicas a banned host still holds, by job: given up at once rather than at their deadline. */
        final Map<String, List<String>> abandoned = new HashMap<>();
        /**
         * The batch's rows as read when they were locked: each replica used once (a repeated one is read again);
         * the units are the rows the reports change and save, so later reports of a unit see the changes. A host
         * caught changes rows behind them by statements of its own: both are then dropped.
         */
        final Map<String, ReplicaRow> replicas = new HashMap<>();
        final Map<Integer, UnitRow> units = new HashMap<>();
        boolean done;
    }

    private void applyEffects(JobQueue queue, Effects effects) {
        for (Map.Entry<String, Integer> e : effects.released.entrySet()) {
            queue.hold(e.getKey(), -e.getValue());
        }
        for (int seq : effects.requeued) {
            queue.ready.addFirst(seq);
        }
        for (Map.Entry<String, List<Integer>> e : effects.requeuedElsewhere.entrySet()) {
            JobQueue other = queues.get(e.getKey());
            if (other != null && other != queue) {
                e.getValue().forEach(other.ready::addFirst); // a concurrent deque: no lock on the other job
            }
        }
        for (Map.Entry<String, List<String>> e : effects.abandoned.entrySet()) {
            JobQueue other = e.getKey().equals(queue.jobId) ? queue : queues.get(e.getKey());
            if (other != null) {
                other.abandoned.addAll(e.getValue()); // a concurrent queue: the job's next expire() takes them
            }
        }
        if (effects.done) {
            queue.done = true;
            queues.remove(queue.jobId);
        }
    }

    private String apply(Connection c, JobQueue queue, Equivalence equivalence, Report report, Effects effects)
            throws SQLException {
        String hostId, state;
        int seq;
        long pending;
        ReplicaRow read = effects.replicas.remove(report.replicaId());
        if (read != null) {
            hostId = read.hostId();
            state = read.state();
            seq = read.seq();
            pending = read.pendingCredit();
        } else try (PreparedStatement s = c.prepareStatement("SELECT host_id, state, seq, credit, credit_state"
                + " FROM job_replicas WHERE id = ? AND job_id = ?")) { // locked ahead
            s.setString(1, report.replicaId());
            s.setString(2, queue.jobId);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return "UNKNOWN";
                }
                hostId = r.getString(1);
                state = r.getString(2);
                seq = r.getInt(3);
                pending = "PENDING".equals(r.getString(5)) ? r.getLong(4) : 0;
            }
        }
        if (!hostId.equals(report.hostId())) {
            return "UNKNOWN"; // not this host's replica: a runner cannot report one host's work as another's
        }
        switch (state) {
        case "IN_PROGRESS":
            break;
        case "TIMED_OUT":
            return "LATE";
        case "REPORTED":
            return "PENDING";
        default:
            return state; // VALID, INVALID, FAILED: reported before
        }
        UnitRow unit = effects.units.get(seq);
        if (unit == null) {
            unit = unit(c, queue.jobId, seq, false); // locked ahead
            effects.units.put(seq, unit);
        }
        effects.released.merge(hostId, 1, Integer::sum);
        if (report.result() == null) {
            updateReplica(c, report.replicaId(), "FAILED", null);
            setCredit(c, report.replicaId(), "FORFEITED");
            unit.active--;
            reopenOrFail(c, queue, unit, effects, "replicas failed: " + truncate(report.error()));
            return "FAILED";
        }
        updateReplica(c, report.replicaId(), "REPORTED", report.result());
        unit.active--;
        if (unit.expected != null) {
            boolean right = equivalence.equivalent(unit.input, unit.expected, report.result());
            settle(c, queue, report.replicaId(), hostId, right, pending, effects);
            unit.state = right ? "VALIDATED" : "ERROR";
            unit.error = right ? null : "spot check failed by host " + hostId;
            saveUnit(c, queue.jobId, unit);
            return right ? "VALID" : "INVALID";
        }
        if ("VALIDATED".equals(unit.state)) {
            boolean right = equivalence.equivalent(unit.input, unit.result, report.result());
            settle(c, queue, report.replicaId(), hostId, right, pending, effects);
            saveUnit(c, queue.jobId, unit);
            return right ? "VALID" : "INVALID";
        }
        if ("ERROR".equals(unit.state)) {
            saveUnit(c, queue.jobId, unit);
            return "PENDING";
        }
        // group the reported results by agreement
        List<String[]> reported = new ArrayList<>(); // replica id, host id
        List<byte[]> results = new ArrayList<>();
        List<Long> credits = new ArrayList<>(); // pending credit of each
        try (PreparedStatement s = c.prepareStatement("SELECT id, host_id, result, credit, credit_state FROM job_replicas"
                + " WHERE job_id = ? AND seq = ? AND state = 'REPORTED' ORDER BY reported, id")) {
            s.setString(1, queue.jobId);
            s.setInt(2, seq);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    reported.add(new String[] { r.getString(1), r.getString(2) });
                    results.add(r.getBytes(3));
                    credits.add("PENDING".equals(r.getString(5)) ? r.getLong(4) : 0L);
                }
            }
        }
        int best = -1, bestSize = 0;
        for (int i = 0; i < results.size(); i++) {
            int size = 0;
            for (int j = 0; j < results.size(); j++) {
                if (equivalence.equivalent(unit.input, results.get(i), results.get(j))) {
                    size++;
                }
            }
            if (size > bestSize) {
                best = i;
                bestSize = size;
            }
        }
        if (bestSize >= unit.quorum) {
            byte[] canonical = results.get(best);
            String mine = null;
            for (int i = 0; i < results.size(); i++) {
                boolean right = equivalence.equivalent(unit.input, canonical, results.get(i));
                settle(c, queue, reported.get(i)[0], reported.get(i)[1], right, credits.get(i), effects);
                if (reported.get(i)[0].equals(report.replicaId())) {
                    mine = right ? "VALID" : "INVALID";
                }
            }
            unit.state = "VALIDATED";
            unit.result = canonical;
            saveUnit(c, queue.jobId, unit);
            finishUnit(c, queue, effects);
            return mine;
        }
        if (unit.active == 0) {
            // all issued copies are in and no quorum: ask for as many more as could make one
            unit.wanted = unit.active + Math.max(1, unit.quorum - bestSize);
            reopenOrFail(c, queue, unit, effects, "no " + unit.quorum + " agreeing results among " + results.size());
        } else {
            saveUnit(c, queue.jobId, unit);
        }
        return "PENDING";
    }

    /** The unit needs another copy: READY again, or ERROR when it has had all its job allows. */
    private void reopenOrFail(Connection c, JobQueue queue, UnitRow unit, Effects effects, String why) throws SQLException {
        if (!"READY".equals(unit.state) && !"IN_PROGRESS".equals(unit.state)) {
            saveUnit(c, queue.jobId, unit);
            return;
        }
        if (unit.issued >= queue.maxReplicas && unit.active == 0) {
            unit.state = "ERROR";
            unit.error = why + " after " + unit.issued + " replicas";
            saveUnit(c, queue.jobId, unit);
            if (unit.expected == null) {
                finishUnit(c, queue, effects);
            }
            return;
        }
        if (unit.issued >= queue.maxReplicas) {
            unit.wanted = unit.active; // no more copies: wait for the ones out
        }
        if (unit.active < unit.wanted) {
            boolean wasQueued = "READY".equals(unit.state);
            unit.state = "READY";
            if (!wasQueued) {
                effects.requeued.add(unit.seq);
            }
        } else {
            unit.state = "IN_PROGRESS";
        }
        saveUnit(c, queue.jobId, unit);
    }

    /** One of the job's own units reached VALIDATED or ERROR. */
    private void finishUnit(Connection c, JobQueue queue, Effects effects) throws SQLException {
        effects.finished++; // the job's row is updated once per transaction (flush), not once per unit
    }

    /**
     * What a transaction deferred, written before it commits: the host records' valid results, then the job's
     * count of remaining units (and DONE when it reaches 0).
     */
    private void flush(Connection c, JobQueue queue, Effects effects) throws SQLException {
        for (String host : new ArrayList<>(effects.valid.keySet())) {
            flushValid(c, queue.appSha256, host, effects);
        }
        if (effects.finished == 0) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE jobs SET remaining = remaining - ? WHERE id = ?")) {
            s.setInt(1, effects.finished);
            s.setString(2, queue.jobId);
            s.executeUpdate();
        }
        effects.finished = 0;
        try (PreparedStatement s = c.prepareStatement("UPDATE jobs SET state = 'DONE', finished = ? WHERE id = ?"
                + " AND remaining = 0 AND state = 'RUNNING'")) {
            s.setObject(1, time(now()));
            s.setString(2, queue.jobId);
            if (s.executeUpdate() == 1) {
                effects.done = true;
            }
        }
    }

    /** A replica judged: credit and trust for a valid one; for an invalid one, the host is caught. */
    private void settle(Connection c, JobQueue queue, String replicaId, String hostId, boolean valid, long credit,
            Effects effects) throws SQLException {
        // one statement for the state and the credit: the caller read the pending credit with the replica
        try (PreparedStatement s = c.prepareStatement("UPDATE job_replicas SET state = ?, credit_state = CASE WHEN"
                + " credit_state = 'PENDING' THEN ? ELSE credit_state END WHERE id = ?")) {
            s.setString(1, valid ? "VALID" : "INVALID");
            s.setString(2, valid ? "GRANTED" : "FORFEITED");
            s.setString(3, replicaId);
            s.executeUpdate();
        }
        if (valid) {
            effects.valid.computeIfAbsent(hostId, h -> new long[2]);
            effects.valid.get(hostId)[0]++;
            effects.valid.get(hostId)[1] += credit;
            return;
        }
        flushValid(c, queue.appSha256, hostId, effects); // its valid results of this batch came first
        caught(c, queue.appSha256, hostId, credit, effects);
    }

    /** Writes the valid results a transaction counted for a host into its record: one statement per host and batch. */
    private void flushValid(Connection c, String appSha256, String hostId, Effects effects) throws SQLException {
        long[] v = effects.valid.remove(hostId);
        if (v == null) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE job_host_trust SET streak = streak + ?,"
                + " valid_total = valid_total + ?, quota = LEAST(quota + ?, ?), credit = credit + ?"
                + " WHERE host_id = ? AND app_sha256 = ?")) {
            s.setLong(1, v[0]);
            s.setLong(2, v[0]);
            s.setLong(3, v[0]);
            s.setInt(4, config.maxQuota());
            s.setLong(5, v[1]);
            s.setString(6, hostId);
            s.setString(7, appSha256);
            s.executeUpdate();
        }
    }

    /**
     * A host gave an invalid result: its streak is reset, its quota halved (a ban after too many), the credit
     * of its unvalidated work forfeited, and the units accepted on its word alone (adaptive replication) are
     * opened again for a quorum.
     */
    private void caught(Connection c, String appSha256, String hostId, long own, Effects effects) throws SQLException {
        effects.replicas.clear(); // credits and units change below by statements: read them again
        effects.units.clear();
        long forfeited = own;
        try (PreparedStatement s = c.prepareStatement("SELECT COALESCE(SUM(credit), 0) FROM job_replicas WHERE host_id = ?"
                + " AND credit_state = 'PENDING' AND state IN ('REPORTED', 'IN_PROGRESS')"
                + " AND job_id IN (SELECT id FROM jobs WHERE app_sha256 = ?)")) {
            s.setString(1, hostId);
            s.setString(2, appSha256);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                forfeited += r.getLong(1);
            }
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE job_replicas SET credit_state = 'FORFEITED' WHERE host_id = ?"
                + " AND credit_state = 'PENDING' AND state IN ('REPORTED', 'IN_PROGRESS')"
                + " AND job_id IN (SELECT id FROM jobs WHERE app_sha256 = ?)")) {
            s.setString(1, hostId);
            s.setString(2, appSha256);
            s.executeUpdate();
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE job_host_trust SET streak = 0, invalid_total = invalid_total + 1,"
                + " quota = GREATEST(1, quota / 2), banned = (invalid_total + 1 >= ?), forfeited = forfeited + ?"
                + " WHERE host_id = ? AND app_sha256 = ?")) {
            s.setInt(1, config.banAfterInvalid());
            s.setLong(2, forfeited);
            s.setString(3, hostId);
            s.setString(4, appSha256);
            s.executeUpdate();
        }
        boolean banned;
        try (PreparedStatement s = c.prepareStatement("SELECT banned FROM job_host_trust WHERE host_id = ? AND app_sha256 = ?")) {
            s.setString(1, hostId);
            s.setString(2, appSha256);
            try (ResultSet r = s.executeQuery()) {
                banned = r.next() && r.getBoolean(1);
            }
        }
        if (banned) {
            // a banned host gets no more work, and its runner stops using it: what it still holds would only wait
            // out its deadline, holding up the job's end
            try (PreparedStatement s = c.prepareStatement("SELECT r.job_id, r.id FROM job_replicas r JOIN jobs j"
                    + " ON j.id = r.job_id WHERE r.host_id = ? AND r.state = 'IN_PROGRESS' AND j.app_sha256 = ?"
                    + " AND j.state = 'RUNNING'")) {
                s.setString(1, hostId);
                s.setString(2, appSha256);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        effects.abandoned.computeIfAbsent(r.getString(1), k -> new ArrayList<>()).add(r.getString(2));
                    }
                }
            }
        }
        // units of running jobs validated by this host alone: verify them again with a full quorum
        List<String[]> alone = new ArrayList<>(); // job id, seq, min quorum
        try (PreparedStatement s = c.prepareStatement("SELECT u.job_id, u.seq, j.min_quorum FROM job_units u"
                + " JOIN jobs j ON j.id = u.job_id JOIN job_replicas r ON r.job_id = u.job_id AND r.seq = u.seq"
                + " WHERE r.host_id = ? AND r.state = 'VALID' AND u.quorum = 1 AND u.expected IS NULL"
                + " AND u.state = 'VALIDATED' AND j.app_sha256 = ? AND j.state = 'RUNNING' AND j.min_quorum > 1")) {
            s.setString(1, hostId);
            s.setString(2, appSha256);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    alone.add(new String[] { r.getString(1), Integer.toString(r.getInt(2)), Integer.toString(r.getInt(3)) });
                }
            }
        }
        for (String[] a : alone) {
            int seq = Integer.parseInt(a[1]);
            int quorum = Integer.parseInt(a[2]);
            try (PreparedStatement s = c.prepareStatement("UPDATE job_replicas SET state = 'REPORTED' WHERE job_id = ?"
                    + " AND seq = ? AND state = 'VALID'")) {
                s.setString(1, a[0]);
                s.setInt(2, seq);
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("UPDATE job_units SET state = 'READY', quorum = ?, wanted = ?,"
                    + " result = NULL WHERE job_id = ? AND seq = ?")) {
                s.setInt(1, quorum);
                s.setInt(2, quorum - 1);
                s.setString(3, a[0]);
                s.setInt(4, seq);
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("UPDATE jobs SET remaining = remaining + 1 WHERE id = ?")) {
                s.setString(1, a[0]);
                s.executeUpdate();
            }
            effects.requeuedElsewhere.computeIfAbsent(a[0], k -> new ArrayList<>()).add(seq);
        }
    }

    // ---------------------------------------------------------------- deadlines

    /** Replicas past their deadline are timed out and their units issued again. */
    private void expire(JobQueue queue) throws SQLException {
        Instant now = now();
        for (String replicaId; (replicaId = queue.abandoned.poll()) != null;) {
            queue.deadlines.add(new Deadline(Instant.EPOCH, replicaId)); // due now; the deadline's own entry finds it gone
        }
        while (!queue.deadlines.isEmpty() && queue.deadlines.peek().at.isBefore(now)) {
            Deadline d = queue.deadlines.poll();
            Effects effects = store.transaction(c -> {
                Effects e = new Effects();
                String hostId;
                int seq;
                try (PreparedStatement s = c.prepareStatement("SELECT host_id, seq FROM job_replicas WHERE id = ?"
                        + " AND state = 'IN_PROGRESS' FOR UPDATE")) {
                    s.setString(1, d.replicaId);
                    try (ResultSet r = s.executeQuery()) {
                        if (!r.next()) {
                            return e; // reported in time
                        }
                        hostId = r.getString(1);
                        seq = r.getInt(2);
                    }
                }
                updateState(c, d.replicaId, "TIMED_OUT");
                setCredit(c, d.replicaId, "FORFEITED");
                e.released.merge(hostId, 1, Integer::sum);
                try (PreparedStatement s = c.prepareStatement("UPDATE job_host_trust SET timed_out = timed_out + 1,"
                        + " quota = GREATEST(1, quota / 2) WHERE host_id = ? AND app_sha256 = ?")) {
                    s.setString(1, hostId);
                    s.setString(2, queue.appSha256);
                    s.executeUpdate();
                }
                UnitRow unit = unit(c, queue.jobId, seq, true);
                unit.active--;
                reopenOrFail(c, queue, unit, e, "replicas missed their deadline");
                flush(c, queue, e);
                return e;
            });
            applyEffects(queue, effects);
        }
    }

    // ---------------------------------------------------------------- rows

    private static final class JobRow {
        String id, buyerId, appSha256, appKind, state;
        int minQuorum, maxReplicas, deadlineSeconds, units;
        Instant created, finished;
    }

    private static final class UnitRow {
        int seq, quorum, wanted, active, issued;
        String state, error;
        byte[] input, expected, result;
    }

    private record Deadline(Instant at, String replicaId) implements Comparable<Deadline> {
        @Override
        public int compareTo(Deadline o) {
            int c = at.compareTo(o.at);
            return c != 0 ? c : replicaId.compareTo(o.replicaId);
        }
    }

    /** A running job's dispatch state in memory: the feeder's cache of ready units and the deadlines. */
    private static final class JobQueue {
        final String jobId, buyerId, appSha256, appKind;
        final int minQuorum, maxReplicas, deadlineSeconds;
        final Deque<Integer> ready = new ConcurrentLinkedDeque<>();
        final PriorityQueue<Deadline> deadlines = new PriorityQueue<>();
        final Map<String, Integer> held = new HashMap<>();
        final java.util.Queue<String> abandoned = new java.util.concurrent.ConcurrentLinkedQueue<>();
        /** Hosts whose trust record with the app is known to exist (guarded by the queue). */
        final java.util.Set<String> recorded = new java.util.HashSet<>();
        int scanFrom;
        boolean scanExhausted;
        boolean done;

        JobQueue(JobRow row) {
            this.jobId = row.id;
            this.buyerId = row.buyerId;
            this.appSha256 = row.appSha256;
            this.appKind = row.appKind;
            this.minQuorum = row.minQuorum;
            this.maxReplicas = row.maxReplicas;
            this.deadlineSeconds = row.deadlineSeconds;
            this.done = "DONE".equals(row.state);
        }

        int held(String hostId) {
            return held.getOrDefault(hostId, 0);
        }

        void hold(String hostId, int delta) {
            held.merge(hostId, delta, (a, b) -> Math.max(0, a + b) == 0 ? null : Math.max(0, a + b));
        }
    }

    private JobQueue queue(Account buyer, String jobId) throws JobRefused, SQLException {
        JobQueue queue = jobId == null ? null : queues.get(jobId);
        if (queue != null && queue.buyerId.equals(buyer.id())) {
            return queue; // a running job's owner never changes: no read of its row per dispatch and report
        }
        JobRow row = row(buyer, jobId);
        queue = queues.get(jobId);
        if (queue != null) {
            return queue;
        }
        synchronized (queues) {
            queue = queues.get(jobId);
            if (queue != null) {
                return queue;
            }
            JobQueue fresh = new JobQueue(row);
            if (!fresh.done) {
                // once per job and server start: the replicas out now, their deadlines and holders
                try (Connection c = store.connection();
                        PreparedStatement s = c.prepareStatement("SELECT id, host_id, deadline FROM job_replicas"
                                + " WHERE job_id = ? AND state = 'IN_PROGRESS'")) {
                    s.setString(1, jobId);
                    try (ResultSet r = s.executeQuery()) {
                        while (r.next()) {
                            fresh.deadlines.add(new Deadline(r.getObject(3, OffsetDateTime.class).toInstant(), r.getString(1)));
                            fresh.hold(r.getString(2), 1);
                        }
                    }
                }
                queues.put(jobId, fresh);
            }
            return fresh;
        }
    }

    private JobRow row(Account buyer, String jobId) throws JobRefused, SQLException {
        if (jobId == null || !JOB_ID.matcher(jobId).matches()) {
            throw new JobRefused(Reason.NOT_FOUND, "no job '" + jobId + "'");
        }
        JobRow row;
        try (Connection c = store.connection()) {
            row = row(c, jobId);
        }
        if (row == null || !row.buyerId.equals(buyer.id())) {
            throw new JobRefused(Reason.NOT_FOUND, "no job " + jobId + " of yours");
        }
        return row;
    }

    private static JobRow row(Connection c, String jobId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT id, buyer_id, app_sha256, app_kind, state, min_quorum,"
                + " max_replicas, deadline_seconds, units, created, finished FROM jobs WHERE id = ?")) {
            s.setString(1, jobId);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return null;
                }
                JobRow row = new JobRow();
                row.id = r.getString(1);
                row.buyerId = r.getString(2);
                row.appSha256 = r.getString(3);
                row.appKind = r.getString(4);
                row.state = r.getString(5);
                row.minQuorum = r.getInt(6);
                row.maxReplicas = r.getInt(7);
                row.deadlineSeconds = r.getInt(8);
                row.units = r.getInt(9);
                row.created = r.getObject(10, OffsetDateTime.class).toInstant();
                OffsetDateTime finished = r.getObject(11, OffsetDateTime.class);
                row.finished = finished == null ? null : finished.toInstant();
                return row;
            }
        }
    }

    private static UnitRow unit(Connection c, String jobId, int seq, boolean lock) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT state, quorum, wanted, active, issued, input, expected,"
                + " result, error FROM job_units WHERE job_id = ? AND seq = ?" + (lock ? " FOR UPDATE" : ""))) {
            s.setString(1, jobId);
            s.setInt(2, seq);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    throw new SQLException("job " + jobId + " has no unit " + seq);
                }
                UnitRow u = new UnitRow();
                u.seq = seq;
                u.state = r.getString(1);
                u.quorum = r.getInt(2);
                u.wanted = r.getInt(3);
                u.active = r.getInt(4);
                u.issued = r.getInt(5);
                u.input = r.getBytes(6);
                u.expected = r.getBytes(7);
                u.result = r.getBytes(8);
                u.error = r.getString(9);
                return u;
            }
        }
    }

    private static void saveUnit(Connection c, String jobId, UnitRow u) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE job_units SET state = ?, quorum = ?, wanted = ?, active = ?,"
                + " result = ?, error = ? WHERE job_id = ? AND seq = ?")) {
            s.setString(1, u.state);
            s.setInt(2, u.quorum);
            s.setInt(3, u.wanted);
            s.setInt(4, u.active);
            s.setBytes(5, u.result);
            s.setString(6, u.error);
            s.setString(7, jobId);
            s.setInt(8, u.seq);
            s.executeUpdate();
        }
    }

    private void updateReplica(Connection c, String replicaId, String state, byte[] result) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE job_replicas SET state = ?, reported = ?, result = ? WHERE id = ?")) {
            s.setString(1, state);
            s.setObject(2, time(now()));
            s.setBytes(3, result);
            s.setString(4, replicaId);
            s.executeUpdate();
        }
    }

    private static void updateState(Connection c, String replicaId, String state) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE job_replicas SET state = ? WHERE id = ?")) {
            s.setString(1, state);
            s.setString(2, replicaId);
            s.executeUpdate();
        }
    }

    /** Moves a replica's PENDING credit to {@code state}; returns the amount moved (0 when it was not pending). */
    private static long setCredit(Connection c, String replicaId, String state) throws SQLException {
        long credit = 0;
        try (PreparedStatement s = c.prepareStatement("SELECT credit FROM job_replicas WHERE id = ? AND credit_state = 'PENDING'")) {
            s.setString(1, replicaId);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return 0;
                }
                credit = r.getLong(1);
            }
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE job_replicas SET credit_state = ? WHERE id = ?")) {
            s.setString(1, state);
            s.setString(2, replicaId);
            s.executeUpdate();
        }
        return credit;
    }

    private static HostTrust trust(Connection c, String hostId, String appSha256) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT host_id, app_sha256, streak, valid_total, invalid_total,"
                + " timed_out, quota, banned, credit, forfeited FROM job_host_trust WHERE host_id = ? AND app_sha256 = ?")) {
            s.setString(1, hostId);
            s.setString(2, appSha256);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? trustOf(r) : null;
            }
        }
    }

    private static HostTrust trustOf(ResultSet r) throws SQLException {
        return new HostTrust(r.getString(1), r.getString(2), r.getInt(3), r.getInt(4), r.getInt(5), r.getInt(6),
                r.getInt(7), r.getBoolean(8), r.getLong(9), r.getLong(10));
    }

    private Instant now() {
        return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    }

    private static OffsetDateTime time(Instant t) {
        return t.atOffset(ZoneOffset.UTC);
    }

    private String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        synchronized (random) {
            random.nextBytes(b);
        }
        return HexFormat.of().formatHex(b);
    }

    private String randomToken() {
        byte[] b = new byte[15];
        synchronized (random) {
            random.nextBytes(b);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String truncate(String s) {
        return s == null ? "" : s.length() > 200 ? s.substring(0, 200) : s;
    }
}
