package org.isos.server.jobs;

import java.util.List;

/**
 * The answer to a report that also asked for the host's next units: what became of each reported replica, then the
 * replicas issued to the host (as {@link Jobs#dispatch}; empty when nothing is ready for it, or it was caught and
 * banned by this very report).
 *
 * @since 1.2
 */
public record ReportReply(List<ReportOutcome> outcomes, List<Assignment> next) {
}
