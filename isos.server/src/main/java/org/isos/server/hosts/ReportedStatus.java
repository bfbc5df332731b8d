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
        // by hand, not a regex: every heartbeat checks it (a regex was 7 % of a heartbeat's CPU)
        int colon = transport.lastIndexOf(':');
        if (transport.length() > MAX_TRANSPORT_CHARS || colon < 1) {
            return false;
        }
        int portDigits = transport.length() - colon - 1;
        if (portDigits < 1 || portDigits > 5 || !allOf(transport, colon + 1, transport.length(), "0123456789")) {
            return false;
        }
        int port = Integer.parseInt(transport, colon + 1, transport.length(), 10);
        if (port < 1 || port > 65535) {
            return false;
        }
        if (transport.charAt(0) == '[') {
            return colon >= 3 && transport.charAt(colon - 1) == ']' && allOf(transport, 1, colon - 1, HEX_ADDRESS);
        }
        return allOf(transport, 0, colon, NAME);
    }

    private static final String HEX_ADDRESS = "0123456789abcdefABCDEF:.";
    private static final String NAME = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

    private static boolean allOf(String text, int from, int to, String allowed) {
        for (int i = from; i < to; i++) {
            if (allowed.indexOf(text.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }
}
