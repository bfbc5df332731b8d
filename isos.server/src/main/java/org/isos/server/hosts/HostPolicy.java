package org.isos.server.hosts;

import java.util.Set;

/**
 * What a host's owner lets the server place on it, as the agent reports it with a heartbeat
 * ({@code status.policy}): the most CPU share, storage and bandwidth all its leases together may reserve,
 * the lease categories it accepts and the least it takes per hour for a lease (its reserve).
 *
 * @param maxCpuShare cores' worth of CPU, {@code > 0}
 * @param acceptedCategories a subset of {@link #CATEGORIES}
 * @since 1.3
 */
public record HostPolicy(double maxCpuShare, long storageQuotaBytes, long bandwidthCapBytesPerSecond,
        Set<String> acceptedCategories, long minimumPricePerHourMicros) {

    /** The lease categories there are. */
    public static final Set<String> CATEGORIES = Set.of("compute", "storage", "streaming");

    /** Most cores a policy may offer (a sanity bound, not a hardware claim). */
    public static final double MAX_CPU_SHARE = 1024;

    public HostPolicy {
        if (!(maxCpuShare > 0 && maxCpuShare <= MAX_CPU_SHARE)) {
            throw new IllegalArgumentException("maxCpuShare must be > 0 and <= " + (int) MAX_CPU_SHARE + ", not " + maxCpuShare);
        }
        if (storageQuotaBytes < 0 || bandwidthCapBytesPerSecond < 0 || minimumPricePerHourMicros < 0) {
            throw new IllegalArgumentException("storageQuotaBytes, bandwidthCapBytesPerSecond and "
                    + "minimumPricePerHourMicros must be >= 0");
        }
        acceptedCategories = Set.copyOf(acceptedCategories);
        for (String category : acceptedCategories) {
            if (!CATEGORIES.contains(category)) {
                throw new IllegalArgumentException("unknown category " + category + " (known: compute, storage, streaming)");
            }
        }
    }
}
