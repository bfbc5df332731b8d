package org.isos.toolkit.storage;

import org.isos.toolkit.storage.internal.Merkle;
import org.isos.toolkit.storage.internal.Sha256;
import org.isos.toolkit.storage.internal.Wire;

/**
 * One audit request, made by {@link StorageAudit#challenge} and sent to the host as {@link #encode()}. It names the
 * fragment (id and expected size) and carries a fresh 32-byte nonce; a Merkle challenge adds the block size and the
 * block indices asked for, a precomputed one the index of the answer being spent (which tells the host nothing: the
 * nonce is derived from the client's secret). Immutable.
 *
 * <p>Wire format (big-endian): {@code "IAC" 1}, scheme (u8), fragment id length (u8, 1..255), fragment id, fragment
 * size (u64), nonce (32 bytes); then for Merkle block size (u32) , count (u16), indices (u32 each, distinct, in
 * range); for precomputed the answer index (u16).
 */
public final class AuditChallenge {
    private static final byte[] MAGIC = {'I', 'A', 'C', 1};
    /** Most blocks one Merkle challenge may ask for. */
    public static final int MAX_BLOCKS = 1024;

    private final AuditScheme scheme;
    private final byte[] fragmentId;
    private final long fragmentSize;
    private final byte[] nonce;
    private final int blockSize;
    private final int[] indices;
    private final int answerIndex;

    AuditChallenge(AuditScheme scheme, byte[] fragmentId, long fragmentSize, byte[] nonce, int blockSize, int[] indices,
            int answerIndex) {
        this.scheme = scheme;
        this.fragmentId = fragmentId;
        this.fragmentSize = fragmentSize;
        this.nonce = nonce;
        this.blockSize = blockSize;
        this.indices = indices;
        this.answerIndex = answerIndex;
    }

    public AuditScheme scheme() {
        return scheme;
    }

    /** Which fragment the host must prove it holds. */
    public byte[] fragmentId() {
        return fragmentId.clone();
    }

    public long fragmentSize() {
        return fragmentSize;
    }

    public byte[] nonce() {
        return nonce.clone();
    }

    /** Merkle block size; 0 for precomputed. */
    public int blockSize() {
        return blockSize;
    }

    /** Merkle block indices asked for; empty for precomputed. */
    public int[] blockIndices() {
        return indices.clone();
    }

    /** Index of the precomputed answer spent; -1 for Merkle. */
    public int answerIndex() {
        return answerIndex;
    }

    byte[] fragmentIdRef() {
        return fragmentId;
    }

    byte[] nonceRef() {
        return nonce;
    }

    int[] indicesRef() {
        return indices;
    }

    public byte[] encode() {
        Wire.Writer w = new Wire.Writer().bytes(MAGIC).u8(scheme.code).u8(fragmentId.length).bytes(fragmentId)
                .u64(fragmentSize).bytes(nonce);
        if (scheme == AuditScheme.MERKLE) {
            w.u32(blockSize).u16(indices.length);
            for (int i : indices) {
                w.u32(i);
            }
        } else {
            w.u16(answerIndex);
        }
        return w.toByteArray();
    }

    /** Parses and validates a challenge. @throws IllegalArgumentException saying what is wrong */
    public static AuditChallenge decode(byte[] bytes) {
        Wire.Reader r = new Wire.Reader(bytes, "audit challenge");
        r.expect(MAGIC, "magic and version");
        AuditScheme scheme = AuditScheme.of(r.u8("scheme"), "audit challenge");
        byte[] id = StorageAudit.readFragmentId(r, "audit challenge");
        long size = StorageAudit.readSize(r, "audit challenge");
        byte[] nonce = r.bytes(Sha256.LENGTH, "nonce");
        AuditChallenge c;
        if (scheme == AuditScheme.MERKLE) {
            int blockSize = StorageAudit.checkBlockSize((int) Math.min(Integer.MAX_VALUE, r.u32("block size")),
                    "audit challenge");
            int blocks = Merkle.blockCount(size, blockSize);
            int count = r.u16("block count");
            if (count < 1 || count > MAX_BLOCKS) {
                throw new IllegalArgumentException("audit challenge asks for " + count + " blocks, must be 1.."
                        + MAX_BLOCKS);
            }
            int[] indices = new int[count];
            for (int i = 0; i < count; i++) {
                long idx = r.u32("block index " + i);
                if (idx >= blocks) {
                    throw new IllegalArgumentException("audit challenge: block index " + idx + " outside 0.."
                            + (blocks - 1) + " for a fragment of " + size + " bytes in blocks of " + blockSize);
                }
                indices[i] = (int) idx;
                for (int j = 0; j < i; j++) {
                    if (indices[j] == indices[i]) {
                        throw new IllegalArgumentException("audit challenge: block index " + idx + " asked twice");
                    }
                }
            }
            c = new AuditChallenge(scheme, id, size, nonce, blockSize, indices, -1);
        } else {
            c = new AuditChallenge(scheme, id, size, nonce, 0, new int[0], r.u16("answer index"));
        }
        r.end();
        return c;
    }

    @Override
    public String toString() {
        return "AuditChallenge[" + scheme + " " + Sha256.hex(fragmentId) + ", nonce " + Sha256.hex(nonce)
                + (scheme == AuditScheme.MERKLE ? ", blocks " + java.util.Arrays.toString(indices)
                        : ", answer " + answerIndex) + "]";
    }
}
