package org.isos.server.leases;

import java.security.cert.X509Certificate;
import java.sql.SQLException;
import java.util.List;

import org.isos.server.accounts.Account;
import org.isos.server.hosts.HostRefused;
import org.isos.server.hosts.ReportedStatus;
import org.osgi.annotation.versioning.ProviderType;

/** Leases of hosts for buyers' bundles, and what hosts report about them. */
@ProviderType
public interface Leases {

    /** The longest a lease is granted for at once: 30 days. */
    long MAX_SECONDS = 30L * 24 * 3600;

    /**
     * Grants {@code request.hosts()} leases of the buyer's bundle on as many qualifying hosts, each with its
     * escrow held from the buyer's balance, all in one store transaction (all or none).
     *
     * @throws LeaseRefused BAD_REQUEST (a field), FORBIDDEN (not a buyer), NOT_FOUND (no such bundle of this
     *         buyer), NOT_ENOUGH_HOSTS, INSUFFICIENT_FUNDS
     */
    List<Lease> grant(Account buyer, LeaseRequest request) throws LeaseRefused, SQLException;

    /** A buyer's leases, or an owner's (leases on its hosts), newest first; {@code state} filters when not null. */
    List<Lease> leasesOf(Account account, String state) throws LeaseRefused, SQLException;

    /** One lease, for its buyer or the owner of its host. */
    Lease lease(Account account, String leaseId) throws LeaseRefused, SQLException;

    /** Its buyer extends it: new expiry = now + {@code seconds} (at most {@link #MAX_SECONDS}); more escrow is held. */
    Lease renew(Account buyer, String leaseId, long seconds) throws LeaseRefused, SQLException;

    /**
     * Its buyer asks the lease's host to run another bundle in place of the current one (hot-swap): one of the
     * buyer's bundles with the lease's app (Bundle-SymbolicName). The lease's {@code bundle} becomes the new one
     * at once; its host updates at its next heartbeat and reports the bundle it runs ({@code runningBundle}) or
     * why it refused ({@code updateReason}, the old version running on). Asking for the bundle it wants already
     * changes nothing.
     *
     * @throws LeaseRefused BAD_REQUEST (not a SHA-256, another app), NOT_FOUND (no such lease or bundle of this
     *         buyer), ENDED (the lease is no longer running)
     */
    Lease updateBundle(Account buyer, String leaseId, String sha256) throws LeaseRefused, SQLException;

    /** Its buyer ends it: RELEASED, the escrow's rest returned; the host ends it at its next heartbeat. */
    Lease release(Account buyer, String leaseId) throws LeaseRefused, SQLException;

    /**
     * A heartbeat ({@code Hosts.heartbeat}, same checks) with the host's reports about its leases, applied in the
     * same transaction; answers the leases the host should run and the ones it should end.
     */
    HostLeases heartbeat(String hostId, X509Certificate certificate, String description, ReportedStatus status,
            List<LeaseReport> reports) throws HostRefused, SQLException;

    /**
     * Usage records from a host (its client certificate checked as for heartbeats): each verified, priced and
     * paid once ({@code usage:<leaseId>:<sequence>}) in its own transaction with the stored record.
     */
    UsageOutcome usage(String hostId, X509Certificate certificate, List<UsageReport> records)
            throws HostRefused, SQLException;

    /**
     * Whether the host holds a PENDING or ACTIVE lease of the bundle, now or before an update of the lease's bundle
     * (it may fetch the jar; a job of that bundle may use the host).
     */
    boolean holdsBundle(String hostId, String sha256) throws SQLException;
}
