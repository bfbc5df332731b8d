package org.isos.server.ca;

import java.time.Instant;

/** A revoked certificate, as agents receive it with their heartbeats. */
public record Revocation(String serial, String commonName, CertificateKind kind, Instant revokedAt, String reason) {
}
