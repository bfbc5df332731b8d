package org.isos.kernel.api;

/**
 * Consumption of one lease on one host.
 *
 * @param cpuNanos          CPU time of kernel workers spent on the lease's tasks
 * @param storageByteSeconds integral of store size over time
 * @param bytesIn           bytes received by the app
 * @param bytesOut          bytes sent by the app
 */
public record Usage(long cpuNanos, double storageByteSeconds, long bytesIn, long bytesOut) {

    public static final Usage NONE = new Usage(0, 0, 0, 0);

    public Usage plus(Usage other) {
        return new Usage(cpuNanos + other.cpuNanos, storageByteSeconds + other.storageByteSeconds,
                bytesIn + other.bytesIn, bytesOut + other.bytesOut);
    }

    public Usage minus(Usage other) {
        return new Usage(cpuNanos - other.cpuNanos, storageByteSeconds - other.storageByteSeconds,
                bytesIn - other.bytesIn, bytesOut - other.bytesOut);
    }

    public double cpuSeconds() {
        return cpuNanos / 1e9;
    }
}
