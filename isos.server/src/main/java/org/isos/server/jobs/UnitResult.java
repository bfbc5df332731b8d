package org.isos.server.jobs;

/**
 * A unit of a job as the buyer sees it: its validated result, or why it has none.
 *
 * @param state  READY, IN_PROGRESS, VALIDATED or ERROR
 * @param result the validated result, only when VALIDATED
 * @param error  why it ended in ERROR, else null
 */
public record UnitResult(int position, String name, String state, byte[] result, String error) {
}
