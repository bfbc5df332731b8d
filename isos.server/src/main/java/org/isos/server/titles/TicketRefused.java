package org.isos.server.titles;

/**
 * A view ticket that does not let its bearer watch; the message starts with the code the streaming hosts answer too
 * ({@code NO_TICKET}, {@code BAD_TICKET: …}, {@code EXPIRED_TICKET: …}).
 */
public class TicketRefused extends Exception {

    private static final long serialVersionUID = 1L;

    public enum Code {
        /** No ticket was presented. */
        NO_TICKET,
        /** Not a ticket, not signed by the ISOS CA, or for another title. */
        BAD_TICKET,
        /** Signed, for this title, but past its expiry. */
        EXPIRED_TICKET
    }

    private final Code code;

    public TicketRefused(Code code, String detail) {
        super(code + (detail == null || detail.isEmpty() ? "" : ": " + detail));
        this.code = code;
    }

    public Code code() {
        return code;
    }
}
