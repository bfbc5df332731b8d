package org.isos.server.jobs;

/** A job request refused; the message is meant to be shown as is. */
public class JobRefused extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why: decides the HTTP status. */
    public enum Reason {
        /** A malformed request: the message names the field (400). */
        BAD_REQUEST,
        /** The account may not do this, or the host holds no lease of the job's app (403). */
        FORBIDDEN,
        /** No such job, bundle or replica for this account (404). */
        NOT_FOUND,
        /** The host was caught cheating too often with this app and gets no more work (403). */
        BANNED
    }

    private final Reason reason;

    public JobRefused(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
