package org.isos.server.jobs;

/**
 * What became of a reported replica.
 *
 * @param outcome {@code PENDING} (waiting for other replicas), {@code VALID}, {@code INVALID} (disagrees with
 *                the quorum or the known answer), {@code FAILED} (the host's failure, issued again), or
 *                {@code LATE} (after its deadline: it was issued again, the result is ignored)
 */
public record ReportOutcome(String replicaId, String outcome) {
}
