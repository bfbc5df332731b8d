package org.isos.server.hosts;

import java.time.Instant;

import org.isos.server.ca.IssuedCertificate;

/** A host just enrolled: its id, owner and certificate (with chain up to the root). */
public record EnrolledHost(String hostId, String ownerId, String status, IssuedCertificate certificate,
        Instant created) {
}
