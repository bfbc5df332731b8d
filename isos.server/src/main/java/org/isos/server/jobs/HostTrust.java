package org.isos.server.jobs;

/**
 * A host's record with one app.
 *
 * @param streak    consecutive valid results (adaptive replication reads it; any invalid result resets it)
 * @param quota     replicas the host may hold at once; halved per invalid result
 * @param banned    caught too often: no more work of this app
 * @param credit    credit granted for validated results
 * @param forfeited credit lost for unvalidated work when caught cheating
 */
public record HostTrust(String hostId, String appSha256, int streak, int validTotal, int invalidTotal, int timedOut,
        int quota, boolean banned, long credit, long forfeited) {
}
