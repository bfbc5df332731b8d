package org.isos.server.repository;

import java.time.Instant;

/**
 * A bundle in the repository.
 *
 * @param sha256 SHA-256 of the jar, lowercase hex: its identity
 * @param buyerId the buyer whose certificate signed it
 * @param size the jar's length in bytes
 * @param added true when this upload stored it, false when it was there already
 */
public record StoredBundle(String sha256, String buyerId, String symbolicName, String version, long size,
        Instant uploaded, boolean added) {
}
