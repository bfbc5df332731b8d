package org.isos.server.leases;

import java.util.List;

/**
 * What a buyer asks for: {@code hosts} leases of {@code bundle}, one per host, each for {@code seconds} with
 * these resources.
 *
 * @param maxPricePerHourMicros the most the buyer pays per lease-hour, or null for any price
 * @param category {@code compute}, {@code storage} or {@code streaming}, or null for any host
 * @param excludeHosts hosts not to use (e.g. the ones already holding a copy)
 * @param minAvailability the least {@link org.isos.server.hosts.Availability availability} a host must have, 0 to
 *        1, or null for any (since 1.3)
 * @param window a daily span of UTC time, {@code HH:MM-HH:MM} ({@link org.isos.server.hosts.DailyHours}), in which
 *        the app must be able to run every day: hosts whose owner's allowed hours cover it qualify, and hosts
 *        whose owner takes work outside them for a reserve, at that reserve; null: no window (since 1.3)
 */
public record LeaseRequest(String bundle, int hosts, long seconds, double cpuShare, long memoryBytes,
        long storageBytes, long bandwidthBytesPerSecond, Long maxPricePerHourMicros, String category,
        List<String> excludeHosts, Double minAvailability, String window) {

    public LeaseRequest {
        excludeHosts = excludeHosts == null ? List.of() : List.copyOf(excludeHosts);
    }

    /** A request without availability or window (as in version 1.2 of this package). */
    public LeaseRequest(String bundle, int hosts, long seconds, double cpuShare, long memoryBytes, long storageBytes,
            long bandwidthBytesPerSecond, Long maxPricePerHourMicros, String category, List<String> excludeHosts) {
        this(bundle, hosts, seconds, cpuShare, memoryBytes, storageBytes, bandwidthBytesPerSecond, maxPricePerHourMicros,
                category, excludeHosts, null, null);
    }
}
