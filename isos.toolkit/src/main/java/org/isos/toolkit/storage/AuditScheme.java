package org.isos.toolkit.storage;

/** How a storage audit proves possession; see {@link StorageAudit}. */
public enum AuditScheme {
    /** Any block, with its Merkle proof against a 32-byte root the client kept. Unlimited audits. */
    MERKLE(1),
    /** {@code SHA-256(nonce || fragment)} against one of T answers the client precomputed. T audits, then re-commit. */
    PRECOMPUTED(2);

    final int code;

    AuditScheme(int code) {
        this.code = code;
    }

    static AuditScheme of(int code, String what) {
        for (AuditScheme s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        throw new IllegalArgumentException(what + ": unknown audit scheme " + code);
    }
}
