package org.isos.apps.backup.client;

import java.time.Instant;

/**
 * A file in a backup, as {@code ls} shows it.
 *
 * @param id       what {@code get} and {@code verify} take
 * @param name     the name it was stored under
 * @param size     plaintext bytes
 * @param sha256   lowercase hex SHA-256 of the plaintext
 * @param k        fragments that suffice per segment
 * @param n        fragments stored per segment
 * @param segments segments the file was cut into
 */
public record StoredFile(String id, String name, long size, String sha256, int k, int n, int segments,
        Instant created) {
}
