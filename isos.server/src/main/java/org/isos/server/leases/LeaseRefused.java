package org.isos.server.leases;

/** A lease request, change or usage delivery refused; the message is meant to be shown as is. */
public class LeaseRefused extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why: decides the HTTP status. */
    public enum Reason {
        /** A malformed request: the message names the field (400). */
        BAD_REQUEST,
        /** The account may not do this (403). */
        FORBIDDEN,
        /** No such lease or bundle for this account (404). */
        NOT_FOUND,
        /** Fewer hosts qualify than asked for; the message says how many did and why others did not (409). */
        NOT_ENOUGH_HOSTS,
        /** The lease has ended and cannot change (409). */
        ENDED,
        /** The buyer cannot fund the escrow (402). */
        INSUFFICIENT_FUNDS
    }

    private final Reason reason;

    public LeaseRefused(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
