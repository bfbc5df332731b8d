package org.isos.server.titles;

import java.time.Instant;

/**
 * What a view ticket says: the server sold {@code viewer} the view {@code viewId} of {@code title} (whose manifest, as
 * sold, has the SHA-256 {@code manifestSha256}), and the hosts serving the title may stream it fragments from
 * {@code issued} until {@code expires}.
 */
public record ViewTicket(String title, String viewer, String viewId, String manifestSha256, Instant issued,
        Instant expires) {

    /** Whether a host should still serve on it at {@code now}. */
    public boolean expiredAt(Instant now) {
        return !now.isBefore(expires);
    }
}
