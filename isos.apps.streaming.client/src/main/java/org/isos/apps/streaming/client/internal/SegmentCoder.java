package org.isos.apps.streaming.client.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.isos.toolkit.erasure.ReedSolomon;

/** Cuts a segment into k data fragments plus n − k parity fragments and puts it back together from any k. */
public final class SegmentCoder {

    private final ReedSolomon code;
    private final int k;
    private final int n;

    public SegmentCoder(int k, int n) {
        if (k < 1 || n <= k) {
            throw new IllegalArgumentException("a k-of-n code needs 1 <= k < n, got " + k + "-of-" + n);
        }
        this.code = ReedSolomon.create(k, n - k);
        this.k = k;
        this.n = n;
    }

    /** The length of each fragment of a segment of {@code bytes} bytes. */
    public static int fragmentBytes(int bytes, int k) {
        return (bytes + k - 1) / k;
    }

    /** The n fragments of {@code segment[0..length)}: the data zero-padded to k equal pieces, then the parity. */
    public byte[][] encode(byte[] segment, int length) {
        int size = fragmentBytes(length, k);
        byte[][] shards = new byte[n][size];
        for (int i = 0; i < k; i++) {
            int from = i * size;
            if (from < length) {
                System.arraycopy(segment, from, shards[i], 0, Math.min(size, length - from));
            }
        }
        code.encodeParity(shards, 0, size);
        return shards;
    }

    /**
     * The segment from the fragments marked present (at least k; the others may be null).
     *
     * @throws IllegalArgumentException when fewer than k are present
     */
    public byte[] decode(byte[][] shards, boolean[] present, int length) {
        int size = fragmentBytes(length, k);
        boolean dataComplete = true;
        for (int i = 0; i < k; i++) {
            dataComplete &= present[i];
        }
        if (!dataComplete) {
            code.decodeMissing(shards, present.clone(), 0, size);
        }
        byte[] segment = new byte[length];
        for (int i = 0; i < k; i++) {
            int from = i * size;
            if (from < length) {
                System.arraycopy(shards[i], 0, segment, from, Math.min(size, length - from));
            }
        }
        return segment;
    }

    /** Lowercase hex SHA-256: a fragment's id, a segment's and a title's checksum. */
    public static String sha256(byte[] bytes, int offset, int length) {
        MessageDigest digest = sha256();
        digest.update(bytes, offset, length);
        return HexFormat.of().formatHex(digest.digest());
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
