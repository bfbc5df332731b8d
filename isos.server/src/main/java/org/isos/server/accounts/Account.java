package org.isos.server.accounts;

import java.time.Instant;
import java.util.Objects;

/** An owner's or a buyer's account. {@code id} is assigned by the server and never changes. */
public record Account(String id, AccountKind kind, String name, Instant created) {

    public Account {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(created, "created");
    }
}
