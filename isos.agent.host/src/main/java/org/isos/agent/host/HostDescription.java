package org.isos.agent.host;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What this host is and how dependable it has been: what the server matches leases against and
 * prices by. Sizes are bytes, frequencies hertz, speeds bits per second; 0 means unknown.
 *
 * @param diskTotalBytes size of the file store holding the agent's data directory, where app stores live
 * @param diskFreeBytes  what is still usable on that file store
 */
public record HostDescription(String operatingSystem, String cpuModel, int physicalCores, int logicalCores,
        long maxFrequencyHz, long memoryBytes, long diskTotalBytes, long diskFreeBytes, List<NetworkLink> network,
        Uptime uptime, Instant surveyedAt) {

    public HostDescription {
        network = List.copyOf(network);
    }

    /** A network interface that is up, with its addresses. */
    public record NetworkLink(String name, List<String> addresses, long speedBitsPerSecond) {
        public NetworkLink {
            addresses = List.copyOf(addresses);
        }
    }

    /**
     * How much of the time since {@code since} the agent was running. Downtime is only ever inferred:
     * a period with no "still up" mark counts as down, so a crash costs at most one marking interval.
     */
    public record Uptime(Instant since, Duration observed, Duration up) {

        /** Share of the observed time the agent was up, in [0, 1]; 1 before anything was observed. */
        public double fraction() {
            return observed.isZero() ? 1.0 : Math.min(1.0, (double) up.toMillis() / observed.toMillis());
        }
    }
}
