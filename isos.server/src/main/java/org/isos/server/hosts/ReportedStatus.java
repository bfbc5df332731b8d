package org.isos.server.hosts;

/**
 * The status a host reports with a heartbeat (the body's {@code status}).
 *
 * @param suspended whether the host's owner suspended it (it takes no new work)
 * @param reason why, as the agent says it (at most 1000 characters), or null
 * @param apps how many apps the host runs, {@code >= 0}
 */
public record ReportedStatus(boolean suspended, String reason, int apps) {

    public ReportedStatus {
        if (apps < 0) {
            throw new IllegalArgumentException("apps must be >= 0, not " + apps);
        }
    }
}
