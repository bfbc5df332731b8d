package org.isos.apps.backup.client;

import java.io.IOException;

/**
 * One host that keeps fragments for this client: the backup app leased on it. The client calls it from several
 * threads; an implementation serializes what it must.
 *
 * <p>Every operation throws {@link HolderRefusal} when the host answered and said no (the host's reason is the
 * message), and another {@link IOException} when the host could not be reached or did not answer.
 */
public interface FragmentHolder {

    /** The host's id (distinct hosts get distinct fragments of a segment). */
    String hostId();

    /** Who owns the host: placement spreads a segment's fragments over owners. */
    String ownerId();

    /** Fraction of time the host is expected to be reachable, 0..1 (placement prefers available hosts). */
    default double availability() {
        return 1.0;
    }

    /** Bytes the lease still lets this client store there (placement skips hosts without room). */
    default long freeBytes() {
        return Long.MAX_VALUE / 4;
    }

    /** Stores {@code fragment} under {@code fragmentId}, the lowercase hex SHA-256 of its bytes. */
    void put(String fragmentId, byte[] fragment) throws IOException;

    /** The fragment stored under {@code fragmentId}. */
    byte[] get(String fragmentId) throws IOException;

    /** The host's answer to an encoded {@code AuditChallenge} for {@code fragmentId}. */
    byte[] audit(String fragmentId, byte[] encodedChallenge) throws IOException;

    /** Removes the fragment (no error when the host does not have it). */
    void delete(String fragmentId) throws IOException;
}
