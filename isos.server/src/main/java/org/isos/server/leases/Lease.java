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
 * @param runningBundle the bundle (SHA-256) the host last reported running, or null before it reported one; it
 *        differs from {@code bundle} (the one wanted) while an update is on its way or after the host refused it
 * @param updateReason why the host refused the latest bundle update (the old version runs on), or null
 */
public record Lease(String id, String buyer, String hostId, String ownerId, String bundle, String app, String state,
        String reason, String category, double cpuShare, long memoryBytes, long storageBytes,
        long bandwidthBytesPerSecond, long pricePerHourMicros, Instant created, Instant expiry, Instant ended,
        String transportAddress, String runningBundle, String updateReason) {

    /** A lease of which no host has reported a running bundle yet. */
    public Lease(String id, String buyer, String hostId, String ownerId, String bundle, String app, String state,
            String reason, String category, double cpuShare, long memoryBytes, long storageBytes,
            long bandwidthBytesPerSecond, long pricePerHourMicros, Instant created, Instant expiry, Instant ended,
            String transportAddress) {
        this(id, buyer, hostId, ownerId, bundle, app, state, reason, category, cpuShare, memoryBytes, storageBytes,
                bandwidthBytesPerSecond, pricePerHourMicros, created, expiry, ended, transportAddress, null, null);
    }

    /** The states in which a host runs the lease. */
    public boolean running() {
        return "PENDING".equals(state) || "ACTIVE".equals(state);
    }
}
