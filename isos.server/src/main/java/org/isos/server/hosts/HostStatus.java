package org.isos.server.hosts;

import java.time.Instant;

/**
 * A host as its owner sees it.
 *
 * @param status {@code ENROLLING}, {@code ONLINE}, {@code OFFLINE}, {@code SUSPENDED} or {@code RETIRED}
 * @param description the last description (JSON object text), or null
 * @param lastHeartbeat null before the first heartbeat
 */
public record HostStatus(String hostId, String ownerId, String status, String certificateSerial, String description,
        Instant lastHeartbeat, Instant created) {
}
