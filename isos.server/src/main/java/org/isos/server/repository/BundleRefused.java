package org.isos.server.repository;

/** An upload or a download refused; the message is meant to be shown as is. */
public class BundleRefused extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why: decides the HTTP status. */
    public enum Reason {
        /** Only buyers upload and list bundles (403). */
        NOT_A_BUYER,
        /** The jar broke an admission rule; the message starts with the rule's name (400). */
        INADMISSIBLE,
        /** Larger than the repository takes (413). */
        TOO_LARGE,
        /** No such bundle, or not one the caller may read (404). */
        NOT_FOUND
    }

    private final Reason reason;

    public BundleRefused(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
