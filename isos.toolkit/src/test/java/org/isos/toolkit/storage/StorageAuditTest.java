package org.isos.toolkit.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.isos.toolkit.storage.internal.Merkle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StorageAuditTest {
    private final SplittableRandom data = new SplittableRandom(2026);
    private final SecureRandom random = seeded(99);

    /** A deterministic SecureRandom (SHA1PRNG seeded before first use), so that failures reproduce. */
    static SecureRandom seeded(long seed) {
        try {
            SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
            r.setSeed(seed);
            return r;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        data.nextBytes(b);
        return b;
    }

    private static final byte[] ID = {1, 2, 3};

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 100, 4095, 4096, 4097, 3 * 4096, 5 * 4096 + 1, 7 * 4096, 1 << 20})
    void honestHostPassesEveryBlock(int size) {
        byte[] fragment = bytes(size);
        AuditCommitment c = StorageAudit.merkle().commit(ID, fragment, random);
        int blocks = Merkle.blockCount(size, 4096);
        for (int b = 0; b < blocks; b += Math.max(1, blocks / 40)) {
            AuditChallenge ch = new AuditChallenge(AuditScheme.MERKLE, ID, size, new byte[32], 4096, new int[] {b}, -1);
            byte[] request = ch.encode();
            AuditVerdict v = StorageAudit.verify(c, ch, StorageAudit.respond(request, fragment));
            assertTrue(v.passed(), size + " bytes, block " + b + ": " + v);
        }
        for (int i = 0; i < 20; i++) {
            AuditChallenge ch = StorageAudit.challenge(c, random, Math.min(blocks, 3));
            assertTrue(StorageAudit.verify(c, ch, StorageAudit.respond(ch.encode(), fragment)).passed());
        }
    }

    @Test
    void commitmentsAndChallengesRoundTrip() {
        byte[] fragment = bytes(10_000);
        for (StorageAudit audit : new StorageAudit[] {StorageAudit.merkle(1000, 4), StorageAudit.precomputed(3)}) {
            AuditCommitment c = audit.commit(ID, fragment, random);
            AuditChallenge ch = audit.challengeWith(c, random);
            AuditCommitment c2 = AuditCommitment.decode(c.encode());
            assertArrayEquals(c.encode(), c2.encode());
            AuditChallenge ch2 = AuditChallenge.decode(ch.encode());
            assertArrayEquals(ch.encode(), ch2.encode());
            assertTrue(StorageAudit.verify(c2, ch2, StorageAudit.respond(ch.encode(), fragment)).passed());
        }
    }

    @Test
    void precomputedAnswersAreSpentOneByOne() {
        byte[] fragment = bytes(50_000);
        AuditCommitment c = StorageAudit.precomputed(5).commit(ID, fragment, random);
        byte[] old = null;
        AuditChallenge first = null;
        for (int i = 0; i < 5; i++) {
            AuditChallenge ch = StorageAudit.challenge(c, random);
            assertEquals(i, ch.answerIndex());
            byte[] resp = StorageAudit.respond(ch.encode(), fragment);
            assertTrue(StorageAudit.verify(c, ch, resp).passed());
            if (old != null) { // replaying the previous answer fails
                assertFalse(StorageAudit.verify(c, ch, old).passed());
            } else {
                first = ch;
            }
            old = resp;
        }
        assertEquals(0, c.remaining());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> StorageAudit.challenge(c, random));
        assertTrue(e.getMessage().startsWith("all 5 precomputed answers for fragment 010203 are spent"), e.getMessage());
        // a host that lost one byte, or flipped one, fails
        byte[] flipped = fragment.clone();
        flipped[31_337] ^= 1;
        AuditCommitment d = StorageAudit.precomputed(2).commit(ID, fragment, random);
        AuditChallenge ch = StorageAudit.challenge(d, random);
        assertFalse(StorageAudit.verify(d, ch, StorageAudit.respond(ch, forged(ch, flipped))).passed());
        assertTrue(StorageAudit.verify(c, first, StorageAudit.respond(first, fragment)).passed());
    }

    /** The cheater's fragment, relabelled so that respond() accepts the size. */
    private static byte[] forged(AuditChallenge ch, byte[] f) {
        return Arrays.copyOf(f, (int) ch.fragmentSize());
    }

    @Test
    void merkleRejectsCheats() {
        byte[] fragment = bytes(1 << 20);
        AuditCommitment c = StorageAudit.merkle().commit(ID, fragment, random);
        AuditChallenge ch = StorageAudit.challenge(c, random, 1);
        int block = ch.blockIndices()[0];
        byte[] honest = StorageAudit.respond(ch, fragment);

        byte[] corrupted = fragment.clone();
        corrupted[block * 4096 + 17] ^= 0x40; // one byte of the asked block
        assertFails(c, ch, StorageAudit.respond(ch, corrupted), "do not match the committed root");

        byte[] lost = fragment.clone();
        Arrays.fill(lost, block * 4096, block * 4096 + 4096, (byte) 0); // lost the block, answers zeros
        assertFails(c, ch, StorageAudit.respond(ch, lost), "do not match the committed root");

        byte[] other = bytes(1 << 20); // answers from another fragment of the same size
        assertFails(c, ch, StorageAudit.respond(ch, other), "do not match the committed root");

        AuditChallenge next = StorageAudit.challenge(c, random, 1);
        assertFails(c, next, honest, "another nonce"); // replay of an old answer

        // right nonce, wrong index: a block the host still has, with a valid proof, for another index
        int wrong = (block + 1) % 256;
        AuditChallenge asked = new AuditChallenge(AuditScheme.MERKLE, ID, 1 << 20, ch.nonce(), 4096, new int[] {wrong},
                -1);
        assertFails(c, ch, StorageAudit.respond(asked, fragment), "was asked for");

        // garbled proof hash, truncated, trailing bytes, garbage
        byte[] garbled = honest.clone();
        garbled[garbled.length - 5] ^= 1;
        assertFails(c, ch, garbled, "do not match the committed root");
        for (int cut : new int[] {0, 3, 20, 40, 45, 4000, honest.length - 1}) {
            assertFails(c, ch, Arrays.copyOf(honest, cut), "truncated");
        }
        assertFails(c, ch, Arrays.copyOf(honest, honest.length + 1), "trailing");
        assertFails(c, ch, null, "no response");
        byte[] badProofLength = honest.clone();
        badProofLength[4 + 1 + 32 + 2 + 4 + 4 + 4096] = 7;
        assertFails(c, ch, badProofLength, "hashes, expected 8");
    }

    private static void assertFails(AuditCommitment c, AuditChallenge ch, byte[] response, String reason) {
        AuditVerdict v = StorageAudit.verify(c, ch, response);
        assertFalse(v.passed());
        assertTrue(v.reason().contains(reason), v.reason());
    }

    /**
     * A host that lost 10% of the blocks of a fragment (here 256 blocks) and answers as well as it can is caught by
     * 30 one-block audits in about 1 − 0.9^30 ≈ 95.8% of trials.
     */
    @Test
    void thirtyAuditsCatchTenPercentLoss() {
        byte[] fragment = bytes(256 * 256); // 256 blocks of 256 bytes: the statistics of 1 MiB in 4 KiB, faster
        AuditCommitment c = StorageAudit.merkle(256, 1).commit(ID, fragment, random);
        int trials = 300;
        int caught = 0;
        for (int t = 0; t < trials; t++) {
            SplittableRandom trial = new SplittableRandom(1000 + t);
            byte[] stored = fragment.clone();
            boolean[] gone = new boolean[256];
            for (int lostBlocks = 0; lostBlocks < 26; ) { // 26 of 256 ≈ 10%
                int b = trial.nextInt(256);
                if (!gone[b]) {
                    gone[b] = true;
                    lostBlocks++;
                    for (int i = b * 256; i < b * 256 + 256; i++) {
                        stored[i] = (byte) trial.nextInt(256); // best guess
                    }
                }
            }
            SecureRandom auditor = seeded(5000 + t);
            for (int a = 0; a < 30; a++) {
                AuditChallenge ch = StorageAudit.challenge(c, auditor, 1);
                // the cheater kept the Merkle tree (32 bytes a block), so it answers honestly for the blocks it has and
                // sends its best guess, with a valid path, for the ones it lost
                boolean lostIt = gone[ch.blockIndices()[0]];
                boolean pass = StorageAudit.verify(c, ch, StorageAudit.respond(ch, lostIt ? stored : fragment)).passed();
                assertEquals(!gone[ch.blockIndices()[0]], pass);
                if (!pass) {
                    caught++;
                    break;
                }
            }
        }
        double expected = 1 - Math.pow(1 - 26 / 256.0, 30); // 0.9600
        double rate = caught / (double) trials;
        // binomial standard deviation sqrt(p(1-p)/n) ≈ 0.0113: allow 4 of them
        assertTrue(Math.abs(rate - expected) < 0.045, "caught " + caught + " of " + trials + ", expected " + expected);
        assertTrue(rate > 0.9);
    }

    @Test
    void malformedChallengesAreRefusedClearly() {
        byte[] fragment = bytes(8192);
        AuditCommitment c = StorageAudit.merkle().commit(ID, fragment, random);
        byte[] good = StorageAudit.challenge(c, random).encode();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AuditChallenge.decode(Arrays.copyOf(good, 10)));
        assertTrue(e.getMessage().startsWith("audit challenge truncated"), e.getMessage());
        byte[] badIndex = good.clone();
        badIndex[badIndex.length - 1] = 9;
        e = assertThrows(IllegalArgumentException.class, () -> AuditChallenge.decode(badIndex));
        assertEquals("audit challenge: block index 9 outside 0..1 for a fragment of 8192 bytes in blocks of 4096",
                e.getMessage());
        byte[] badMagic = good.clone();
        badMagic[0] = 'X';
        assertThrows(IllegalArgumentException.class, () -> AuditChallenge.decode(badMagic));
        byte[] badScheme = good.clone();
        badScheme[4] = 9;
        e = assertThrows(IllegalArgumentException.class, () -> AuditChallenge.decode(badScheme));
        assertEquals("audit challenge: unknown audit scheme 9", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> StorageAudit.respond(good, new byte[100]));
        assertEquals("fragment 010203 has 100 bytes, the challenge expects 8192", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StorageAudit.challenge(c, random, 3));
        assertThrows(IllegalArgumentException.class, () -> StorageAudit.merkle().commit(new byte[0], fragment, random));
        assertThrows(IllegalArgumentException.class, () -> AuditCommitment.decode(Arrays.copyOf(c.encode(), 20)));
    }

    /** Figures for the README: response size and verification time for a 1 MiB fragment. */
    @Test
    void oneMebibyteFigures() {
        byte[] fragment = bytes(1 << 20);
        long t0 = System.nanoTime();
        AuditCommitment c = StorageAudit.merkle().commit(ID, fragment, random);
        long commitNs = System.nanoTime() - t0;
        AuditChallenge ch = StorageAudit.challenge(c, random);
        t0 = System.nanoTime();
        byte[] resp = StorageAudit.respond(ch.encode(), fragment);
        long respondNs = System.nanoTime() - t0;
        assertEquals(4 + 1 + 32 + 2 + 4 + 4 + 4096 + 1 + 8 * 32, resp.length);
        int reps = 2000;
        t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            assertTrue(StorageAudit.verify(c, ch, resp).passed());
        }
        long verifyNs = (System.nanoTime() - t0) / reps;
        System.out.printf("1 MiB fragment, 4 KiB blocks: challenge %d B, response %d B, commitment %d B;"
                + " commit %.1f ms, respond %.1f ms, verify %.1f us%n", ch.encode().length, resp.length,
                c.encode().length, commitNs / 1e6, respondNs / 1e6, verifyNs / 1e3);
    }
}
