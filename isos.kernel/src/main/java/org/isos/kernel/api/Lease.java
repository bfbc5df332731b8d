package org.isos.kernel.api;

import java.time.Instant;
import java.util.Objects;

/**
 * The terms under which an application runs on this host, as granted by the ISOS server.
 *
 * @param id                      the lease id, unique in the ISOS
 * @param buyer                   the buyer (tenant) who holds the lease; its code-signing certificate signs the bundle
 * @param app                     the application's name (the bundle symbolic name)
 * @param expiry                  when the lease ends unless renewed
 * @param cpuShare                granted share of the host's ISOS CPU, in (0, 1]
 * @param memoryBytes             granted memory
 * @param storageQuotaBytes       size limit of the app's private store on this host
 * @param bandwidthBytesPerSecond cap on the app's traffic in each direction
 */
public record Lease(String id, String buyer, String app, Instant expiry, double cpuShare, long memoryBytes,
        long storageQuotaBytes, long bandwidthBytesPerSecond) {

    public Lease {
        Objects.requireNonNull(id, "lease id");
        Objects.requireNonNull(buyer, "lease buyer");
        Objects.requireNonNull(app, "lease app");
        Objects.requireNonNull(expiry, "lease expiry");
        if (id.isBlank()) {
            throw new IllegalArgumentException("lease id must not be blank");
        }
        if (!(cpuShare > 0 && cpuShare <= 1)) {
            throw new IllegalArgumentException("lease " + id + ": cpuShare must be in (0, 1], was " + cpuShare);
        }
        if (memoryBytes < 0 || storageQuotaBytes < 0 || bandwidthBytesPerSecond <= 0) {
            throw new IllegalArgumentException("lease " + id
                    + ": memory and storage must be >= 0 and bandwidth > 0 bytes/s");
        }
    }

    /** The same terms with a later expiry: what a renewal grants. */
    public Lease renewedUntil(Instant newExpiry) {
        return new Lease(id, buyer, app, newExpiry, cpuShare, memoryBytes, storageQuotaBytes, bandwidthBytesPerSecond);
    }

    public boolean expiredAt(Instant now) {
        return !now.isBefore(expiry);
    }
}
