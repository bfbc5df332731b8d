package org.isos.server.jobs;

import java.time.Instant;

/**
 * A job's state: counts of its units (spot checks apart) and of its spot checks.
 *
 * @param state            {@code RUNNING} or {@code DONE} (every unit VALIDATED or ERROR)
 * @param replicasIssued   replicas issued in all (the work hosts were given, for the overhead of verification)
 * @param spotChecksPassed spot checks answered right; {@code spotChecksFailed} wrong
 */
public record Job(String id, String buyerId, String appSha256, String appKind, int minQuorum, int maxReplicas,
        int deadlineSeconds, String state, int units, int ready, int inProgress, int validated, int errors,
        long replicasIssued, int spotChecks, int spotChecksPassed, int spotChecksFailed, Instant created,
        Instant finished) {

    public boolean done() {
        return "DONE".equals(state);
    }
}
