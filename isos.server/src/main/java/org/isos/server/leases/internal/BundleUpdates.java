package org.isos.server.leases.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Objects;

import org.isos.server.leases.Lease;
import org.isos.server.leases.LeaseReport;

/**
 * The store's side of hot-swapping a running lease's bundle: the buyer's request (the lease's {@code bundle_sha256}
 * becomes the wanted one, every bundle ever wanted is kept in {@code lease_bundles}) and the host's reports of what
 * it runs ({@code running_bundle_sha256}) and of an update it refused ({@code update_reason}). Called inside the
 * transactions of {@link JdbcLeases}, with the lease row locked.
 */
final class BundleUpdates {

    static final int MAX_REASON_CHARS = 1000;

    private BundleUpdates() {
    }

    /** The lease is to run {@code sha256} from now on; its earlier bundle stays among those it may fetch. */
    static void request(Connection c, Lease lease, String sha256, Instant now) throws SQLException {
        remember(c, lease.id(), lease.bundle(), lease.created());
        remember(c, lease.id(), sha256, now);
        try (PreparedStatement u = c.prepareStatement("UPDATE leases SET bundle_sha256 = ?, update_reason = NULL, "
                + "bundle_requested = ? WHERE id = ?")) {
            u.setString(1, sha256);
            u.setObject(2, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
            u.setString(3, lease.id());
            u.executeUpdate();
        }
    }

    private static void remember(Connection c, String leaseId, String sha256, Instant at) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO lease_bundles (lease_id, sha256, requested) "
                + "SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM lease_bundles WHERE lease_id = ? AND sha256 = ?)")) {
            s.setString(1, leaseId);
            s.setString(2, sha256);
            s.setObject(3, OffsetDateTime.ofInstant(at, ZoneOffset.UTC));
            s.setString(4, leaseId);
            s.setString(5, sha256);
            s.executeUpdate();
        }
    }

    /**
     * A host's report of the bundle it runs under an ACTIVE lease. A refusal counts only when it is about the
     * bundle wanted now (a report may still speak of an update the buyer has replaced since); once the host runs
     * the wanted bundle there is no refusal to show. Writes only what changed: most heartbeats change nothing.
     */
    static void recordRunning(Connection c, Lease lease, LeaseReport report) throws SQLException {
        String running = report.bundleSha256();
        String reason;
        if (running.equals(lease.bundle())) {
            reason = null;
        } else if (lease.bundle().equals(report.refusedBundleSha256())) {
            String given = report.updateRefused();
            reason = given == null || given.isBlank() ? "refused by the host" : cut(given);
        } else {
            reason = lease.updateReason();
        }
        if (running.equals(lease.runningBundle()) && Objects.equals(reason, lease.updateReason())) {
            return;
        }
        try (PreparedStatement u = c.prepareStatement(
                "UPDATE leases SET running_bundle_sha256 = ?, update_reason = ? WHERE id = ?")) {
            u.setString(1, running);
            u.setString(2, reason);
            u.setString(3, lease.id());
            u.executeUpdate();
        }
    }

    private static String cut(String value) {
        return value.length() > MAX_REASON_CHARS ? value.substring(0, MAX_REASON_CHARS) : value;
    }
}
