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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
    private PeriodicSweep sweeper;

    /** The component: liveness from the HTTP API's {@code heartbeatSeconds}; sweeps every period. */
    @Activate
    public JdbcHosts(LivenessConfig config, @Reference Store store, @Reference CertificateAuthority ca) {
        this(store, ca, Duration.ofSeconds(checked(config.heartbeatSeconds())), Clock.systemUTC());
        startSweeping(heartbeatPeriod);
    }

    /** Without a sweeper (liveness is still computed on read), a 30 s heartbeat period and the system clock. */
    public JdbcHosts(Store store, CertificateAuthority ca) {
        this(store, ca, Duration.ofSeconds(30), Clock.systemUTC());
    }

    /** Without a sweeper; tests give their own clock. */
    JdbcHosts(Store store, CertificateAuthority ca, Duration heartbeatPeriod, Clock clock) {
        this.store = store;
        this.ca = ca;
        this.heartbeatPeriod = heartbeatPeriod;
        this.clock = clock;
    }

    private static int checked(int heartbeatSeconds) {
        if (heartbeatSeconds < 1) {
            throw new IllegalArgumentException("heartbeatSeconds must be >= 1, not " + heartbeatSeconds);
        }
        return heartbeatSeconds;
    }

    /** Runs {@link #sweep()} every {@code every} on a thread of its own, until {@link #close()}. */
    synchronized void startSweeping(Duration every) {
        if (sweeper != null) {
            throw new IllegalStateException("already sweeping");
        }
        sweeper = new PeriodicSweep("isos-hosts-liveness", every, this::sweepQuietly);
    }

    @Override
    @Deactivate
    public synchronized void close() {
        if (sweeper != null) {
            sweeper.close();
            sweeper = null;
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
        Instant before = offlineBefore();
        return store.transaction(c -> {
            try (PreparedStatement u = c.prepareStatement(
                    "UPDATE hosts SET status = 'OFFLINE' WHERE status = 'ONLINE' AND last_heartbeat < ?")) {
                u.setObject(1, OffsetDateTime.ofInstant(before, ZoneOffset.UTC));
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
        try {
            return store.transaction(c -> {
                Instant previous = checkCertificate(c, hostId, serial, true);
                try (PreparedStatement u = c.prepareStatement(status == null
                        ? "UPDATE hosts SET status = 'ONLINE', last_heartbeat = ?, description = COALESCE(?, description) "
                                + "WHERE id = ?"
                        : "UPDATE hosts SET status = 'ONLINE', last_heartbeat = ?, description = COALESCE(?, description), "
                                + "suspended = ?, suspended_reason = ?, apps = ?, transport_address = ?, max_cpu_share = ?, "
                                + "storage_quota_bytes = ?, bandwidth_cap_bytes_per_second = ?, accepts_compute = ?, "
                                + "accepts_storage = ?, accepts_streaming = ?, minimum_price_per_hour_micros = ? WHERE id = ?")) {
                    u.setObject(1, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
                    u.setString(2, description);
                    if (status == null) {
                        u.setString(3, hostId);
                    } else {
                        u.setBoolean(3, status.suspended());
                        u.setString(4, status.reason());
                        u.setInt(5, status.apps());
                        u.setString(6, status.transport());
                        HostPolicy policy = status.policy();
                        // no policy reported (an older agent): all null, so matching never picks the host
                        u.setObject(7, policy == null ? null : policy.maxCpuShare(), Types.DOUBLE);
                        u.setObject(8, policy == null ? null : policy.storageQuotaBytes(), Types.BIGINT);
                        u.setObject(9, policy == null ? null : policy.bandwidthCapBytesPerSecond(), Types.BIGINT);
                        u.setObject(10, policy == null ? null : policy.acceptedCategories().contains("compute"), Types.BOOLEAN);
                        u.setObject(11, policy == null ? null : policy.acceptedCategories().contains("storage"), Types.BOOLEAN);
                        u.setObject(12, policy == null ? null : policy.acceptedCategories().contains("streaming"), Types.BOOLEAN);
                        u.setObject(13, policy == null ? null : policy.minimumPricePerHourMicros(), Types.BIGINT);
                        u.setString(14, hostId);
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
        return previous;
    }

    @Override
    public List<HostStatus> hostsOf(Account owner) throws SQLException {
        Instant offlineBefore = offlineBefore();
        return store.transaction(c -> {
            List<HostStatus> out = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT id, owner_id, status, certificate_serial, description, "
                    + "last_heartbeat, created, suspended, suspended_reason, apps, transport_address, max_cpu_share, "
                    + "storage_quota_bytes, bandwidth_cap_bytes_per_second, accepts_compute, accepts_storage, "
                    + "accepts_streaming, minimum_price_per_hour_micros FROM hosts WHERE owner_id = ? "
                    + "ORDER BY created, id")) {
                s.setString(1, owner.id());
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        OffsetDateTime last = r.getObject(6, OffsetDateTime.class);
                        Instant lastHeartbeat = last == null ? null : last.toInstant();
                        String status = r.getString(3);
                        if ("ONLINE".equals(status) && lastHeartbeat != null && lastHeartbeat.isBefore(offlineBefore)) {
                            status = "OFFLINE"; // the sweep has not marked it yet
                        }
                        boolean suspended = r.getBoolean(8);
                        ReportedStatus reported = r.wasNull() ? null
                                : new ReportedStatus(suspended, r.getString(9), r.getInt(10), r.getString(11), policy(r));
                        out.add(new HostStatus(r.getString(1), r.getString(2), status, r.getString(4),
                                r.getString(5), lastHeartbeat, r.getObject(7, OffsetDateTime.class).toInstant(), reported));
                    }
                }
            }
            return out;
        });
    }

    /** The policy in the row's columns (columns 12 to 19 of {@link #hostsOf}'s query), or null when none was reported. */
    private static HostPolicy policy(ResultSet r) throws SQLException {
        double maxCpuShare = r.getDouble(12);
        if (r.wasNull()) {
            return null;
        }
        java.util.Set<String> categories = new java.util.TreeSet<>();
        String[] names = { "compute", "storage", "streaming" };
        for (int i = 0; i < names.length; i++) {
            if (r.getBoolean(15 + i)) {
                categories.add(names[i]);
            }
        }
        return new HostPolicy(maxCpuShare, r.getLong(13), r.getLong(14), categories, r.getLong(18));
    }

    /** The certificate's single CN, or null when it has none or several. */
    static String commonNameOf(X509Certificate certificate) {
        RDN[] names = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()).getRDNs(BCStyle.CN);
        if (names.length != 1 || names[0].isMultiValued()) {
            return null;
        }
        return IETFUtils.valueToString(names[0].getFirst().getValue());
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
