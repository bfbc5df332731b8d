package org.isos.server.hosts;

import java.time.Instant;

/**
 * A host as its owner sees it.
 *
 * @param status {@code ENROLLING}, {@code ONLINE}, {@code OFFLINE}, {@code SUSPENDED} or {@code RETIRED};
 *        a host whose last heartbeat is older than three heartbeat periods is {@code OFFLINE} even before
 *        the liveness sweep has marked its row so
 * @param description the last description (JSON object text), or null
 * @param lastHeartbeat null before the first heartbeat
 * @param reported the status reported with the last heartbeat, or null before the first one
 * @param availability the share of time the host was ONLINE and not suspended, weighted exponentially over about
 *        a day ({@link Availability}), 0 to 1 (since 1.4)
 */
public record HostStatus(String hostId, String ownerId, String status, String certificateSerial, String description,
        Instant lastHeartbeat, Instant created, ReportedStatus reported, double availability) {

    /** A host without availability (as in version 1.3 of this package). */
    public HostStatus(String hostId, String ownerId, String status, String certificateSerial, String description,
            Instant lastHeartbeat, Instant created, ReportedStatus reported) {
        this(hostId, ownerId, status, certificateSerial, description, lastHeartbeat, created, reported, 0);
    }

    /** A host without a reported status (as in version 1.1 of this package). */
    public HostStatus(String hostId, String ownerId, String status, String certificateSerial, String description,
            Instant lastHeartbeat, Instant created) {
        this(hostId, ownerId, status, certificateSerial, description, lastHeartbeat, created, null, 0);
    }
}
