package org.isos.toolkit.erasure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReedSolomonTest {

    private final SplittableRandom random = new SplittableRandom(20261128);

    /** A freshly encoded stripe of random data. */
    private byte[][] stripe(ReedSolomon codec, int size) {
        byte[][] shards = new byte[codec.totalShards()][size];
        for (int i = 0; i < codec.dataShards(); i++) {
            random.nextBytes(shards[i]);
        }
        codec.encodeParity(shards, 0, size);
        return shards;
    }

    private static byte[][] copy(byte[][] shards) {
        byte[][] c = new byte[shards.length][];
        for (int i = 0; i < shards.length; i++) {
            c[i] = shards[i] == null ? null : shards[i].clone();
        }
        return c;
    }

    /** Drops the shards not present (garbage or null in their place), decodes, and compares with the original. */
    private void assertDecodes(ReedSolomon codec, byte[][] original, boolean[] present) {
        byte[][] damaged = copy(original);
        for (int i = 0; i < damaged.length; i++) {
            if (!present[i]) {
                if (random.nextBoolean()) {
                    damaged[i] = null;
                } else {
                    random.nextBytes(damaged[i]);
                }
            }
        }
        codec.decodeMissing(damaged, present, 0, original[0].length);
        for (int i = 0; i < damaged.length; i++) {
            assertArrayEquals(original[i], damaged[i], () -> codec.implementation() + " " + codec.dataShards() + "+"
                    + codec.parityShards() + ": shard differs after losing " + missing(present));
        }
    }

    private static String missing(boolean[] present) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < present.length; i++) {
            if (!present[i]) {
                b.append(b.length() > 1 ? "," : "").append(i);
            }
        }
        return b.append(']').toString();
    }

    /** Calls the action with every subset of at most maxLost of n shards lost. */
    private static void forEachLossPattern(int n, int maxLost, java.util.function.Consumer<boolean[]> action) {
        for (int lost = 0; lost <= maxLost; lost++) {
            int[] idx = new int[lost];
            for (int i = 0; i < lost; i++) {
                idx[i] = i;
            }
            while (true) {
                boolean[] present = new boolean[n];
                Arrays.fill(present, true);
                for (int i : idx) {
                    present[i] = false;
                }
                action.accept(present);
                int i = lost - 1;
                while (i >= 0 && idx[i] == n - lost + i) {
                    i--;
                }
                if (i < 0) {
                    break;
                }
                idx[i]++;
                for (int j = i + 1; j < lost; j++) {
                    idx[j] = idx[j - 1] + 1;
                }
            }
        }
    }

    private static boolean[] randomLoss(SplittableRandom random, int n, int lost) {
        boolean[] present = new boolean[n];
        Arrays.fill(present, true);
        for (int l = 0; l < lost; ) {
            int i = random.nextInt(n);
            if (present[i]) {
                present[i] = false;
                l++;
            }
        }
        return present;
    }

    @ParameterizedTest
    @ValueSource(strings = {"4+2", "5+3", "10+4"})
    void everyLossPatternUpToParityCount(String code) {
        String[] km = code.split("\\+");
        int k = Integer.parseInt(km[0]);
        int m = Integer.parseInt(km[1]);
        for (ReedSolomon codec : GoldenVectorsTest.codecs(k, m)) {
            // 300 bytes: two 128-byte vector blocks, then a tail of 44 (five words and four bytes)
            byte[][] original = stripe(codec, 300);
            int[] patterns = {0};
            forEachLossPattern(k + m, m, present -> {
                assertDecodes(codec, original, present);
                patterns[0]++;
            });
            assertEquals(binomialSum(k + m, m), patterns[0]);
        }
    }

    private static int binomialSum(int n, int upTo) {
        int sum = 0;
        long c = 1;
        for (int i = 0; i <= upTo; i++) {
            sum += (int) c;
            c = c * (n - i) / (i + 1);
        }
        return sum;
    }

    @ParameterizedTest
    @ValueSource(strings = {"16+48", "29+51", "200+56", "1+255", "255+1"})
    void randomLossPatternsForLargeCodes(String code) {
        String[] km = code.split("\\+");
        int k = Integer.parseInt(km[0]);
        int m = Integer.parseInt(km[1]);
        for (ReedSolomon codec : GoldenVectorsTest.codecs(k, m)) {
            byte[][] original = stripe(codec, 1000);
            SplittableRandom patterns = new SplittableRandom(k * 1000 + m);
            int n = k + m;
            for (int t = 0; t < 6; t++) {
                // mostly the maximal loss, sometimes less
                int lost = t < 4 ? m : 1 + patterns.nextInt(m);
                assertDecodes(codec, original, randomLoss(patterns, n, lost));
            }
            // the worst case for the work done: the first m shards (as many data shards as possible)
            boolean[] present = new boolean[n];
            Arrays.fill(present, m, n, true);
            assertDecodes(codec, original, present);
        }
    }

    @Test
    void shardSizesFromOneByteUp() {
        int[] sizes = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65, 127, 128, 129, 191, 255, 256, 257, 1000, 4096,
                65_537, (1 << 20) + 3};
        for (ReedSolomon codec : GoldenVectorsTest.codecs(5, 3)) {
            for (int size : sizes) {
                byte[][] original = stripe(codec, size);
                byte[][] data = Arrays.copyOf(original, 5);
                assertArrayEquals(NaiveReedSolomon.parity(5, 3, data), Arrays.copyOfRange(original, 5, 8),
                        codec.implementation() + " parity, size " + size);
                boolean[] present = {false, true, false, true, true, false, true, true};
                assertDecodes(codec, original, present);
            }
        }
    }

    @Test
    void eightMebibyteShards() {
        ReedSolomon codec = ReedSolomon.create(4, 2);
        int size = 8 << 20;
        byte[][] original = stripe(codec, size);
        // compare with the portable implementation, and decode the two worst losses
        byte[][] portable = copy(original);
        Arrays.fill(portable[4], (byte) 0);
        Arrays.fill(portable[5], (byte) 0);
        ReedSolomon.portable(4, 2).encodeParity(portable, 0, size);
        assertTrue(Arrays.equals(original[4], portable[4]) && Arrays.equals(original[5], portable[5]));
        assertDecodes(codec, original, new boolean[] {false, false, true, true, true, true});
        assertTrue(codec.isParityCorrect(original, 0, size));
        original[3][size - 1] ^= 1;
        assertFalse(codec.isParityCorrect(original, 0, size));
    }

    @Test
    void portableAndFastestProduceIdenticalBytes() {
        int[][] shapes = {{1, 1}, {3, 1}, {4, 2}, {6, 3}, {9, 7}, {10, 4}, {12, 12}, {16, 48}, {17, 3}, {29, 51}};
        for (int[] s : shapes) {
            ReedSolomon portable = ReedSolomon.portable(s[0], s[1]);
            ReedSolomon fastest = ReedSolomon.create(s[0], s[1]);
            for (int size : new int[] {5, 100, 128, 129, 1000, 4099, 33_333}) {
                byte[][] a = stripe(portable, size);
                byte[][] b = copy(a);
                for (int i = s[0]; i < b.length; i++) {
                    Arrays.fill(b[i], (byte) 0);
                }
                fastest.encodeParity(b, 0, size);
                assertArrayEquals(a, b, fastest.implementation() + " vs portable, " + s[0] + "+" + s[1] + ", " + size);
                boolean[] present = randomLoss(random, a.length, s[1]);
                byte[][] da = copy(a);
                byte[][] db = copy(a);
                portable.decodeMissing(da, present, 0, size);
                fastest.decodeMissing(db, present, 0, size);
                assertArrayEquals(da, db);
            }
        }
    }

    /** With the module and vectors of at least 16 bytes (any x86-64 or AArch64 with C2), SIMD must be in use. */
    @Test
    void theFastestImplementationIsTheSimdOneWhenTheModuleIsPresent() {
        boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        boolean usable = module && jdk.incubator.vector.VectorShape.preferredShape().vectorBitSize() >= 128;
        String impl = ReedSolomon.create(10, 4).implementation();
        assertEquals(usable, impl.startsWith("vector-"), impl);
        assertEquals("portable", ReedSolomon.portable(10, 4).implementation());
    }

    @Test
    void rangesLeaveTheRestOfTheShardsAlone() {
        for (ReedSolomon codec : GoldenVectorsTest.codecs(6, 3)) {
            int size = 1000;
            byte[][] shards = stripe(codec, size);
            byte[][] before = copy(shards);
            for (int[] range : new int[][] {{0, 0}, {1, 998}, {3, 5}, {129, 257}, {999, 1}, {1000, 0}}) {
                int offset = range[0];
                int count = range[1];
                for (int i = 0; i < 6; i++) {
                    for (int p = offset; p < offset + count; p++) {
                        shards[i][p] = (byte) random.nextInt();
                    }
                }
                byte[][] data = new byte[6][];
                for (int i = 0; i < 6; i++) {
                    data[i] = Arrays.copyOfRange(shards[i], offset, offset + count);
                }
                byte[][] expected = count == 0 ? new byte[3][0] : NaiveReedSolomon.parity(6, 3, data);
                byte[][] outside = copy(shards);
                codec.encodeParity(shards, offset, count);
                for (int i = 0; i < 9; i++) {
                    for (int p = 0; p < size; p++) {
                        if (p < offset || p >= offset + count) {
                            assertEquals(outside[i][p], shards[i][p], "byte outside the range changed");
                        } else if (i >= 6) {
                            assertEquals(expected[i - 6][p - offset], shards[i][p]);
                        }
                    }
                }
                assertTrue(codec.isParityCorrect(shards, offset, count));
                // decode the same range only
                byte[][] damaged = copy(shards);
                boolean[] present = {true, false, true, false, true, true, false, true, true};
                for (int i = 0; i < 9; i++) {
                    if (!present[i]) {
                        Arrays.fill(damaged[i], (byte) 0x5A);
                    }
                }
                codec.decodeMissing(damaged, present, offset, count);
                for (int i = 0; i < 9; i++) {
                    for (int p = offset; p < offset + count; p++) {
                        assertEquals(shards[i][p], damaged[i][p]);
                    }
                    if (!present[i] && offset > 0) {
                        assertEquals((byte) 0x5A, damaged[i][offset - 1], "decoded outside the range");
                    }
                }
            }
            assertNotSame(before, shards);
        }
    }

    @Test
    void isParityCorrectDetectsAnyFlippedByte() {
        for (ReedSolomon codec : GoldenVectorsTest.codecs(10, 4)) {
            int size = 70_000; // several of the blocks isParityCorrect works in
            byte[][] shards = stripe(codec, size);
            assertTrue(codec.isParityCorrect(shards, 0, size));
            for (int t = 0; t < 40; t++) {
                int shard = random.nextInt(14);
                int p = t == 0 ? 0 : t == 1 ? size - 1 : random.nextInt(size);
                int bit = 1 << random.nextInt(8);
                shards[shard][p] ^= (byte) bit;
                assertFalse(codec.isParityCorrect(shards, 0, size), "flip in shard " + shard + " at " + p);
                // outside the checked range it goes unnoticed
                if (p > 0) {
                    assertTrue(codec.isParityCorrect(shards, 0, p));
                }
                shards[shard][p] ^= (byte) bit;
            }
            assertTrue(codec.isParityCorrect(shards, 0, size));
        }
    }

    @Test
    void moreLossThanParityFailsClearly() {
        ReedSolomon codec = ReedSolomon.create(16, 8);
        byte[][] shards = stripe(codec, 64);
        boolean[] present = randomLoss(random, 24, 12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> codec.decodeMissing(shards, present, 0, 64));
        assertEquals("need 16 shards to reconstruct, have 12", e.getMessage());
        boolean[] none = new boolean[24];
        e = assertThrows(IllegalArgumentException.class, () -> codec.decodeMissing(shards, none, 0, 64));
        assertEquals("need 16 shards to reconstruct, have 0", e.getMessage());
    }

    @Test
    void argumentsAreValidated() {
        assertMessage("dataShards must be at least 1, got 0", () -> ReedSolomon.create(0, 1));
        assertMessage("parityShards must be at least 1, got 0", () -> ReedSolomon.create(1, 0));
        assertMessage("dataShards + parityShards must be at most 256, got 200 + 57 = 257",
                () -> ReedSolomon.create(200, 57));
        assertMessage("parityShards must be at least 1, got -3", () -> ReedSolomon.portable(4, -3));
        ReedSolomon codec = ReedSolomon.create(4, 2);
        byte[][] shards = stripe(codec, 10);
        assertMessage("expected 6 shards (4 data + 2 parity), got 5",
                () -> codec.encodeParity(Arrays.copyOf(shards, 5), 0, 10));
        byte[][] withNull = copy(shards);
        withNull[3] = null;
        assertMessage("shard 3 is null", () -> codec.encodeParity(withNull, 0, 10));
        assertMessage("shard 3 is null", () -> codec.isParityCorrect(withNull, 0, 10));
        byte[][] uneven = copy(shards);
        uneven[5] = new byte[11];
        assertMessage("shards must all have the same size: shard 5 has 11 bytes, shard 0 has 10",
                () -> codec.encodeParity(uneven, 0, 10));
        assertMessage("offset must not be negative, got -1", () -> codec.encodeParity(shards, -1, 5));
        assertMessage("byteCount must not be negative, got -5", () -> codec.encodeParity(shards, 0, -5));
        assertMessage("range [6, 11) does not fit in shards of 10 bytes", () -> codec.encodeParity(shards, 6, 5));
        assertMessage("range [1, 2147483648) does not fit in shards of 10 bytes",
                () -> codec.encodeParity(shards, 1, Integer.MAX_VALUE));
        boolean[] present = {true, true, false, true, true, true};
        assertMessage("shardPresent has 5 entries, expected 6",
                () -> codec.decodeMissing(copy(shards), Arrays.copyOf(present, 5), 0, 10));
        assertMessage("shard 3 is marked present but is null",
                () -> codec.decodeMissing(copy(withNull), present, 0, 10));
        byte[][] wrongMissing = copy(shards);
        wrongMissing[2] = new byte[3];
        assertMessage("shards must all have the same size: shard 2 has 3 bytes, shard 0 has 10",
                () -> codec.decodeMissing(wrongMissing, present, 0, 10));
        assertMessage("shards and shardPresent must not be null", () -> codec.decodeMissing(null, present, 0, 10));
    }

    private static void assertMessage(String message, org.junit.jupiter.api.function.Executable call) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
    }

    @Test
    void missingShardsMayBeNull() {
        ReedSolomon codec = ReedSolomon.create(3, 2);
        byte[][] original = stripe(codec, 50);
        byte[][] shards = copy(original);
        shards[0] = null;
        shards[4] = null;
        codec.decodeMissing(shards, new boolean[] {false, true, true, true, false}, 0, 50);
        assertArrayEquals(original, shards);
    }

    @Test
    void decodingMatricesAreCachedPerLossPatternAndBounded() {
        ReedSolomon codec = ReedSolomon.create(10, 4);
        byte[][] original = stripe(codec, 100);
        boolean[] present = {true, false, true, true, true, true, true, true, true, true, false, true, true, true};
        assertEquals(0, codec.cachedDecodePlans());
        assertDecodes(codec, original, present);
        assertDecodes(codec, original, present);
        assertEquals(1, codec.cachedDecodePlans());
        boolean[] all = new boolean[14];
        Arrays.fill(all, true);
        codec.decodeMissing(copy(original), all, 0, 100); // nothing to do, nothing cached
        assertEquals(1, codec.cachedDecodePlans());
        forEachLossPattern(14, 2, p -> assertDecodes(codec, original, p));
        assertEquals(ReedSolomon.DECODE_CACHE_SIZE, codec.cachedDecodePlans());
    }

    @Test
    void oneCodecServesSeveralThreads() throws Exception {
        ReedSolomon codec = ReedSolomon.create(12, 6);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 8; t++) {
                long seed = t;
                results.add(pool.submit(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    byte[][] original = new byte[18][5000];
                    for (int i = 0; i < 12; i++) {
                        r.nextBytes(original[i]);
                    }
                    codec.encodeParity(original, 0, 5000);
                    for (int round = 0; round < 30; round++) {
                        boolean[] present = randomLoss(r, 18, 1 + r.nextInt(6));
                        byte[][] damaged = copy(original);
                        for (int i = 0; i < 18; i++) {
                            if (!present[i]) {
                                damaged[i] = null;
                            }
                        }
                        codec.decodeMissing(damaged, present, 0, 5000);
                        assertArrayEquals(original, damaged);
                    }
                    return null;
                }));
            }
            for (Future<?> f : results) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
