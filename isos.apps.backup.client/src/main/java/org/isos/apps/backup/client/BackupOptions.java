package org.isos.apps.backup.client;

import java.nio.file.Path;

import org.isos.apps.backup.client.internal.Keys;
import org.isos.apps.backup.protocol.FragmentMessage;

/**
 * How a {@link BackupClient} codes and stores files.
 *
 * @param dataFragments   k: fragments that suffice to rebuild a segment
 * @param totalFragments  n: fragments stored per segment, on n distinct holders
 * @param fallback        with fewer than n holders, code k'-of-n' over the holders there are (n' = holders, k' keeps
 *                        the rate k/n, at least 1) instead of refusing
 * @param segmentBytes    plaintext bytes per segment (the last one of a file may be shorter); lowered where a
 *                        fragment would not fit one message ({@link FragmentMessage#MAX_PAYLOAD_BYTES})
 * @param parallelism     fragment transfers in flight at once
 * @param iterations      PBKDF2 iterations for the root key (at least {@value Keys#MIN_ITERATIONS})
 * @param auditBlocks     random 4 KiB blocks per fragment audit (capped by the fragment's block count and by what
 *                        one answer message can carry)
 * @param maxPerOwner     most fragments of a segment on one owner's hosts; 0 for the placement's default (fewer than
 *                        k, so no owner can rebuild a segment alone)
 * @param locatorCopies   holders that keep the manifest's head and locator beacons
 * @param cacheDirectory  where the encrypted local copy of the manifest is kept; null for none
 */
public record BackupOptions(int dataFragments, int totalFragments, boolean fallback, int segmentBytes,
        int parallelism, int iterations, int auditBlocks, int maxPerOwner, int locatorCopies, Path cacheDirectory) {

    public static final int DEFAULT_SEGMENT_BYTES = 4 << 20;

    /** The largest payload of one fragment message: a fragment's size limit. */
    public static final int MAX_FRAGMENT_BYTES = FragmentMessage.MAX_PAYLOAD_BYTES;

    public BackupOptions {
        if (dataFragments < 1 || totalFragments <= dataFragments || totalFragments > 256) {
            throw new IllegalArgumentException("a k-of-n code needs 1 <= k < n <= 256, got " + dataFragments
                    + "-of-" + totalFragments);
        }
        if (segmentBytes < 1) {
            throw new IllegalArgumentException("segment size " + segmentBytes + " must be at least 1 byte");
        }
        if (parallelism < 1 || parallelism > 256) {
            throw new IllegalArgumentException("parallelism " + parallelism + " must be 1..256");
        }
        if (iterations < Keys.MIN_ITERATIONS) {
            throw new IllegalArgumentException("PBKDF2 iterations " + iterations + " below the minimum "
                    + Keys.MIN_ITERATIONS);
        }
        if (auditBlocks < 1) {
            throw new IllegalArgumentException("audit blocks " + auditBlocks + " must be at least 1");
        }
        if (maxPerOwner < 0) {
            throw new IllegalArgumentException("negative fragments per owner " + maxPerOwner);
        }
        if (locatorCopies < 1) {
            throw new IllegalArgumentException("locator copies " + locatorCopies + " must be at least 1");
        }
    }

    /** 16-of-64 with fallback, 4 MiB segments, 8 transfers at once, 210,000 PBKDF2 iterations, 16-block audits. */
    public static BackupOptions defaults() {
        return new BackupOptions(16, 64, true, DEFAULT_SEGMENT_BYTES, 8, 210_000, 16, 0, 5, null);
    }

    public BackupOptions withCode(int k, int n) {
        return new BackupOptions(k, n, fallback, segmentBytes, parallelism, iterations, auditBlocks, maxPerOwner,
                locatorCopies, cacheDirectory);
    }

    /** Refuse to store with fewer than n holders instead of falling back to a smaller code. */
    public BackupOptions withoutFallback() {
        return new BackupOptions(dataFragments, totalFragments, false, segmentBytes, parallelism, iterations,
                auditBlocks, maxPerOwner, locatorCopies, cacheDirectory);
    }

    public BackupOptions withSegmentBytes(int bytes) {
        return new BackupOptions(dataFragments, totalFragments, fallback, bytes, parallelism, iterations,
                auditBlocks, maxPerOwner, locatorCopies, cacheDirectory);
    }

    public BackupOptions withParallelism(int transfers) {
        return new BackupOptions(dataFragments, totalFragments, fallback, segmentBytes, transfers, iterations,
                auditBlocks, maxPerOwner, locatorCopies, cacheDirectory);
    }

    public BackupOptions withIterations(int pbkdf2Iterations) {
        return new BackupOptions(dataFragments, totalFragments, fallback, segmentBytes, parallelism,
                pbkdf2Iterations, auditBlocks, maxPerOwner, locatorCopies, cacheDirectory);
    }

    public BackupOptions withAuditBlocks(int blocks) {
        return new BackupOptions(dataFragments, totalFragments, fallback, segmentBytes, parallelism, iterations,
                blocks, maxPerOwner, locatorCopies, cacheDirectory);
    }

    public BackupOptions withMaxPerOwner(int cap) {
        return new BackupOptions(dataFragments, totalFragments, fallback, segmentBytes, parallelism, iterations,
                auditBlocks, cap, locatorCopies, cacheDirectory);
    }

    public BackupOptions withLocatorCopies(int copies) {
        return new BackupOptions(dataFragments, totalFragments, fallback, segmentBytes, parallelism, iterations,
                auditBlocks, maxPerOwner, copies, cacheDirectory);
    }

    public BackupOptions withCacheDirectory(Path directory) {
        return new BackupOptions(dataFragments, totalFragments, fallback, segmentBytes, parallelism, iterations,
                auditBlocks, maxPerOwner, locatorCopies, directory);
    }

    /** The plaintext segment size used with k data fragments: a fragment (ciphertext / k) fits one message. */
    public int effectiveSegmentBytes(int k) {
        long fits = (long) k * MAX_FRAGMENT_BYTES - Keys.TAG_BYTES;
        return (int) Math.min(segmentBytes, Math.min(fits, Integer.MAX_VALUE - 64));
    }
}
