package org.isos.toolkit.erasure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.isos.toolkit.erasure.internal.GfMatrix;
import org.junit.jupiter.api.Test;

/**
 * Byte compatibility with Backblaze JavaReedSolomon. The expected bytes are literals derived from the mathematics
 * (field 0x11D, encoding matrix V·(top of V)^-1) by hand or with an independent implementation, and are checked
 * three ways: against the codec (portable and fastest), and against {@link NaiveReedSolomon}.
 */
class GoldenVectorsTest {

    /** Every implementation available here: the portable one, and the SIMD one when the module is present. */
    static List<ReedSolomon> codecs(int k, int m) {
        List<ReedSolomon> codecs = new ArrayList<>();
        codecs.add(ReedSolomon.portable(k, m));
        ReedSolomon best = ReedSolomon.create(k, m);
        if (!best.implementation().equals("portable")) {
            codecs.add(best);
        }
        return codecs;
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static void assertParity(int k, int m, byte[][] data, byte[][] expectedParity) {
        assertArrayEquals(expectedParity, NaiveReedSolomon.parity(k, m, data), "naive reference");
        for (ReedSolomon codec : codecs(k, m)) {
            byte[][] shards = new byte[k + m][];
            for (int i = 0; i < k; i++) {
                shards[i] = data[i].clone();
            }
            for (int i = 0; i < m; i++) {
                shards[k + i] = new byte[data[0].length];
            }
            codec.encodeParity(shards, 0, data[0].length);
            for (int i = 0; i < m; i++) {
                assertArrayEquals(expectedParity[i], shards[k + i], codec.implementation() + ", parity " + i);
            }
        }
    }

    /**
     * k = 2, n = 3 by hand. V = [[1,0],[1,1],[1,2]] (row r is (r^0, r^1)); its top is [[1,0],[1,1]], which is its
     * own inverse in characteristic 2; so parity row = [1,2]·[[1,0],[1,1]] = [1⊕2, 2] = [3, 2] and
     * p = 3·d0 ⊕ 2·d1. With 2·0x80 = 0x100 ⊕ 0x11D = 0x1D, 3·0x80 = 0x1D ⊕ 0x80 = 0x9D:
     * (0,1) → 2; (1,1) → 3⊕2 = 1; (0x80,2) → 0x9D⊕4 = 0x99; (0xFF,0xFF) → (2⊕3)·0xFF = 0xFF.
     */
    @Test
    void twoPlusOneByHand() {
        assertEquals(List.of(3, 2), row(NaiveReedSolomon.encodingMatrix(2, 3)[2]));
        assertParity(2, 1, new byte[][] {bytes(0x00, 0x01, 0x80, 0xFF), bytes(0x01, 0x01, 0x02, 0xFF)},
                new byte[][] {bytes(0x02, 0x01, 0x99, 0xFF)});
    }

    /** k = 3, n = 5: parity rows [1,1,1] and [15,8,6]. */
    @Test
    void threePlusTwoMatrix() {
        int[][] e = NaiveReedSolomon.encodingMatrix(3, 5);
        assertEquals(List.of(1, 1, 1), row(e[3]));
        assertEquals(List.of(15, 8, 6), row(e[4]));
        byte[][] production = GfMatrix.encodingMatrix(3, 5);
        assertArrayEquals(bytes(1, 1, 1), production[3]);
        assertArrayEquals(bytes(15, 8, 6), production[4]);
    }

    /** k = 4, n = 6: parity rows [0x1B,0x1C,0x12,0x14] and [0x1C,0x1B,0x14,0x12]. */
    @Test
    void fourPlusTwo() {
        int[][] e = NaiveReedSolomon.encodingMatrix(4, 6);
        assertEquals(List.of(0x1B, 0x1C, 0x12, 0x14), row(e[4]));
        assertEquals(List.of(0x1C, 0x1B, 0x14, 0x12), row(e[5]));
        assertParity(4, 2,
                new byte[][] {bytes(0, 1, 2), bytes(3, 4, 5), bytes(6, 7, 8), bytes(9, 10, 0xFF)},
                new byte[][] {bytes(0xFC, 0x9D, 0x5A), bytes(0xD7, 0xA8, 0x47)});
    }

    /** The 5+5 vector published in JavaReedSolomon's own test suite (ReedSolomonTest.testOneEncode). */
    @Test
    void fivePlusFiveFromJavaReedSolomon() {
        assertParity(5, 5,
                new byte[][] {bytes(0, 1), bytes(4, 5), bytes(2, 3), bytes(6, 7), bytes(8, 9)},
                new byte[][] {bytes(12, 13), bytes(10, 11), bytes(14, 15), bytes(90, 91), bytes(94, 95)});
    }

    /** The production encoding matrix equals the naive one, up to the largest shapes. */
    @Test
    void encodingMatricesMatchTheNaiveReference() {
        int[][] shapes = {{1, 1}, {2, 1}, {4, 2}, {10, 4}, {16, 48}, {29, 51}, {17, 3}, {128, 128}, {200, 56}, {1, 255}};
        for (int[] s : shapes) {
            int k = s[0];
            int n = s[0] + s[1];
            int[][] naive = NaiveReedSolomon.encodingMatrix(k, n);
            byte[][] production = GfMatrix.encodingMatrix(k, n);
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < k; c++) {
                    assertEquals(naive[r][c], production[r][c] & 0xFF, k + "+" + s[1] + " at " + r + "," + c);
                }
            }
        }
    }

    /** Random data for a few shapes: the codec and the naive reference agree byte for byte. */
    @Test
    void randomDataMatchesTheNaiveReference() {
        SplittableRandom random = new SplittableRandom(7);
        int[][] shapes = {{3, 2}, {10, 4}, {16, 48}, {29, 51}};
        for (int[] s : shapes) {
            int k = s[0];
            int m = s[1];
            byte[][] data = new byte[k][301];
            for (byte[] d : data) {
                random.nextBytes(d);
            }
            assertParity(k, m, data, NaiveReedSolomon.parity(k, m, data));
        }
    }

    private static List<Integer> row(int[] r) {
        List<Integer> l = new ArrayList<>();
        for (int x : r) {
            l.add(x);
        }
        return l;
    }
}
