package org.isos.server.leases;

import java.util.List;

import org.isos.server.hosts.Heartbeat;

/**
 * A heartbeat's answer about leases.
 *
 * @param running every lease the host should run now (PENDING or ACTIVE, not expired)
 * @param ended leases of the host that the server ended in the last hour; the host ends any it still runs
 * @param peers running leases on other hosts of the same buyer's app as one this host runs, with their kernels'
 *              transport addresses: the hosts this host's apps may talk to (since 1.2)
 */
public record HostLeases(Heartbeat heartbeat, List<Lease> running, List<Lease> ended, List<Lease> peers) {

    public HostLeases {
        running = List.copyOf(running);
        ended = List.copyOf(ended);
        peers = List.copyOf(peers);
    }

    public HostLeases(Heartbeat heartbeat, List<Lease> running, List<Lease> ended) {
        this(heartbeat, running, ended, List.of());
    }
}
