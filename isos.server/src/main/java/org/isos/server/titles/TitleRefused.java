package org.isos.server.titles;

/** A title request the registry will not serve; the message says why. */
public class TitleRefused extends Exception {

    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** A malformed name, manifest, price or view id. */
        BAD_REQUEST,
        /** Not a buyer, or leases that are not the publisher's own. */
        FORBIDDEN,
        /** No such title. */
        NOT_FOUND,
        /** The name belongs to another provider, or the view id was used for another title. */
        CONFLICT,
        /** Too few of the title's leases run for it to play: no view is sold. */
        UNAVAILABLE
    }

    private final Reason reason;

    public TitleRefused(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
