package org.isos.server.leases;

import java.util.List;

/**
 * What a buyer asks for: {@code hosts} leases of {@code bundle}, one per host, each for {@code seconds} with
 * these resources.
 *
 * @param maxPricePerHourMicros the most the buyer pays per lease-hour, or null for any price
 * @param category {@code compute}, {@code storage} or {@code streaming}, or null for any host
 * @param excludeHosts hosts not to use (e.g. the ones already holding a copy)
 */
public record LeaseRequest(String bundle, int hosts, long seconds, double cpuShare, long memoryBytes,
        long storageBytes, long bandwidthBytesPerSecond, Long maxPricePerHourMicros, String category,
        List<String> excludeHosts) {

    public LeaseRequest {
        excludeHosts = excludeHosts == null ? List.of() : List.copyOf(excludeHosts);
    }
}
