package org.isos.server.directives;

/** A directive the store would not take; the message is meant to be shown as is. */
public class DirectiveRefused extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why: decides the HTTP status (403, 404, 400). */
    public enum Reason {
        NOT_AN_OWNER,
        /** No such host among the owner's (another owner's host is not found either). */
        NOT_FOUND,
        BAD_REQUEST
    }

    private final Reason reason;

    public DirectiveRefused(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
