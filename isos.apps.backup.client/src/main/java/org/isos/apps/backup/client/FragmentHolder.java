package org.isos.apps.backup.client;

import java.io.IOException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

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

    /**
     * Fetches several (small) fragments: id → bytes for those the host serves; the ones it does not have or refuses
     * are left out. An implementation over a network sends them all before it waits (one round trip, not one each).
     */
    default Map<String, byte[]> getAll(Collection<String> fragmentIds) throws IOException {
        Map<String, byte[]> found = new LinkedHashMap<>();
        for (String id : fragmentIds) {
            try {
                found.put(id, get(id));
            } catch (HolderRefusal absent) {
                // left out
            }
        }
        return found;
    }

    /** Stores several (small) fragments, id → bytes; a refusal of any is thrown once all were tried. */
    default void putAll(Map<String, byte[]> fragments) throws IOException {
        HolderRefusal first = null;
        for (Map.Entry<String, byte[]> f : fragments.entrySet()) {
            try {
                put(f.getKey(), f.getValue());
            } catch (HolderRefusal r) {
                first = first == null ? r : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Removes several fragments. */
    default void deleteAll(Collection<String> fragmentIds) throws IOException {
        for (String id : fragmentIds) {
            delete(id);
        }
    }
}
