package org.isos.server.accounts;

import java.time.Instant;
import java.util.Objects;

/**
 * A freshly issued API token: {@code secret} is what the holder sends as {@code Authorization: Bearer
 * <secret>}. It exists only here, once; the store keeps its SHA-256. {@link #toString()} leaves it out.
 */
public record IssuedToken(Account account, String secret, Instant created) {

    public IssuedToken {
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(created, "created");
    }

    @Override
    public String toString() {
        return "IssuedToken[account=" + account.id() + ", created=" + created + "]";
    }
}
