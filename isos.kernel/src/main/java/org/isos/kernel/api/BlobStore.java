package org.isos.kernel.api;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A lease's private key-value store of byte blobs on this host. Writes are atomic: a reader sees the
 * old blob or the new one, never a part. The store is deleted when the lease ends.
 * <p>
 * Keys are 1 to 200 characters of {@code [A-Za-z0-9._-]} and {@code /}, not starting with {@code /}
 * and without {@code ..}.
 */
@ProviderType
public interface BlobStore {

    /**
     * Stores {@code data} under {@code key}, replacing any blob there.
     *
     * @throws QuotaExceededException when the store would then exceed the lease's quota; nothing is written
     */
    void put(String key, byte[] data) throws QuotaExceededException;

    Optional<byte[]> get(String key);

    /** @return whether a blob was there */
    boolean delete(String key);

    /** Keys starting with {@code prefix}, in lexical order. */
    List<String> list(String prefix);

    /** Bytes held now. */
    long usedBytes();

    /** The lease's storage quota. */
    long quotaBytes();
}
