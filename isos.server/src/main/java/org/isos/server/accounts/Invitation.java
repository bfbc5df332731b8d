package org.isos.server.accounts;

import java.time.Instant;

/**
 * An invitation to open one account of {@code kind}; {@code code} is shown once (the store keeps its SHA-256).
 *
 * @param issuedBy the owner's account id, or {@code operator}
 */
public record Invitation(String code, AccountKind kind, String issuedBy, Instant created, Instant expires) {
}
