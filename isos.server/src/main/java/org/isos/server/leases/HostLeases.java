package org.isos.server.leases;

import java.util.List;

import org.isos.server.hosts.Heartbeat;

/**
 * A heartbeat's answer about leases.
 *
 * @param running every lease the host should run now (PENDING or ACTIVE, not expired)
 * @param ended leases of the host that the server ended in the last hour; the host ends any it still runs
 */
public record HostLeases(Heartbeat heartbeat, List<Lease> running, List<Lease> ended) {

    public HostLeases {
        running = List.copyOf(running);
        ended = List.copyOf(ended);
    }
}
