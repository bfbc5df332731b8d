package org.isos.kernel.api;

import java.util.Objects;

/**
 * The other end of a message: the same app on another host (by host id), or an external client
 * connected to this host's kernel (by the session id the kernel gave it).
 */
public record Peer(Kind kind, String id) {

    public enum Kind {
        HOST, CLIENT
    }

    public Peer {
        Objects.requireNonNull(kind, "peer kind");
        Objects.requireNonNull(id, "peer id");
        if (id.isBlank()) {
            throw new IllegalArgumentException("peer id must not be blank");
        }
    }

    public static Peer host(String hostId) {
        return new Peer(Kind.HOST, hostId);
    }

    public static Peer client(String sessionId) {
        return new Peer(Kind.CLIENT, sessionId);
    }
}
