package org.isos.toolkit.storage;

import org.isos.toolkit.storage.internal.Sha256;
import org.isos.toolkit.storage.internal.Wire;

/**
 * What the client keeps about one fragment so that it can audit the host holding it, made by
 * {@link StorageAudit#commit} before upload: for {@link AuditScheme#MERKLE} the block size and the 32-byte Merkle
 * root; for {@link AuditScheme#PRECOMPUTED} a 32-byte secret (from which the nonces are derived) and T answers, of
 * which the first {@link #spent()} have been used. Also the fragment id and size. Keep it private to the client:
 * a host that learns the secret can precompute the answers.
 *
 * <p>A precomputed commitment is mutable: each {@link StorageAudit#challenge} spends an answer. Store
 * {@link #encode()} again after issuing a challenge, or an answer may be reused (a host that saw it could replay it).
 * Thread-safe.
 */
public final class AuditCommitment {
    private static final byte[] MAGIC = {'I', 'A', 'K', 1};

    private final AuditScheme scheme;
    private final byte[] fragmentId;
    private final long fragmentSize;
    private final int blockSize;       // MERKLE
    private final byte[] root;         // MERKLE
    private final byte[] secret;       // PRECOMPUTED
    private final byte[][] answers;    // PRECOMPUTED
    private int spent;                 // PRECOMPUTED

    AuditCommitment(AuditScheme scheme, byte[] fragmentId, long fragmentSize, int blockSize, byte[] root,
            byte[] secret, byte[][] answers, int spent) {
        this.scheme = scheme;
        this.fragmentId = fragmentId;
        this.fragmentSize = fragmentSize;
        this.blockSize = blockSize;
        this.root = root;
        this.secret = secret;
        this.answers = answers;
        this.spent = spent;
    }

    public AuditScheme scheme() {
        return scheme;
    }

    public byte[] fragmentId() {
        return fragmentId.clone();
    }

    public long fragmentSize() {
        return fragmentSize;
    }

    /** Merkle block size in bytes; 0 for precomputed answers. */
    public int blockSize() {
        return blockSize;
    }

    /** The Merkle root; {@code null} for precomputed answers. */
    public byte[] root() {
        return root == null ? null : root.clone();
    }

    /** Precomputed answers used so far (0 for Merkle). */
    public synchronized int spent() {
        return spent;
    }

    /** Audits still possible: unlimited ({@link Integer#MAX_VALUE}) for Merkle, unspent answers otherwise. */
    public synchronized int remaining() {
        return scheme == AuditScheme.MERKLE ? Integer.MAX_VALUE : answers.length - spent;
    }

    byte[] fragmentIdRef() {
        return fragmentId;
    }

    byte[] rootRef() {
        return root;
    }

    byte[] secretRef() {
        return secret;
    }

    byte[] answer(int i) {
        return answers[i];
    }

    /** Spends the next precomputed answer and returns its index. */
    synchronized int spend() {
        if (spent >= answers.length) {
            throw new IllegalStateException("all " + answers.length + " precomputed answers for fragment "
                    + Sha256.hex(fragmentId) + " are spent: commit again (from the fragment, or rebuilt from k others) "
                    + "or audit it with Merkle proofs");
        }
        return spent++;
    }

    public synchronized byte[] encode() {
        Wire.Writer w = new Wire.Writer().bytes(MAGIC).u8(scheme.code).u8(fragmentId.length).bytes(fragmentId)
                .u64(fragmentSize);
        if (scheme == AuditScheme.MERKLE) {
            w.u32(blockSize).bytes(root);
        } else {
            w.bytes(secret).u16(answers.length).u16(spent);
            for (byte[] a : answers) {
                w.bytes(a);
            }
        }
        return w.toByteArray();
    }

    public static AuditCommitment decode(byte[] bytes) {
        Wire.Reader r = new Wire.Reader(bytes, "audit commitment");
        r.expect(MAGIC, "magic and version");
        AuditScheme scheme = AuditScheme.of(r.u8("scheme"), "audit commitment");
        byte[] id = StorageAudit.readFragmentId(r, "audit commitment");
        long size = StorageAudit.readSize(r, "audit commitment");
        AuditCommitment c;
        if (scheme == AuditScheme.MERKLE) {
            int blockSize = StorageAudit.checkBlockSize((int) Math.min(Integer.MAX_VALUE, r.u32("block size")),
                    "audit commitment");
            c = new AuditCommitment(scheme, id, size, blockSize, r.bytes(Sha256.LENGTH, "root"), null, null, 0);
        } else {
            byte[] secret = r.bytes(Sha256.LENGTH, "secret");
            int t = r.u16("answer count");
            int spent = r.u16("answers spent");
            if (t == 0 || spent > t) {
                throw new IllegalArgumentException("audit commitment: " + spent + " of " + t + " answers spent");
            }
            byte[][] answers = new byte[t][];
            for (int i = 0; i < t; i++) {
                answers[i] = r.bytes(Sha256.LENGTH, "answer " + i);
            }
            c = new AuditCommitment(scheme, id, size, 0, null, secret, answers, spent);
        }
        r.end();
        return c;
    }

    @Override
    public String toString() {
        return scheme == AuditScheme.MERKLE
                ? "AuditCommitment[MERKLE " + Sha256.hex(fragmentId) + ", " + fragmentSize + " bytes, blocks of "
                        + blockSize + ", root " + Sha256.hex(root) + "]"
                : "AuditCommitment[PRECOMPUTED " + Sha256.hex(fragmentId) + ", " + fragmentSize + " bytes, "
                        + remaining() + " of " + answers.length + " answers left]";
    }
}
