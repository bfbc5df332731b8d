package org.isos.server.leases;

import java.time.Instant;

/**
 * A usage record as a host sends it: what one lease consumed over {@code from}–{@code to}, signed by the
 * host's key (SHA256withECDSA over {@link #signedText()}, base64).
 */
public record UsageReport(String leaseId, String hostId, long sequence, Instant from, Instant to, long cpuNanos,
        double storageByteSeconds, long bytesIn, long bytesOut, boolean last, String signature) {

    /**
     * The text the host signed. It must equal the kernel's {@code org.isos.kernel.wire.UsageRecord.signedText()}
     * for the same record (the server does not import the kernel bundle; a test compares the two).
     */
    public String signedText() {
        return String.join("|", "isos-usage-v1", leaseId, hostId, Long.toString(sequence), from.toString(),
                to.toString(), Long.toString(cpuNanos), Double.toString(storageByteSeconds), Long.toString(bytesIn),
                Long.toString(bytesOut), Boolean.toString(last));
    }
}
