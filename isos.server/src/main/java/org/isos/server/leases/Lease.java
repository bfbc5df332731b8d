package org.isos.server.leases;

import java.time.Instant;

/**
 * A lease: {@code bundle} (SHA-256) run by {@code hostId} for {@code buyer} until {@code expiry}.
 *
 * @param app the bundle's symbolic name
 * @param state {@code PENDING} (granted, not yet running), {@code ACTIVE}, {@code SUSPENDED} (buyer out of
 *        funds), {@code EXPIRED}, {@code RELEASED} or {@code FAILED}
 * @param reason why it ended when it did not simply expire or get released, else null
 * @param category {@code compute}, {@code storage}, {@code streaming}, or null when the buyer named none
 * @param ended when it left PENDING/ACTIVE, or null
 * @param transportAddress the host's kernel transport {@code host:port} (from its heartbeat), or null
 */
public record Lease(String id, String buyer, String hostId, String ownerId, String bundle, String app, String state,
        String reason, String category, double cpuShare, long memoryBytes, long storageBytes,
        long bandwidthBytesPerSecond, long pricePerHourMicros, Instant created, Instant expiry, Instant ended,
        String transportAddress) {

    /** The states in which a host runs the lease. */
    public boolean running() {
        return "PENDING".equals(state) || "ACTIVE".equals(state);
    }
}
