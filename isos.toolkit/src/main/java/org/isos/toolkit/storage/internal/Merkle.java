package org.isos.toolkit.storage.internal;

import java.security.MessageDigest;

/**
 * A binary SHA-256 Merkle tree over the fixed-size blocks of a fragment, with domain separation between leaves and
 * inner nodes (leaf = H(0x00 || block), node = H(0x01 || left || right)). A level with an odd number of nodes
 * promotes its last node unchanged, so the shape — and the exact length of every proof — follows from the number of
 * blocks alone. A fragment of {@code size} bytes has {@code max(1, ceil(size / blockSize))} blocks; the last may be
 * short, and an empty fragment has one empty block.
 */
public final class Merkle {
    private static final byte LEAF = 0;
    private static final byte NODE = 1;

    /** levels[0] = leaf hashes, levels[last] = {root}. */
    private final byte[][][] levels;
    private final int blockSize;

    private Merkle(byte[][][] levels, int blockSize) {
        this.levels = levels;
        this.blockSize = blockSize;
    }

    public static int blockCount(long size, int blockSize) {
        long blocks = Math.max(1, (size + blockSize - 1) / blockSize);
        if (blocks > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a fragment of " + size + " bytes has too many blocks of " + blockSize);
        }
        return (int) blocks;
    }

    /** The length of block {@code index} of a fragment of {@code size} bytes. */
    public static int blockLength(long size, int blockSize, int index) {
        long start = (long) index * blockSize;
        return (int) Math.max(0, Math.min(blockSize, size - start));
    }

    /** Number of hashes in the proof for {@code index} among {@code count} leaves. */
    public static int proofLength(int index, int count) {
        int len = 0;
        for (int i = index, c = count; c > 1; i >>>= 1, c = (c + 1) >>> 1) {
            if ((i & 1) == 1 || i + 1 < c) {
                len++;
            }
        }
        return len;
    }

    public static Merkle build(byte[] fragment, int blockSize) {
        int count = blockCount(fragment.length, blockSize);
        MessageDigest md = Sha256.newDigest();
        byte[][] level = new byte[count][];
        for (int i = 0; i < count; i++) {
            level[i] = leafHash(md, fragment, (int) Math.min((long) i * blockSize, fragment.length),
                    blockLength(fragment.length, blockSize, i));
        }
        int height = 1;
        for (int c = count; c > 1; c = (c + 1) >>> 1) {
            height++;
        }
        byte[][][] levels = new byte[height][][];
        levels[0] = level;
        for (int h = 1; h < height; h++) {
            byte[][] below = levels[h - 1];
            byte[][] above = new byte[(below.length + 1) >>> 1][];
            for (int i = 0; i < above.length; i++) {
                above[i] = 2 * i + 1 < below.length ? nodeHash(md, below[2 * i], below[2 * i + 1]) : below[2 * i];
            }
            levels[h] = above;
        }
        return new Merkle(levels, blockSize);
    }

    public byte[] root() {
        return levels[levels.length - 1][0].clone();
    }

    public int blockSize() {
        return blockSize;
    }

    public int blockCount() {
        return levels[0].length;
    }

    /** The sibling hashes from the leaf up, {@link #proofLength} of them. */
    public byte[][] proof(int index) {
        byte[][] proof = new byte[proofLength(index, blockCount())][];
        int p = 0;
        for (int h = 0, i = index; h < levels.length - 1; h++, i >>>= 1) {
            byte[][] level = levels[h];
            if ((i & 1) == 1) {
                proof[p++] = level[i - 1];
            } else if (i + 1 < level.length) {
                proof[p++] = level[i + 1];
            }
        }
        return proof;
    }

    /** Whether {@code block} at {@code index} among {@code count} leaves, with {@code proof}, hashes to {@code root}. */
    public static boolean verify(byte[] root, int index, int count, byte[] block, byte[][] proof) {
        if (index < 0 || index >= count || proof.length != proofLength(index, count)) {
            return false;
        }
        MessageDigest md = Sha256.newDigest();
        byte[] h = leafHash(md, block, 0, block.length);
        int p = 0;
        for (int i = index, c = count; c > 1; i >>>= 1, c = (c + 1) >>> 1) {
            if ((i & 1) == 1) {
                h = nodeHash(md, proof[p++], h);
            } else if (i + 1 < c) {
                h = nodeHash(md, h, proof[p++]);
            }
        }
        return MessageDigest.isEqual(h, root);
    }

    private static byte[] leafHash(MessageDigest md, byte[] data, int offset, int length) {
        md.update(LEAF);
        md.update(data, offset, length);
        return md.digest();
    }

    private static byte[] nodeHash(MessageDigest md, byte[] left, byte[] right) {
        md.update(NODE);
        md.update(left);
        md.update(right);
        return md.digest();
    }

    @Override
    public String toString() {
        return "Merkle[" + blockCount() + " blocks of " + blockSize + ", root " + Sha256.hex(levels[levels.length - 1][0])
                + "]";
    }
}
