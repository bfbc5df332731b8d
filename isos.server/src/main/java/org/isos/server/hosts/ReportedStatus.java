package org.isos.server.hosts;

/**
 * The status a host reports with a heartbeat (the body's {@code status}).
 *
 * @param suspended whether the host's owner suspended it (it takes no new work)
 * @param reason why, as the agent says it (at most 1000 characters), or null
 * @param apps how many apps the host runs, {@code >= 0}
 * @param transport the host kernel's transport address {@code host:port} for app clients, or null (older
 *        agents; since 1.3)
 * @param policy the owner's policy, or null (older agents: the host is then never matched; since 1.3)
 * @param memoryBytes the host's physical memory, from its description's {@code memoryBytes}, or null when it
 *        does not say (the host then never matches a request for memory; since 1.4)
 */
public record ReportedStatus(boolean suspended, String reason, int apps, String transport, HostPolicy policy,
        Long memoryBytes) {

    /** Longest transport address accepted. */
    public static final int MAX_TRANSPORT_CHARS = 300;

    public ReportedStatus {
        if (apps < 0) {
            throw new IllegalArgumentException("apps must be >= 0, not " + apps);
        }
        if (memoryBytes != null && memoryBytes < 0) {
            throw new IllegalArgumentException("memoryBytes must be >= 0, not " + memoryBytes);
        }
        if (transport != null && !validTransport(transport)) {
            throw new IllegalArgumentException("transport must be host:port (port 1 to 65535, at most "
                    + MAX_TRANSPORT_CHARS + " characters), not " + transport);
        }
    }

    /** A status without transport and policy (as in version 1.2 of this package). */
    public ReportedStatus(boolean suspended, String reason, int apps) {
        this(suspended, reason, apps, null, null, null);
    }

    /** A status without memory (as in version 1.3 of this package). */
    public ReportedStatus(boolean suspended, String reason, int apps, String transport, HostPolicy policy) {
        this(suspended, reason, apps, transport, policy, null);
    }

    /** {@code host:port} or {@code [v6]:port}, a port 1 to 65535, no spaces or control characters. */
    public static boolean validTransport(String transport) {
        if (transport.length() > MAX_TRANSPORT_CHARS || !Transport.ADDRESS.matcher(transport).matches()) {
            return false;
        }
        int port = Integer.parseInt(transport.substring(transport.lastIndexOf(':') + 1));
        return port >= 1 && port <= 65535;
    }

    /** Compiled once: every heartbeat checks its transport address twice (5 % of a heartbeat's CPU compiling it). */
    private static final class Transport {
        static final java.util.regex.Pattern ADDRESS =
                java.util.regex.Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+):[0-9]{1,5}");
    }
}
