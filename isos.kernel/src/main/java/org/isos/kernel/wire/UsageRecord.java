package org.isos.kernel.wire;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;

import org.isos.kernel.api.Usage;

/**
 * What one lease consumed on one host over one period, signed by the host key. Records of a lease
 * are numbered from 1 without gaps, so the server can pay each exactly once and notice a missing one.
 *
 * @param signature the host's signature (SHA256withECDSA) over {@link #signedText()}, base64
 */
public record UsageRecord(String leaseId, String hostId, long sequence, Instant from, Instant to, Usage usage,
        boolean last, String signature) {

    public UsageRecord {
        Objects.requireNonNull(leaseId, "leaseId");
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(usage, "usage");
        if (sequence < 1) {
            throw new IllegalArgumentException("usage record sequence starts at 1, was " + sequence);
        }
        if (to.isBefore(from)) {
            throw new IllegalArgumentException("usage record ends before it starts: " + from + " > " + to);
        }
    }

    /** The canonical text the signature covers: every field, in a fixed order. */
    public String signedText() {
        return String.join("|", "isos-usage-v1", leaseId, hostId, Long.toString(sequence), from.toString(),
                to.toString(), Long.toString(usage.cpuNanos()), Double.toString(usage.storageByteSeconds()),
                Long.toString(usage.bytesIn()), Long.toString(usage.bytesOut()), Boolean.toString(last));
    }

    public byte[] signedBytes() {
        return signedText().getBytes(StandardCharsets.UTF_8);
    }

    public UsageRecord withSignature(byte[] signatureBytes) {
        return new UsageRecord(leaseId, hostId, sequence, from, to, usage, last,
                Base64.getEncoder().encodeToString(signatureBytes));
    }
}
