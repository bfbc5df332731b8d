package org.isos.server.leases;

/**
 * What a host says about one of its leases in a heartbeat.
 *
 * @param state {@code ACTIVE} (running), {@code FAILED} (the kernel refused it: {@code reason} says why) or
 *        {@code ENDED} (the host ended it, e.g. at its expiry)
 * @param bundleSha256 the bundle the host runs under it, or null (older agents say nothing)
 * @param refusedBundleSha256 the bundle update the host refused, or null
 * @param updateRefused why it refused that update (the kernel's message), or null
 */
public record LeaseReport(String leaseId, String state, String reason, String bundleSha256,
        String refusedBundleSha256, String updateRefused) {

    /** A report that says nothing about the bundle. */
    public LeaseReport(String leaseId, String state, String reason) {
        this(leaseId, state, reason, null, null, null);
    }

    public LeaseReport {
        if (!"ACTIVE".equals(state) && !"FAILED".equals(state) && !"ENDED".equals(state)) {
            throw new IllegalArgumentException("a lease report's state is ACTIVE, FAILED or ENDED, not " + state);
        }
    }
}
