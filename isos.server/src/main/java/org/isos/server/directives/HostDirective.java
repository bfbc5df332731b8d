package org.isos.server.directives;

import java.time.Instant;

import org.isos.server.hosts.HostPolicy;

/**
 * What the owner directs one host to do.
 *
 * @param revision 0 for a host whose owner never gave a directive, then 1, 2, ... with every change
 * @param policy the usage policy the agent is to run under, or null (the agent keeps its own)
 * @param paused whether ISOS work on the host is to stop until the owner resumes it
 * @param updated when the owner last changed it, null for revision 0
 */
public record HostDirective(String hostId, long revision, HostPolicy policy, boolean paused, Instant updated) {

    /** The directive of a host whose owner never gave one. */
    public static HostDirective none(String hostId) {
        return new HostDirective(hostId, 0, null, false, null);
    }
}
