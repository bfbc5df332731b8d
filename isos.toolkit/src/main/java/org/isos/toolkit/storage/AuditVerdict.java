package org.isos.toolkit.storage;

/**
 * The outcome of checking one audit response: {@code passed}, or why not. A garbled or truncated response is a
 * failed audit (the host's fault), not an exception.
 */
public record AuditVerdict(boolean passed, String reason) {
    static final AuditVerdict PASSED = new AuditVerdict(true, "ok");

    static AuditVerdict failed(String reason) {
        return new AuditVerdict(false, reason);
    }

    @Override
    public String toString() {
        return passed ? "passed" : "failed: " + reason;
    }
}
