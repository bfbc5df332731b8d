package org.isos.server.hosts;

import java.util.List;
import java.util.Set;

/**
 * What a host's owner lets the server place on it, as the agent reports it with a heartbeat
 * ({@code status.policy}): the most CPU share, storage and bandwidth all its leases together may reserve,
 * the lease categories it accepts and the least it takes per hour for a lease (its reserve).
 *
 * @param maxCpuShare cores' worth of CPU, {@code > 0}
 * @param acceptedCategories a subset of {@link #CATEGORIES}
 * @param minimumPricePerHourMicros the reserve in force now (the agent's, at the time of the heartbeat)
 * @param allowedHours the owner's allowed hours in UTC ({@link DailyHours} spans; empty: any time), or null when
 *        the host does not report them (it then never matches a request that names a time window; since 1.4)
 * @param minimumPriceOutsideHoursMicros the owner's reserve for work outside the allowed hours (the hours it
 *        protects); 0: no work there at all (since 1.4)
 * @since 1.3
 */
public record HostPolicy(double maxCpuShare, long storageQuotaBytes, long bandwidthCapBytesPerSecond,
        Set<String> acceptedCategories, long minimumPricePerHourMicros, List<String> allowedHours,
        long minimumPriceOutsideHoursMicros) {

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
        if (minimumPriceOutsideHoursMicros < 0) {
            throw new IllegalArgumentException("minimumPriceOutsideHoursMicros must be >= 0");
        }
        allowedHours = allowedHours == null ? null : DailyHours.checked(allowedHours);
        acceptedCategories = Set.copyOf(acceptedCategories);
        for (String category : acceptedCategories) {
            if (!CATEGORIES.contains(category)) {
                throw new IllegalArgumentException("unknown category " + category + " (known: compute, storage, streaming)");
            }
        }
    }

    /** A policy without hours (as in version 1.3 of this package): the host never matches a time window. */
    public HostPolicy(double maxCpuShare, long storageQuotaBytes, long bandwidthCapBytesPerSecond,
            Set<String> acceptedCategories, long minimumPricePerHourMicros) {
        this(maxCpuShare, storageQuotaBytes, bandwidthCapBytesPerSecond, acceptedCategories, minimumPricePerHourMicros,
                null, 0);
    }
}
