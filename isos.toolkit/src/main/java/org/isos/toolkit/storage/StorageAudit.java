package org.isos.toolkit.storage;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Objects;
import org.isos.toolkit.storage.internal.Merkle;
import org.isos.toolkit.storage.internal.Sha256;
import org.isos.toolkit.storage.internal.Wire;

/**
 * Challenge–response storage audits: a host proves it still holds a fragment without sending all of it.
 *
 * <pre>{@code
 * StorageAudit audit = StorageAudit.merkle();                       // or StorageAudit.precomputed(64)
 * AuditCommitment c = audit.commit(fragmentId, fragment, random);   // client, before upload; keep c.encode()
 * AuditChallenge ch = StorageAudit.challenge(c, random);            // client; send ch.encode()
 * byte[] response = StorageAudit.respond(request, fragment);        // host, for AuditChallenge.decode(request).fragmentId()
 * AuditVerdict v = StorageAudit.verify(c, ch, response);            // client
 * }</pre>
 *
 * <h2>Merkle commitments ({@link AuditScheme#MERKLE})</h2>
 * Before upload the client splits the fragment into blocks (4 KiB by default), builds a SHA-256 Merkle tree (leaf =
 * H(0x00‖block), node = H(0x01‖left‖right), an odd node promoted) and keeps the 32-byte root and the size. A challenge
 * asks for random blocks with a fresh nonce; the host answers each with the block itself and its Merkle path, which
 * the client checks against the root: a block of a 1 MiB fragment costs 4 KiB + 8 × 32 bytes. Audits are unlimited
 * and the client needs no copy of the data. A host that lost a fraction f of the blocks passes an audit of b random
 * blocks with probability at most (1 − f)^b (plus a 2^-256 forgery chance), so a = 30 one-block audits catch 10% loss
 * with probability 1 − 0.9^30 ≈ 95.8%.
 *
 * <h2>Precomputed answers ({@link AuditScheme#PRECOMPUTED})</h2>
 * Before upload the client draws a 32-byte secret, derives nonces {@code nonce_i = H("isos-audit-nonce" ‖ secret ‖ i)}
 * and keeps T answers {@code H(nonce_i ‖ fragment)} (32 bytes each). Each audit reveals the next nonce and spends an
 * answer; the host must hash the whole fragment, so any missing or changed byte fails it — every audit checks every
 * byte — but after T audits the client must commit again.
 *
 * <h2>Replay and binding</h2>
 * Every response echoes the challenge's nonce and block indices, and verification rejects a response whose nonce
 * differs: an answer kept from an earlier audit (or for another fragment) fails. The proof of possession is the
 * block content itself, which only a holder can produce; who answers is authenticated by the kernel's transport
 * (hosts have ISOS certificates), so an unkeyed hash over the response would add nothing.
 */
public final class StorageAudit {
    public static final int DEFAULT_BLOCK_SIZE = 4096;
    /** Largest Merkle block: 1 MiB. */
    public static final int MAX_BLOCK_SIZE = 1 << 20;
    private static final byte[] RESPONSE_MAGIC = {'I', 'A', 'R', 1};
    private static final byte[] NONCE_LABEL = ascii("isos-audit-nonce");

    private final AuditScheme scheme;
    private final int blockSize;
    private final int blocksPerChallenge;
    private final int answers;

    private StorageAudit(AuditScheme scheme, int blockSize, int blocksPerChallenge, int answers) {
        this.scheme = scheme;
        this.blockSize = blockSize;
        this.blocksPerChallenge = blocksPerChallenge;
        this.answers = answers;
    }

    /** Merkle audits with 4 KiB blocks, one block per challenge. */
    public static StorageAudit merkle() {
        return merkle(DEFAULT_BLOCK_SIZE, 1);
    }

    /** Merkle audits with this block size (1..1 MiB) and this many distinct blocks per challenge (1..1024). */
    public static StorageAudit merkle(int blockSize, int blocksPerChallenge) {
        checkBlockSize(blockSize, "Merkle audit");
        if (blocksPerChallenge < 1 || blocksPerChallenge > AuditChallenge.MAX_BLOCKS) {
            throw new IllegalArgumentException("blocks per challenge " + blocksPerChallenge + " must be 1.."
                    + AuditChallenge.MAX_BLOCKS);
        }
        return new StorageAudit(AuditScheme.MERKLE, blockSize, blocksPerChallenge, 0);
    }

    /** Precomputed answers: T (1..65535) audits per commitment, each over the whole fragment. */
    public static StorageAudit precomputed(int answers) {
        if (answers < 1 || answers > 0xFFFF) {
            throw new IllegalArgumentException("precomputed answers " + answers + " must be 1..65535");
        }
        return new StorageAudit(AuditScheme.PRECOMPUTED, 0, 0, answers);
    }

    public AuditScheme scheme() {
        return scheme;
    }

    /**
     * The client's commitment to a fragment, computed before upload. {@code fragmentId} (1..255 bytes, e.g. the
     * fragment's content hash) names it in challenges; {@code random} draws the precomputed secret (unused for Merkle).
     */
    public AuditCommitment commit(byte[] fragmentId, byte[] fragment, SecureRandom random) {
        checkFragmentId(fragmentId);
        Objects.requireNonNull(fragment, "fragment");
        byte[] id = fragmentId.clone();
        if (scheme == AuditScheme.MERKLE) {
            Merkle tree = Merkle.build(fragment, blockSize);
            return new AuditCommitment(scheme, id, fragment.length, blockSize, tree.root(), null, null, 0);
        }
        Objects.requireNonNull(random, "random");
        byte[] secret = new byte[Sha256.LENGTH];
        random.nextBytes(secret);
        byte[][] table = new byte[answers][];
        MessageDigest md = Sha256.newDigest();
        for (int i = 0; i < answers; i++) {
            md.update(nonce(secret, i));
            md.update(fragment);
            table[i] = md.digest();
        }
        return new AuditCommitment(scheme, id, fragment.length, 0, null, secret, table, 0);
    }

    /**
     * A fresh challenge for the fragment behind {@code commitment}. For precomputed answers this spends one (store the
     * commitment again afterwards).
     *
     * @throws IllegalStateException when every precomputed answer is spent
     */
    public static AuditChallenge challenge(AuditCommitment commitment, SecureRandom random) {
        Objects.requireNonNull(commitment, "commitment");
        Objects.requireNonNull(random, "random");
        if (commitment.scheme() == AuditScheme.PRECOMPUTED) {
            int i = commitment.spend();
            return new AuditChallenge(AuditScheme.PRECOMPUTED, commitment.fragmentIdRef(), commitment.fragmentSize(),
                    nonce(commitment.secretRef(), i), 0, new int[0], i);
        }
        return challenge(commitment, random, 1);
    }

    /** A Merkle challenge for {@code blocks} distinct random blocks (at most the fragment's block count). */
    public static AuditChallenge challenge(AuditCommitment commitment, SecureRandom random, int blocks) {
        if (commitment.scheme() != AuditScheme.MERKLE) {
            if (blocks != 1) {
                throw new IllegalArgumentException("a precomputed answer covers the whole fragment; ask for 1 block");
            }
            return challenge(commitment, random);
        }
        int count = Merkle.blockCount(commitment.fragmentSize(), commitment.blockSize());
        if (blocks < 1 || blocks > Math.min(count, AuditChallenge.MAX_BLOCKS)) {
            throw new IllegalArgumentException("cannot ask for " + blocks + " distinct blocks of a fragment with "
                    + count + " (at most " + AuditChallenge.MAX_BLOCKS + " per challenge)");
        }
        byte[] nonce = new byte[Sha256.LENGTH];
        random.nextBytes(nonce);
        int[] indices = new int[blocks];
        for (int i = 0; i < blocks; i++) {
            boolean fresh;
            do {
                indices[i] = random.nextInt(count);
                fresh = true;
                for (int j = 0; j < i; j++) {
                    fresh &= indices[j] != indices[i];
                }
            } while (!fresh);
        }
        return new AuditChallenge(AuditScheme.MERKLE, commitment.fragmentIdRef(), commitment.fragmentSize(), nonce,
                commitment.blockSize(), indices, -1);
    }

    /** A challenge built with this audit's configured number of blocks. */
    public AuditChallenge challengeWith(AuditCommitment commitment, SecureRandom random) {
        return scheme == AuditScheme.MERKLE ? challenge(commitment, random,
                Math.min(blocksPerChallenge, Merkle.blockCount(commitment.fragmentSize(), commitment.blockSize())))
                : challenge(commitment, random);
    }

    /** Host side: the response to an encoded challenge, from the stored fragment. */
    public static byte[] respond(byte[] challenge, byte[] fragment) {
        return respond(AuditChallenge.decode(challenge), fragment);
    }

    /**
     * Host side: the response to a challenge, from the stored fragment.
     *
     * @throws IllegalArgumentException when the fragment's size is not the one the challenge expects
     */
    public static byte[] respond(AuditChallenge challenge, byte[] fragment) {
        Objects.requireNonNull(challenge, "challenge");
        Objects.requireNonNull(fragment, "fragment");
        if (fragment.length != challenge.fragmentSize()) {
            throw new IllegalArgumentException("fragment " + Sha256.hex(challenge.fragmentIdRef()) + " has "
                    + fragment.length + " bytes, the challenge expects " + challenge.fragmentSize());
        }
        Wire.Writer w = new Wire.Writer().bytes(RESPONSE_MAGIC).u8(challenge.scheme().code).bytes(challenge.nonceRef());
        if (challenge.scheme() == AuditScheme.PRECOMPUTED) {
            MessageDigest md = Sha256.newDigest();
            md.update(challenge.nonceRef());
            md.update(fragment);
            return w.bytes(md.digest()).toByteArray();
        }
        Merkle tree = Merkle.build(fragment, challenge.blockSize());
        int[] indices = challenge.indicesRef();
        w.u16(indices.length);
        for (int index : indices) {
            int start = (int) Math.min((long) index * challenge.blockSize(), fragment.length);
            int len = Merkle.blockLength(fragment.length, challenge.blockSize(), index);
            byte[][] proof = tree.proof(index);
            w.u32(index).u32(len).bytes(fragment, start, len).u8(proof.length);
            for (byte[] p : proof) {
                w.bytes(p);
            }
        }
        return w.toByteArray();
    }

    /**
     * Client side: checks a host's response to {@code challenge} (issued for {@code commitment}). Never throws for a
     * bad response: wrong blocks, proofs, indices, nonces, truncated or garbled bytes are a failed verdict with the
     * reason.
     */
    public static AuditVerdict verify(AuditCommitment commitment, AuditChallenge challenge, byte[] response) {
        Objects.requireNonNull(commitment, "commitment");
        Objects.requireNonNull(challenge, "challenge");
        if (challenge.scheme() != commitment.scheme()
                || !MessageDigest.isEqual(challenge.fragmentIdRef(), commitment.fragmentIdRef())
                || challenge.fragmentSize() != commitment.fragmentSize()) {
            throw new IllegalArgumentException("the challenge " + challenge + " was not issued for " + commitment);
        }
        if (response == null) {
            return AuditVerdict.failed("no response");
        }
        try {
            Wire.Reader r = new Wire.Reader(response, "audit response");
            r.expect(RESPONSE_MAGIC, "magic and version");
            int scheme = r.u8("scheme");
            if (scheme != challenge.scheme().code) {
                return AuditVerdict.failed("response scheme " + scheme + ", expected " + challenge.scheme());
            }
            byte[] nonce = r.bytes(Sha256.LENGTH, "nonce");
            if (!MessageDigest.isEqual(nonce, challenge.nonceRef())) {
                return AuditVerdict.failed("response carries another nonce: an old or misdirected answer");
            }
            AuditVerdict v = challenge.scheme() == AuditScheme.PRECOMPUTED
                    ? verifyPrecomputed(commitment, challenge, r) : verifyMerkle(commitment, challenge, r);
            if (v.passed()) {
                r.end();
            }
            return v;
        } catch (IllegalArgumentException e) {
            return AuditVerdict.failed("malformed response: " + e.getMessage());
        }
    }

    private static AuditVerdict verifyPrecomputed(AuditCommitment c, AuditChallenge ch, Wire.Reader r) {
        byte[] answer = r.bytes(Sha256.LENGTH, "answer");
        int i = ch.answerIndex();
        if (i < 0 || i >= c.spent()) {
            throw new IllegalStateException("answer " + i + " was never issued from " + c);
        }
        return MessageDigest.isEqual(answer, c.answer(i)) ? AuditVerdict.PASSED
                : AuditVerdict.failed("hash over the fragment with nonce " + i + " differs from the precomputed answer");
    }

    private static AuditVerdict verifyMerkle(AuditCommitment c, AuditChallenge ch, Wire.Reader r) {
        int[] indices = ch.indicesRef();
        int count = r.u16("block count");
        if (count != indices.length) {
            return AuditVerdict.failed("response holds " + count + " blocks, " + indices.length + " were asked for");
        }
        int blocks = Merkle.blockCount(c.fragmentSize(), c.blockSize());
        for (int k = 0; k < count; k++) {
            long index = r.u32("block index");
            if (index != indices[k]) {
                return AuditVerdict.failed("response item " + k + " is block " + index + ", block " + indices[k]
                        + " was asked for");
            }
            int expected = Merkle.blockLength(c.fragmentSize(), c.blockSize(), indices[k]);
            long len = r.u32("block length");
            if (len != expected) {
                return AuditVerdict.failed("block " + index + " has " + len + " bytes, expected " + expected);
            }
            byte[] block = r.bytes(expected, "block " + index);
            int proofLength = r.u8("proof length");
            int expectedProof = Merkle.proofLength(indices[k], blocks);
            if (proofLength != expectedProof) {
                return AuditVerdict.failed("proof for block " + index + " has " + proofLength + " hashes, expected "
                        + expectedProof);
            }
            byte[][] proof = new byte[proofLength][];
            for (int p = 0; p < proofLength; p++) {
                proof[p] = r.bytes(Sha256.LENGTH, "proof hash " + p + " of block " + index);
            }
            if (!Merkle.verify(c.rootRef(), indices[k], blocks, block, proof)) {
                return AuditVerdict.failed("block " + index + " and its proof do not match the committed root");
            }
        }
        return AuditVerdict.PASSED;
    }

    private static byte[] nonce(byte[] secret, int i) {
        MessageDigest md = Sha256.newDigest();
        md.update(NONCE_LABEL);
        md.update(secret);
        md.update(new byte[] {(byte) (i >>> 24), (byte) (i >>> 16), (byte) (i >>> 8), (byte) i});
        return md.digest();
    }

    private static byte[] ascii(String s) {
        byte[] b = new byte[s.length()];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) s.charAt(i);
        }
        return b;
    }

    static int checkBlockSize(int blockSize, String what) {
        if (blockSize < 1 || blockSize > MAX_BLOCK_SIZE) {
            throw new IllegalArgumentException(what + ": block size " + blockSize + " must be 1.." + MAX_BLOCK_SIZE);
        }
        return blockSize;
    }

    static void checkFragmentId(byte[] id) {
        if (id == null || id.length < 1 || id.length > 255) {
            throw new IllegalArgumentException("fragment id must be 1..255 bytes, got "
                    + (id == null ? "null" : id.length + ""));
        }
    }

    static byte[] readFragmentId(Wire.Reader r, String what) {
        int len = r.u8("fragment id length");
        if (len == 0) {
            throw new IllegalArgumentException(what + ": empty fragment id");
        }
        return r.bytes(len, "fragment id");
    }

    static long readSize(Wire.Reader r, String what) {
        long size = r.u64("fragment size");
        if (size < 0 || size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + ": fragment size " + Long.toUnsignedString(size)
                    + " outside 0.." + Integer.MAX_VALUE);
        }
        return size;
    }
}
