package org.isos.kernel.wire;

import java.util.Objects;

import org.isos.kernel.api.Lease;

/**
 * A lease as the server grants it to one host: the terms, the host it is for, and the digest of the
 * exact bundle the buyer deployed. The kernel installs nothing whose bytes do not hash to
 * {@link #bundleSha256()}.
 */
public record LeaseGrant(Lease lease, String hostId, String bundleSha256) {

    public LeaseGrant {
        Objects.requireNonNull(lease, "lease");
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(bundleSha256, "bundleSha256");
        if (!bundleSha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("lease " + lease.id()
                    + ": bundleSha256 must be 64 lowercase hex digits, was '" + bundleSha256 + "'");
        }
    }
}
