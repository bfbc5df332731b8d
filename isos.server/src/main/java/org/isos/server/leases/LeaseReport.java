package org.isos.server.leases;

/**
 * What a host says about one of its leases in a heartbeat.
 *
 * @param state {@code ACTIVE} (running), {@code FAILED} (the kernel refused it: {@code reason} says why) or
 *        {@code ENDED} (the host ended it, e.g. at its expiry)
 */
public record LeaseReport(String leaseId, String state, String reason) {

    public LeaseReport {
        if (!"ACTIVE".equals(state) && !"FAILED".equals(state) && !"ENDED".equals(state)) {
            throw new IllegalArgumentException("a lease report's state is ACTIVE, FAILED or ENDED, not " + state);
        }
    }
}
