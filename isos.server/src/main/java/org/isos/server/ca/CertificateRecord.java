package org.isos.server.ca;

import java.time.Instant;

/** What the store remembers of an issued certificate. {@code revokedAt} and {@code revocationReason} may be null. */
public record CertificateRecord(String serial, String subject, String commonName, CertificateKind kind,
        Instant issued, Instant expires, Instant revokedAt, String revocationReason) {

    public boolean revoked() {
        return revokedAt != null;
    }
}
