package org.isos.server.hosts;

/** An enrollment or a heartbeat refused; the message is meant to be shown as is. */
public class HostRefused extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why: decides the HTTP status (403, 409, 400, 403). */
    public enum Reason {
        NOT_AN_OWNER, ALREADY_ENROLLED, BAD_REQUEST,
        /** A heartbeat whose client certificate may not speak for the host (another host, revoked, replaced). */
        NOT_THIS_HOST
    }

    private final Reason reason;

    public HostRefused(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
