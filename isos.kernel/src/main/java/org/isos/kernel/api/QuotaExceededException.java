package org.isos.kernel.api;

/** A write that would take a lease past one of its granted limits; nothing of it happened. */
public class QuotaExceededException extends Exception {
    private static final long serialVersionUID = 1L;

    private final long limit;
    private final long wanted;

    public QuotaExceededException(String message, long limit, long wanted) {
        super(message);
        this.limit = limit;
        this.wanted = wanted;
    }

    public long limit() {
        return limit;
    }

    public long wanted() {
        return wanted;
    }
}
