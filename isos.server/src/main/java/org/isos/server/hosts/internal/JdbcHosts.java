package org.isos.server.hosts.internal;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.security.cert.X509Certificate;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.isos.server.internal.PeriodicSweep;
import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.ca.CertificateAuthority;
import org.isos.server.ca.CertificateRecord;
import org.isos.server.ca.CertificateRefused;
import org.isos.server.ca.IssuedCertificate;
import org.isos.server.hosts.Availability;
import org.isos.server.hosts.DailyHours;
import org.isos.server.hosts.EnrolledHost;
import org.isos.server.hosts.Heartbeat;
import org.isos.server.hosts.HostPolicy;
import org.isos.server.hosts.HostStatus;
import org.isos.server.hosts.HostRefused;
import org.isos.server.hosts.HostRefused.Reason;
import org.isos.server.hosts.Hosts;
import org.isos.server.hosts.ReportedStatus;
import org.isos.server.store.Store;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Hosts in the store's {@code hosts} table; certificates through the CA, in the same transaction.
 * Liveness: an {@code ONLINE} host whose last heartbeat is older than {@value #MISSED_HEARTBEATS} heartbeat
 * periods (the HTTP API's {@code heartbeatSeconds}) is {@code OFFLINE}: {@link #hostsOf} computes it on
 * read, and a sweep on the component's own scheduled thread marks such rows in one statement every period.
 *
 * <p>Heartbeats are batched (unless the flush period is zero: then each one writes its row, as before): a
 * heartbeat reads the host's row without a lock, writes it only when the host was not {@code ONLINE} or its
 * reported status (suspension, apps, transport, policy) differs from the row, and otherwise leaves its time
 * and a changed description in memory. A flush writes those in one transaction every flush period (at most a
 * quarter of the offline threshold, so another server over the same store never sees a live host as silent),
 * before each sweep and when the component stops. Reads of this instance ({@link #hostsOf}, the previous
 * heartbeat) see the in-memory time.
 */
@Component(service = Hosts.class, configurationPid = LivenessConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class JdbcHosts implements Hosts, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(JdbcHosts.class.getName());
    static final int MAX_CSR_BYTES = 16 * 1024;
    static final int MAX_DESCRIPTION_CHARS = 64 * 1024;
    static final int MAX_REASON_CHARS = 1000;
    /** Heartbeats a host may miss before it is OFFLINE. */
    static final int MISSED_HEARTBEATS = 3;

    private final Store store;
    private final CertificateAuthority ca;
    private final Duration heartbeatPeriod;
    private final Clock clock;
    /** Zero: every heartbeat writes its row (write-through); otherwise how often batched heartbeats are written. */
    private final Duration flushPeriod;
    /** The latest heartbeat this instance heard from each host, flushed or not. */
    private final Map<String, Instant> heard = new ConcurrentHashMap<>();
    /** What waits for the next flush, per host. */
    private final Map<String, Unflushed> unflushed = new ConcurrentHashMap<>();
    /** SHA-256 of the description last handed to the store (written or waiting in {@link #unflushed}), per host. */
    private final Map<String, byte[]> descriptionDigests = new ConcurrentHashMap<>();
    /** One flush at a time (the flusher's thread, the sweep's, close). */
    private final Object flushing = new Object();
    private PeriodicSweep sweeper;
    private PeriodicSweep flusher;

    /**
     * The component: liveness from the HTTP API's {@code heartbeatSeconds}; sweeps every period; flushes batched
     * heartbeats every {@code heartbeatFlushMillis} (0: write-through).
     */
    @Activate
    public JdbcHosts(LivenessConfig config, @Reference Store store, @Reference CertificateAuthority ca) {
        this(store, ca, Duration.ofSeconds(checked(config.heartbeatSeconds())), Clock.systemUTC(),
                flushPeriodOf(config));
        if (!flushPeriod.isZero()) {
            flusher = new PeriodicSweep("isos-hosts-heartbeat-flush", flushPeriod, this::flushQuietly);
        }
        startSweeping(heartbeatPeriod);
    }

    /**
     * Without a sweeper or flusher (liveness is still computed on read), write-through, a 30 s heartbeat period
     * and the system clock.
     */
    public JdbcHosts(Store store, CertificateAuthority ca) {
        this(store, ca, Duration.ofSeconds(30), Clock.systemUTC());
    }

    /** Without a sweeper, write-through; tests give their own clock. */
    JdbcHosts(Store store, CertificateAuthority ca, Duration heartbeatPeriod, Clock clock) {
        this(store, ca, heartbeatPeriod, clock, Duration.ZERO);
    }

    /** Without a sweeper or flusher: batched unless {@code flushPeriod} is zero; tests call {@link #flush()}. */
    JdbcHosts(Store store, CertificateAuthority ca, Duration heartbeatPeriod, Clock clock, Duration flushPeriod) {
        this.store = store;
        this.ca = ca;
        this.heartbeatPeriod = heartbeatPeriod;
        this.clock = clock;
        this.flushPeriod = flushPeriod;
    }

    private static int checked(int heartbeatSeconds) {
        if (heartbeatSeconds < 1) {
            throw new IllegalArgumentException("heartbeatSeconds must be >= 1, not " + heartbeatSeconds);
        }
        return heartbeatSeconds;
    }

    /**
     * The configured flush period, at most a quarter of the offline threshold: the store's times then lag a
     * live host's by far less than the threshold, which is what another server's sweep reads.
     */
    static Duration flushPeriodOf(LivenessConfig config) {
        int millis = config.heartbeatFlushMillis();
        if (millis < 0) {
            throw new IllegalArgumentException("heartbeatFlushMillis must be >= 0 (0: write every heartbeat), not "
                    + millis);
        }
        Duration threshold = Duration.ofSeconds(checked(config.heartbeatSeconds())).multipliedBy(MISSED_HEARTBEATS);
        Duration configured = Duration.ofMillis(millis);
        return millis == 0 ? Duration.ZERO : configured.compareTo(threshold.dividedBy(4)) > 0 ? threshold.dividedBy(4)
                : configured;
    }

    /** The flush period in force; zero for write-through. */
    Duration flushPeriod() {
        return flushPeriod;
    }

    /** Runs {@link #sweep()} every {@code every} on a thread of its own, until {@link #close()}. */
    synchronized void startSweeping(Duration every) {
        if (sweeper != null) {
            throw new IllegalStateException("already sweeping");
        }
        sweeper = new PeriodicSweep("isos-hosts-liveness", every, this::sweepQuietly);
    }

    /** Stops the threads, then writes what waits (a clean stop loses no heartbeat time or description). */
    @Override
    @Deactivate
    public synchronized void close() {
        if (flusher != null) {
            flusher.close();
            flusher = null;
        }
        if (sweeper != null) {
            sweeper.close();
            sweeper = null;
        }
        flushQuietly();
    }

    /**
     * Writes the batched heartbeats (each host's latest time, never moving a stored time back, and its changed
     * description) in one transaction, hosts in id order so that two servers' flushes never deadlock.
     *
     * @return how many hosts it wrote
     */
    int flush() throws SQLException {
        synchronized (flushing) {
            if (unflushed.isEmpty()) {
                return 0;
            }
            List<Map.Entry<String, Unflushed>> batch = new ArrayList<>();
            for (Map.Entry<String, Unflushed> e : unflushed.entrySet()) {
                batch.add(Map.entry(e.getKey(), e.getValue()));
            }
            batch.sort(Map.Entry.comparingByKey());
            store.transaction(c -> {
                try (PreparedStatement u = c.prepareStatement("UPDATE hosts SET last_heartbeat = "
                        + "GREATEST(last_heartbeat, CAST(? AS TIMESTAMP WITH TIME ZONE)), "
                        + "description = COALESCE(CAST(? AS VARCHAR(1000000)), description) WHERE id = ?")) {
                    int inBatch = 0;
                    for (Map.Entry<String, Unflushed> e : batch) {
                        u.setObject(1, OffsetDateTime.ofInstant(e.getValue().at(), ZoneOffset.UTC));
                        u.setString(2, e.getValue().description());
                        u.setString(3, e.getKey());
                        u.addBatch();
                        if (++inBatch == 500) {
                            u.executeBatch();
                            inBatch = 0;
                        }
                    }
                    if (inBatch > 0) {
                        u.executeBatch();
                    }
                }
                return null;
            });
            for (Map.Entry<String, Unflushed> e : batch) {
                // a heartbeat that came meanwhile replaced the value: it waits for the next flush
                unflushed.remove(e.getKey(), e.getValue());
            }
            return batch.size();
        }
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (SQLException | RuntimeException e) {
            // what was not written stays for the next flush
            LOG.log(Level.WARNING, "heartbeat flush failed", e);
        }
    }

    /** A host's heartbeat time and changed description (null: unchanged) waiting for the flush. */
    private record Unflushed(Instant at, String description) {

        Unflushed mergedWith(Unflushed later) {
            return new Unflushed(later.at.isAfter(at) ? later.at : at,
                    later.description != null ? later.description : description);
        }
    }

    /** Before this instant a heartbeat is too old: the host is OFFLINE. */
    Instant offlineBefore() {
        return clock.instant().minus(heartbeatPeriod.multipliedBy(MISSED_HEARTBEATS));
    }

    /**
     * Marks {@code OFFLINE}, in one statement, every {@code ONLINE} host whose last heartbeat is older than
     * {@link #MISSED_HEARTBEATS} periods. A heartbeat committed meanwhile wins (the row is re-checked once
     * its lock is free), and the host's next heartbeat makes it {@code ONLINE} again.
     *
     * @return how many hosts went OFFLINE
     */
    int sweep() throws SQLException {
        // the store must hold what this instance heard before it judges silence
        flush();
        Instant before = offlineBefore();
        Instant now = clock.instant();
        return store.transaction(c -> {
            // an available host (not suspended) becomes unavailable now: its availability clock flips
            try (PreparedStatement u = c.prepareStatement("UPDATE hosts SET availability_clock = CASE WHEN "
                    + "suspended IS NOT TRUE THEN " + FLIP + " ELSE availability_clock END, status = 'OFFLINE' "
                    + "WHERE status = 'ONLINE' AND last_heartbeat < ?")) {
                int next = setFlip(u, 1, now);
                u.setObject(next, OffsetDateTime.ofInstant(before, ZoneOffset.UTC));
                return u.executeUpdate();
            }
        });
    }

    private void sweepQuietly() {
        try {
            int offline = sweep();
            if (offline > 0) {
                LOG.info(offline + " host(s) OFFLINE: no heartbeat for " + MISSED_HEARTBEATS + " x " + heartbeatPeriod);
            }
        } catch (SQLException | RuntimeException e) {
            // the next sweep tries again; reads compute liveness meanwhile
            LOG.log(Level.WARNING, "liveness sweep failed", e);
        }
    }

    @Override
    public EnrolledHost enroll(Account owner, byte[] csr, String description)
            throws HostRefused, CertificateRefused, SQLException {
        if (owner.kind() != AccountKind.OWNER) {
            throw new HostRefused(Reason.NOT_AN_OWNER, "only host owners enroll hosts (account " + owner.id()
                    + " is a " + owner.kind().code() + ")");
        }
        if (description != null && description.length() > MAX_DESCRIPTION_CHARS) {
            throw new HostRefused(Reason.BAD_REQUEST, "description is longer than " + MAX_DESCRIPTION_CHARS + " characters");
        }
        String hostId = Hosts.hostIdOf(publicKeyOf(csr));
        Instant created = Instant.now().truncatedTo(ChronoUnit.MICROS);
        try {
            return store.transaction(c -> {
                if (exists(c, hostId)) {
                    throw new Refusal(new HostRefused(Reason.ALREADY_ENROLLED,
                            "this key is enrolled already as host " + hostId + "; make a new key to enroll another host"));
                }
                IssuedCertificate certificate;
                try {
                    certificate = ca.issueHostCertificate(hostId, csr);
                } catch (CertificateRefused e) {
                    throw new Refusal(e);
                }
                try (PreparedStatement insert = c.prepareStatement("INSERT INTO hosts (id, owner_id, certificate_serial, "
                        + "description, status, created) VALUES (?, ?, ?, ?, 'ENROLLING', ?)")) {
                    insert.setString(1, hostId);
                    insert.setString(2, owner.id());
                    insert.setString(3, certificate.serial());
                    insert.setString(4, description);
                    insert.setTimestamp(5, Timestamp.from(created));
                    insert.executeUpdate();
                }
                return new EnrolledHost(hostId, owner.id(), "ENROLLING", certificate, created);
            });
        } catch (Refusal r) {
            if (r.getCause() instanceof HostRefused h) {
                throw h;
            }
            throw (CertificateRefused) r.getCause();
        } catch (SQLException e) {
            // two enrollments of one key at once: the loser sees the primary key taken
            if ("23505".equals(e.getSQLState())) {
                throw new HostRefused(Reason.ALREADY_ENROLLED, "this key is enrolled already as host " + hostId
                        + "; make a new key to enroll another host");
            }
            throw e;
        }
    }

    /**
     * Revocations are looked up from this long before the previous heartbeat, so one committed while that
     * heartbeat ran (with an earlier revocation time) is not missed; hosts may see a serial twice.
     */
    static final Duration REVOCATION_OVERLAP = Duration.ofMinutes(1);

    @Override
    public Heartbeat heartbeat(String hostId, X509Certificate certificate, String description, ReportedStatus status)
            throws HostRefused, SQLException {
        if (certificate == null) {
            throw new HostRefused(Reason.NOT_THIS_HOST, "no client certificate: heartbeats must be sent over TLS "
                    + "with the host's certificate");
        }
        String commonName = commonNameOf(certificate);
        if (!hostId.equals(commonName)) {
            throw new HostRefused(Reason.NOT_THIS_HOST, "the client certificate is for "
                    + (commonName == null ? "no host (no CN)" : commonName) + ", not for " + hostId);
        }
        if (description != null && description.length() > MAX_DESCRIPTION_CHARS) {
            throw new HostRefused(Reason.BAD_REQUEST, "description is longer than " + MAX_DESCRIPTION_CHARS + " characters");
        }
        if (status != null && status.reason() != null && status.reason().length() > MAX_REASON_CHARS) {
            throw new HostRefused(Reason.BAD_REQUEST, "status reason is longer than " + MAX_REASON_CHARS + " characters");
        }
        String serial = certificate.getSerialNumber().toString(16);
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        if (!flushPeriod.isZero()) {
            return batchedHeartbeat(hostId, serial, description, status, now);
        }
        try {
            return store.transaction(c -> {
                Instant previous = checkCertificate(c, hostId, serial, true);
                try (PreparedStatement u = c.prepareStatement(status == null
                        ? "UPDATE hosts SET " + AVAILABILITY_KEPT + "status = 'ONLINE', last_heartbeat = ?, "
                                + "description = COALESCE(?, description) WHERE id = ?"
                        : "UPDATE hosts SET " + AVAILABILITY_REPORTED + "status = 'ONLINE', last_heartbeat = ?, "
                                + "description = COALESCE(?, description), " + REPORTED_COLUMNS + " WHERE id = ?")) {
                    int next = status == null ? setFlip(u, 1, now) : setAvailabilityReported(u, status, now);
                    u.setObject(next, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
                    u.setString(next + 1, description);
                    if (status == null) {
                        u.setString(next + 2, hostId);
                    } else {
                        u.setString(setReported(u, next + 2, status), hostId);
                    }
                    u.executeUpdate();
                }
                Instant since = previous == null ? Instant.EPOCH : previous.minus(REVOCATION_OVERLAP);
                return new Heartbeat(hostId, now, previous, ca.revokedSince(since));
            });
        } catch (Refusal r) {
            throw (HostRefused) r.getCause();
        }
    }

    /**
     * A heartbeat when batching: one read of the row (no lock), a write only when the host was not ONLINE or
     * reported another status than its row holds; its time and a changed description wait for the flush.
     */
    private Heartbeat batchedHeartbeat(String hostId, String serial, String description, ReportedStatus status,
            Instant now) throws HostRefused, SQLException {
        try {
            return store.transaction(c -> {
                StoredHost row = readChecked(c, hostId, serial);
                Instant previous = latest(row.lastHeartbeat(), heard.get(hostId));
                if (!"ONLINE".equals(row.status()) || (status != null && !status.equals(row.reported()))) {
                    writeReported(c, hostId, status, now);
                }
                Instant since = previous == null ? Instant.EPOCH : previous.minus(REVOCATION_OVERLAP);
                Heartbeat beat = new Heartbeat(hostId, now, previous, ca.revokedSince(since));
                // last: a refused heartbeat (above) leaves nothing in memory; a retried transaction merges again
                remember(hostId, now, description);
                return beat;
            });
        } catch (Refusal r) {
            throw (HostRefused) r.getCause();
        }
    }

    /** The row as a heartbeat compares it: status, last heartbeat, the reported status (null before the first). */
    private record StoredHost(String status, Instant lastHeartbeat, ReportedStatus reported) {
    }

    private StoredHost readChecked(Connection c, String hostId, String serial) throws SQLException {
        String currentSerial;
        StoredHost row;
        try (PreparedStatement s = c.prepareStatement("SELECT certificate_serial, status, last_heartbeat, suspended, "
                + "suspended_reason, apps, transport_address, max_cpu_share, storage_quota_bytes, "
                + "bandwidth_cap_bytes_per_second, accepts_compute, accepts_storage, accepts_streaming, "
                + "minimum_price_per_hour_micros, allowed_hours, minimum_price_outside_hours_micros, memory_bytes "
                + "FROM hosts WHERE id = ?")) {
            s.setString(1, hostId);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    throw new Refusal(new HostRefused(Reason.NOT_THIS_HOST, "host " + hostId + " is not enrolled"));
                }
                currentSerial = r.getString(1);
                OffsetDateTime last = r.getObject(3, OffsetDateTime.class);
                boolean suspended = r.getBoolean(4);
                ReportedStatus reported = r.wasNull() ? null
                        : new ReportedStatus(suspended, r.getString(5), r.getInt(6), r.getString(7), policy(r, 8),
                                memory(r, 17));
                row = new StoredHost(r.getString(2), last == null ? null : last.toInstant(), reported);
            }
        }
        checkSerial(hostId, serial, currentSerial);
        return row;
    }

    /** The row becomes ONLINE with the reported status (if any); its time moves forward only. */
    private static void writeReported(Connection c, String hostId, ReportedStatus status, Instant now)
            throws SQLException {
        try (PreparedStatement u = c.prepareStatement(status == null
                ? "UPDATE hosts SET " + AVAILABILITY_KEPT + "status = 'ONLINE', last_heartbeat = "
                        + "GREATEST(last_heartbeat, CAST(? AS TIMESTAMP WITH TIME ZONE)) WHERE id = ?"
                : "UPDATE hosts SET " + AVAILABILITY_REPORTED + "status = 'ONLINE', last_heartbeat = "
                        + "GREATEST(last_heartbeat, CAST(? AS TIMESTAMP WITH TIME ZONE)), " + REPORTED_COLUMNS
                        + " WHERE id = ?")) {
            int next = status == null ? setFlip(u, 1, now) : setAvailabilityReported(u, status, now);
            u.setObject(next, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
            if (status == null) {
                u.setString(next + 1, hostId);
            } else {
                u.setString(setReported(u, next + 1, status), hostId);
            }
            u.executeUpdate();
        }
    }

    /** What a heartbeat's status sets, {@link #setReported}'s parameters. */
    private static final String REPORTED_COLUMNS = "suspended = ?, suspended_reason = ?, apps = ?, transport_address = ?, "
            + "max_cpu_share = ?, storage_quota_bytes = ?, bandwidth_cap_bytes_per_second = ?, accepts_compute = ?, "
            + "accepts_storage = ?, accepts_streaming = ?, minimum_price_per_hour_micros = ?, allowed_hours = ?, "
            + "allowed_slots = ?, minimum_price_outside_hours_micros = ?, memory_bytes = ?";

    /**
     * The availability clock flipped at a time given as {@link #setFlip}'s 4 parameters (see {@link Availability}):
     * a host without history starts at that time.
     */
    static final String FLIP = "CASE WHEN availability_clock IS NULL THEN CAST(? AS DOUBLE PRECISION) "
            + "ELSE CAST(? AS DOUBLE PRECISION) + " + Availability.TIME_CONSTANT_SECONDS + " * LN(GREATEST(1 - EXP(("
            + "LEAST(availability_clock, CAST(? AS DOUBLE PRECISION)) - CAST(? AS DOUBLE PRECISION)) / "
            + Availability.TIME_CONSTANT_SECONDS + "), " + Math.exp(-Availability.MAX_AGE_CONSTANTS) + ")) END";
    /** A heartbeat that keeps the stored status: the host becomes available when it was OFFLINE (or ENROLLING). */
    private static final String AVAILABILITY_KEPT = "availability_clock = CASE WHEN status <> 'ONLINE' AND "
            + "suspended IS NOT TRUE THEN " + FLIP + " ELSE availability_clock END, ";
    /**
     * A heartbeat with a status: the clock flips when whether the host is available (ONLINE, not suspended) changes;
     * first SET item, so that it reads the row as it was (as SQL says every item does).
     */
    private static final String AVAILABILITY_REPORTED = "availability_clock = CASE WHEN (CASE WHEN status = 'ONLINE' "
            + "AND suspended IS NOT TRUE THEN 1 ELSE 0 END) = ? THEN availability_clock ELSE " + FLIP + " END, ";

    /** {@link #FLIP}'s parameters from {@code first}; returns the next parameter's index. */
    static int setFlip(PreparedStatement u, int first, Instant at) throws SQLException {
        double t = Availability.seconds(at);
        for (int i = 0; i < 4; i++) {
            u.setDouble(first + i, t);
        }
        return first + 4;
    }

    /** {@link #AVAILABILITY_REPORTED}'s parameters from 1; returns the next parameter's index. */
    private static int setAvailabilityReported(PreparedStatement u, ReportedStatus status, Instant at)
            throws SQLException {
        u.setInt(1, status.suspended() ? 0 : 1);
        return setFlip(u, 2, at);
    }

    /** The reported status into parameters {@code first} to {@code first + 14}; returns the next index. */
    private static int setReported(PreparedStatement u, int first, ReportedStatus status) throws SQLException {
        u.setBoolean(first, status.suspended());
        u.setString(first + 1, status.reason());
        u.setInt(first + 2, status.apps());
        u.setString(first + 3, status.transport());
        HostPolicy policy = status.policy();
        // no policy reported (an older agent): all null, so matching never picks the host
        u.setObject(first + 4, policy == null ? null : policy.maxCpuShare(), Types.DOUBLE);
        u.setObject(first + 5, policy == null ? null : policy.storageQuotaBytes(), Types.BIGINT);
        u.setObject(first + 6, policy == null ? null : policy.bandwidthCapBytesPerSecond(), Types.BIGINT);
        u.setObject(first + 7, policy == null ? null : policy.acceptedCategories().contains("compute"), Types.BOOLEAN);
        u.setObject(first + 8, policy == null ? null : policy.acceptedCategories().contains("storage"), Types.BOOLEAN);
        u.setObject(first + 9, policy == null ? null : policy.acceptedCategories().contains("streaming"), Types.BOOLEAN);
        u.setObject(first + 10, policy == null ? null : policy.minimumPricePerHourMicros(), Types.BIGINT);
        List<String> hours = policy == null ? null : policy.allowedHours();
        u.setString(first + 11, hours == null ? null : String.join(",", hours));
        u.setString(first + 12, hours == null ? null : DailyHours.slots(hours));
        u.setObject(first + 13, policy == null ? null : policy.minimumPriceOutsideHoursMicros(), Types.BIGINT);
        u.setObject(first + 14, status.memoryBytes(), Types.BIGINT);
        return first + 15;
    }

    /** Records a heartbeat in memory: its time, and its description when it differs from the last one handed on. */
    private void remember(String hostId, Instant at, String description) {
        heard.merge(hostId, at, JdbcHosts::latest);
        String changed = null;
        if (description != null) {
            byte[] digest = sha256(description);
            byte[] before = descriptionDigests.put(hostId, digest);
            if (!Arrays.equals(before, digest)) {
                changed = description;
            }
        }
        unflushed.merge(hostId, new Unflushed(at, changed), Unflushed::mergedWith);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** The later of two times, either may be null. */
    private static Instant latest(Instant a, Instant b) {
        return a == null ? b : b == null || !b.isAfter(a) ? a : b;
    }

    @Override
    public void authenticate(String hostId, X509Certificate certificate) throws HostRefused, SQLException {
        String serial = checkCommonName(hostId, certificate);
        try {
            store.transaction(c -> checkCertificate(c, hostId, serial, false));
        } catch (Refusal r) {
            throw (HostRefused) r.getCause();
        }
    }

    /** The certificate's serial (hex) once its single CN is {@code hostId}. */
    private static String checkCommonName(String hostId, X509Certificate certificate) throws HostRefused {
        if (certificate == null) {
            throw new HostRefused(Reason.NOT_THIS_HOST, "no client certificate: hosts must call over TLS "
                    + "with the host's certificate");
        }
        String commonName = commonNameOf(certificate);
        if (!hostId.equals(commonName)) {
            throw new HostRefused(Reason.NOT_THIS_HOST, "the client certificate is for "
                    + (commonName == null ? "no host (no CN)" : commonName) + ", not for " + hostId);
        }
        return certificate.getSerialNumber().toString(16);
    }

    /**
     * The host must be enrolled, {@code serial} must be its current certificate, recorded by the CA and not
     * revoked; returns the host's last heartbeat (null before the first). {@code lock}: the row is read FOR UPDATE.
     */
    private Instant checkCertificate(Connection c, String hostId, String serial, boolean lock) throws SQLException {
        String currentSerial;
        Instant previous;
        try (PreparedStatement s = c.prepareStatement(
                "SELECT certificate_serial, last_heartbeat FROM hosts WHERE id = ?" + (lock ? " FOR UPDATE" : ""))) {
            s.setString(1, hostId);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    throw new Refusal(new HostRefused(Reason.NOT_THIS_HOST, "host " + hostId + " is not enrolled"));
                }
                currentSerial = r.getString(1);
                OffsetDateTime last = r.getObject(2, OffsetDateTime.class);
                previous = last == null ? null : last.toInstant();
            }
        }
        checkSerial(hostId, serial, currentSerial);
        return previous;
    }

    /** {@code serial} must be the host's current certificate, recorded by the CA and not revoked. */
    private void checkSerial(String hostId, String serial, String currentSerial) throws SQLException {
        if (!serial.equalsIgnoreCase(currentSerial)) {
            throw new Refusal(new HostRefused(Reason.NOT_THIS_HOST, "the client certificate (serial " + serial
                    + ") is not host " + hostId + "'s current certificate"));
        }
        Optional<CertificateRecord> record = ca.record(serial);
        if (record.isEmpty()) {
            throw new Refusal(new HostRefused(Reason.NOT_THIS_HOST, "the client certificate (serial " + serial
                    + ") was not issued by this server's CA"));
        }
        if (record.get().revoked()) {
            throw new Refusal(new HostRefused(Reason.NOT_THIS_HOST, "the client certificate (serial " + serial
                    + ") of host " + hostId + " is revoked (" + record.get().revocationReason() + ")"));
        }
    }

    @Override
    public List<HostStatus> hostsOf(Account owner) throws SQLException {
        Instant offlineBefore = offlineBefore();
        return store.transaction(c -> {
            List<HostStatus> out = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT id, owner_id, status, certificate_serial, description, "
                    + "last_heartbeat, created, suspended, suspended_reason, apps, transport_address, max_cpu_share, "
                    + "storage_quota_bytes, bandwidth_cap_bytes_per_second, accepts_compute, accepts_storage, "
                    + "accepts_streaming, minimum_price_per_hour_micros, allowed_hours, "
                    + "minimum_price_outside_hours_micros, memory_bytes, availability_clock FROM hosts WHERE owner_id = ? "
                    + "ORDER BY created, id")) {
                s.setString(1, owner.id());
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        OffsetDateTime last = r.getObject(6, OffsetDateTime.class);
                        String id = r.getString(1);
                        // what this instance heard and has not flushed yet counts
                        Instant lastHeartbeat = latest(last == null ? null : last.toInstant(), heard.get(id));
                        Unflushed waiting = unflushed.get(id);
                        String description = waiting != null && waiting.description() != null ? waiting.description()
                                : r.getString(5);
                        String status = r.getString(3);
                        if ("ONLINE".equals(status) && lastHeartbeat != null && lastHeartbeat.isBefore(offlineBefore)) {
                            status = "OFFLINE"; // the sweep has not marked it yet
                        }
                        boolean suspended = r.getBoolean(8);
                        ReportedStatus reported = r.wasNull() ? null
                                : new ReportedStatus(suspended, r.getString(9), r.getInt(10), r.getString(11),
                                        policy(r, 12), memory(r, 21));
                        double clockSeconds = r.getDouble(22);
                        Double availabilityClock = r.wasNull() ? null : clockSeconds;
                        // the clock reads as the stored status says (a host not yet swept is still available there)
                        double availability = Availability.at("ONLINE".equals(r.getString(3)) && !suspended,
                                availabilityClock, clock.instant());
                        out.add(new HostStatus(id, r.getString(2), status, r.getString(4),
                                description, lastHeartbeat, r.getObject(7, OffsetDateTime.class).toInstant(), reported,
                                availability));
                    }
                }
            }
            return out;
        });
    }

    /** The memory_bytes column at {@code at}, null when the host did not report it. */
    private static Long memory(ResultSet r, int at) throws SQLException {
        long memory = r.getLong(at);
        return r.wasNull() ? null : memory;
    }

    /**
     * The policy in the row's columns (max_cpu_share at {@code at}, then storage, bandwidth, the three accepts_,
     * the reserve, the allowed hours and the reserve outside them), or null when none was reported.
     */
    private static HostPolicy policy(ResultSet r, int at) throws SQLException {
        double maxCpuShare = r.getDouble(at);
        if (r.wasNull()) {
            return null;
        }
        java.util.Set<String> categories = new java.util.TreeSet<>();
        String[] names = { "compute", "storage", "streaming" };
        for (int i = 0; i < names.length; i++) {
            if (r.getBoolean(at + 3 + i)) {
                categories.add(names[i]);
            }
        }
        String hours = r.getString(at + 7);
        List<String> allowedHours = hours == null ? null : hours.isEmpty() ? List.of() : List.of(hours.split(","));
        return new HostPolicy(maxCpuShare, r.getLong(at + 1), r.getLong(at + 2), categories, r.getLong(at + 6),
                allowedHours, r.getLong(at + 8));
    }

    /** The certificate's single CN, or null when it has none or several. */
    static String commonNameOf(X509Certificate certificate) {
        // the usual subject (O=ISOS, OU=host, CN=<id>) from the JDK's name string, which the certificate keeps for
        // the life of the TLS session: parsing the DER with Bouncy Castle on every heartbeat was 6 % of its CPU.
        // Only plain values are taken here (nothing any name syntax escapes); the rest goes the long way.
        String name = certificate.getSubjectX500Principal().getName(javax.security.auth.x500.X500Principal.RFC2253);
        String plain = null;
        int rdns = 0;
        // with no escape or quote anywhere, every comma separates names
        for (String rdn : name.indexOf('\\') >= 0 || name.indexOf('"') >= 0 ? new String[0] : name.split(",", -1)) {
            if (rdn.startsWith("CN=")) {
                rdns++;
                plain = rdn.substring(3);
            }
        }
        if (rdns == 1 && plainId(plain)) {
            return plain;
        }
        RDN[] names = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()).getRDNs(BCStyle.CN);
        if (names.length != 1 || names[0].isMultiValued()) {
            return null;
        }
        return IETFUtils.valueToString(names[0].getFirst().getValue());
    }

    /** 1 to 100 of [A-Za-z0-9._-]: what ids are made of; no name syntax quotes or escapes any of it. */
    private static boolean plainId(String value) {
        if (value.isEmpty() || value.length() > 100) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if (!(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '_'
                    || ch == '-')) {
                return false;
            }
        }
        return true;
    }

    private static boolean exists(Connection c, String hostId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM hosts WHERE id = ?")) {
            s.setString(1, hostId);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    /** The request's SubjectPublicKeyInfo (DER); the CA checks the rest (signature, key, CN). */
    static byte[] publicKeyOf(byte[] csr) throws HostRefused {
        if (csr == null || csr.length == 0) {
            throw new HostRefused(Reason.BAD_REQUEST, "csr is empty: expected a PKCS#10 certificate request (PEM)");
        }
        if (csr.length > MAX_CSR_BYTES) {
            throw new HostRefused(Reason.BAD_REQUEST, "csr is larger than " + MAX_CSR_BYTES + " bytes");
        }
        String text = new String(csr, StandardCharsets.US_ASCII);
        boolean isPem = text.contains("-----BEGIN");
        try {
            PKCS10CertificationRequest request;
            if (isPem) {
                Object parsed;
                try (PEMParser parser = new PEMParser(new StringReader(text))) {
                    parsed = parser.readObject();
                }
                if (!(parsed instanceof PKCS10CertificationRequest r)) {
                    throw new HostRefused(Reason.BAD_REQUEST, "csr is not a PKCS#10 certificate request: its PEM block is "
                            + (parsed == null ? "unreadable" : "something else (" + parsed.getClass().getSimpleName()
                                    .replace("Holder", "") + ")"));
                }
                request = r;
            } else {
                request = new PKCS10CertificationRequest(csr);
            }
            return request.getSubjectPublicKeyInfo().getEncoded();
        } catch (IOException | RuntimeException e) {
            throw new HostRefused(Reason.BAD_REQUEST, isPem
                    ? "csr is not a readable PKCS#10 certificate request: its PEM block does not decode to one"
                    : "csr is not a readable PKCS#10 certificate request: expected PEM "
                            + "(-----BEGIN CERTIFICATE REQUEST-----) or DER");
        }
    }

    /** Carries a refusal out of the transaction's work (which may throw only SQLException). */
    private static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refusal(Exception cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }
}
