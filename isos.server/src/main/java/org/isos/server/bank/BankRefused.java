package org.isos.server.bank;

/** A transfer the bank will not make; the message says why. */
public class BankRefused extends Exception {

    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** Not enough available balance for a withdrawal or a hold. */
        INSUFFICIENT_FUNDS,
        /** A malformed amount (not > 0, too large) or id. */
        BAD_REQUEST,
        /** The account or lease escrow does not exist. */
        UNKNOWN_ACCOUNT,
        /** The transfer id was used before for a different transfer. */
        CONFLICT
    }

    private final Reason reason;

    public BankRefused(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
