package org.isos.server.hosts;

import java.time.Instant;
import java.util.List;

import org.isos.server.ca.Revocation;

/**
 * A heartbeat accepted.
 *
 * @param serverTime when the server recorded it (the host row's {@code last_heartbeat})
 * @param previous the host's heartbeat before this one, or null for its first
 * @param revoked certificates revoked since shortly before {@code previous} (all unexpired revocations
 *        for a first heartbeat); a host may see one twice, serials identify
 */
public record Heartbeat(String hostId, Instant serverTime, Instant previous, List<Revocation> revoked) {

    public Heartbeat {
        revoked = List.copyOf(revoked);
    }
}
