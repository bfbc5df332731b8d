package org.isos.apps.compute.work;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class MersenneTest {

    private static final List<Integer> KNOWN = List.of(2, 3, 5, 7, 13, 17, 19, 31, 61, 89, 107, 127, 521, 607, 1279, 2203, 2281);

    /** The textbook test on BigInteger, independent of MersenneModulus. */
    static BigInteger referenceResidue(int p) {
        BigInteger m = BigInteger.ONE.shiftLeft(p).subtract(BigInteger.ONE);
        BigInteger s = BigInteger.valueOf(4).mod(m);
        BigInteger two = BigInteger.TWO;
        for (int i = 0; i < p - 2; i++) {
            s = s.multiply(s).subtract(two).mod(m);
        }
        return s;
    }

    @Test
    void findsExactlyTheKnownExponentsUpTo3000() {
        byte[] unit = new MersenneUnit(2, 3000).encode();
        MersenneResult result = MersenneResult.decode(new Mersenne().run(unit));
        assertEquals(KNOWN, result.primes());
        assertEquals(new MersenneUnit(2, 3000).exponents().length, result.exponents().size());
        assertEquals(430, result.exponents().size());
    }

    @Test
    void unitsSplitOverTheRangeFindTheSame() {
        List<Integer> primes = new ArrayList<>();
        for (MersenneUnit u : MersenneUnit.split(2, 1300, 97)) {
            primes.addAll(MersenneResult.decode(new Mersenne().run(u.encode())).primes());
        }
        assertEquals(KNOWN.subList(0, 15), primes);
    }

    @Test
    void limbSquaringMatchesBigIntegerAcrossLimbBoundaries() {
        SplittableRandom random = new SplittableRandom(42);
        int[] ps = {3, 5, 7, 13, 31, 32, 33, 61, 63, 64, 65, 95, 96, 97, 127, 128, 521, 1279, 2203, 3001};
        for (int p : ps) {
            LimbMersenneModulus mod = new LimbMersenneModulus(p);
            BigInteger m = BigInteger.ONE.shiftLeft(p).subtract(BigInteger.ONE);
            for (int trial = 0; trial < 50; trial++) {
                BigInteger x;
                switch (trial) {
                    case 0 -> x = BigInteger.ZERO;
                    case 1 -> x = BigInteger.ONE;
                    case 2 -> x = m; // the other zero
                    case 3 -> x = m.subtract(BigInteger.ONE);
                    case 4 -> x = BigInteger.TWO;
                    default -> x = new BigInteger(p, new java.util.Random(random.nextLong())).mod(m.add(BigInteger.ONE));
                }
                int[] s = toLimbs(x, mod.words());
                mod.squareMinus2(s);
                BigInteger expected = x.multiply(x).subtract(BigInteger.TWO).mod(m);
                assertEquals(expected, fromLimbs(s).mod(m), "p=" + p + " x=" + x);
                assertTrue(fromLimbs(s).compareTo(m) <= 0, "stays within [0, M]");
            }
        }
    }

    @Test
    void theWorkloadStepAgreesWithTheLimbImplementation() {
        for (int p : new int[] {3, 31, 33, 64, 89, 97, 1279}) {
            MersenneModulus big = new MersenneModulus(p);
            LimbMersenneModulus limbs = new LimbMersenneModulus(p);
            BigInteger s = BigInteger.valueOf(4);
            int[] l = limbs.four();
            for (int i = 0; i < p - 2; i++) {
                s = big.squareMinus2(s);
                limbs.squareMinus2(l);
                assertEquals(s.longValue(), limbs.low64(l), "p=" + p + " iteration " + i);
            }
            assertEquals(s.signum() == 0, limbs.isZero(l));
        }
    }

    @Test
    void residuesMatchTheReferenceForPrimeAndCompositeExponents() {
        for (int p : new int[] {3, 11, 23, 29, 31, 37, 61, 67, 89, 97, 101, 127, 131, 257, 521, 523}) {
            BigInteger ref = referenceResidue(p);
            MersenneResult.Exponent e = Mersenne.lucasLehmer(p);
            assertEquals(ref.signum() == 0, e.prime(), "p=" + p);
            assertEquals(ref.longValue(), e.res64(), "res64 of p=" + p);
        }
        assertFalse(Mersenne.lucasLehmer(11).prime()); // 2047 = 23 · 89
    }

    @Test
    void resumesFromAnyCheckpointWithTheSameResult() throws Exception {
        byte[] unit = new MersenneUnit(500, 700).encode();
        int checkpoints = Runs.assertResumable(new Mersenne(97), unit, 40);
        assertTrue(checkpoints > 100, "checkpoints: " + checkpoints);
        // a tiny range with p = 2 and p = 3 in it, checkpoints between exponents
        Runs.assertResumable(new Mersenne(1), new MersenneUnit(2, 40).encode(), 100);
    }

    @Test
    void aCheckpointTellsHowManySquaringsWereDone() throws Exception {
        byte[] unit = new MersenneUnit(500, 700).encode();
        List<Long> done = new ArrayList<>();
        new Mersenne(97).run(unit, null, state -> done.add(Mersenne.squaringsDone(unit, state)));
        long total = 0;
        for (int p : MersenneUnit.decode(unit).exponents()) {
            total += p - 2;
        }
        assertEquals(97, done.get(0));
        for (int i = 1; i < done.size(); i++) {
            assertTrue(done.get(i) > done.get(i - 1), "progress only grows: " + done);
        }
        assertTrue(done.get(done.size() - 1) < total && done.get(done.size() - 1) > total - 2 * 97, done::toString);
        List<byte[]> states = new ArrayList<>();
        new Mersenne(97).run(unit, null, states::add);
        assertThrows(BadCheckpointException.class,
                () -> Mersenne.squaringsDone(new MersenneUnit(500, 701).encode(), states.get(0)),
                "a checkpoint of another unit");
    }

    @Test
    void checkpointIntervalDoesNotChangeTheResult() {
        byte[] unit = new MersenneUnit(100, 400).encode();
        assertArrayEquals(new Mersenne().run(unit), new Mersenne(7).run(unit));
    }

    @Test
    void rangesWithoutPrimeExponentsGiveAnEmptyList() {
        MersenneResult r = MersenneResult.decode(new Mersenne().run(new MersenneUnit(24, 28).encode()));
        assertTrue(r.exponents().isEmpty());
    }

    @Test
    void badRangesAreRefusedClearly() {
        assertEquals("mersenne: range 10..9 is empty",
                assertThrows(WorkFormatException.class, () -> new MersenneUnit(10, 9)).getMessage());
        assertTrue(assertThrows(WorkFormatException.class, () -> new MersenneUnit(1, 9)).getMessage().contains("below 2"));
        assertTrue(assertThrows(WorkFormatException.class, () -> new MersenneUnit(2, MersenneUnit.MAX_EXPONENT + 1))
                .getMessage().contains("largest exponent"));
    }

    @Test
    void aCheckpointOfAnotherUnitIsRefused() throws Exception {
        List<byte[]> saved = new ArrayList<>();
        Runs.run(new Mersenne(50), new MersenneUnit(100, 200).encode(), null, saved);
        byte[] other = new MersenneUnit(100, 201).encode();
        BadCheckpointException e = assertThrows(BadCheckpointException.class,
                () -> new Mersenne(50).run(other, saved.get(0), Checkpointer.NONE));
        assertTrue(e.getMessage().contains("another work unit"), e.getMessage());
        byte[] truncated = java.util.Arrays.copyOf(saved.get(3), saved.get(3).length - 1);
        assertThrows(BadCheckpointException.class,
                () -> new Mersenne(50).run(new MersenneUnit(100, 200).encode(), truncated, Checkpointer.NONE));
    }

    @Test
    void validatesResultsAgainstTheUnit() {
        Mersenne w = new Mersenne();
        byte[] unit = new MersenneUnit(2, 100).encode();
        byte[] good = w.run(unit);
        w.validateResult(unit, good);
        byte[] otherRange = w.run(new MersenneUnit(2, 101).encode());
        assertThrows(WorkFormatException.class, () -> w.validateResult(unit, otherRange));
        MersenneResult r = MersenneResult.decode(good);
        List<MersenneResult.Exponent> fewer = new ArrayList<>(r.exponents());
        fewer.remove(5);
        byte[] skipped = new MersenneResult(2, 100, fewer).encode();
        WorkFormatException e = assertThrows(WorkFormatException.class, () -> w.validateResult(unit, skipped));
        assertTrue(e.getMessage().contains("prime exponents"), e.getMessage());
    }

    private static int[] toLimbs(BigInteger x, int n) {
        int[] s = new int[n];
        for (int k = 0; k < n; k++) {
            s[k] = x.shiftRight(32 * k).intValue();
        }
        return s;
    }

    private static BigInteger fromLimbs(int[] s) {
        BigInteger x = BigInteger.ZERO;
        for (int k = s.length - 1; k >= 0; k--) {
            x = x.shiftLeft(32).or(BigInteger.valueOf(s[k] & 0xFFFFFFFFL));
        }
        return x;
    }
}
