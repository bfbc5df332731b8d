package org.isos.toolkit.erasure.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The portable engine: plain Java, no incubator module. Shards are processed eight bytes at a time as {@code long}
 * words, bit-sliced: for each input word x the engine computes x·2^b for b = 0..7 in every byte lane at once
 * (a shift, a mask and a conditional XOR with 0x1D per doubling), and c·x is the XOR of the x·2^b for the set bits
 * b of c. The doublings are shared by all outputs, and every remaining step is a simple loop over {@code long[]}
 * blocks that the JIT compiles to SIMD instructions where the CPU has them. Tails shorter than eight bytes use
 * the 256×256 product table.
 */
public final class PortableEngine implements CodingEngine {

    public static final PortableEngine INSTANCE = new PortableEngine();

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long REDUCE = 0x1D1D1D1D1D1D1D1DL;

    private PortableEngine() {
    }

    @Override
    public String name() {
        return "portable";
    }

    @Override
    public Kernel prepare(byte[][] matrix) {
        return new PortableKernel(matrix);
    }

    private static final class PortableKernel implements Kernel {
        private final byte[][] matrix;
        private final int rows;
        private final int cols;
        /** bits[i][j]: the set bits of matrix[i][j], lowest first. */
        private final byte[][][] bits;
        /** topBit[j]: the highest set bit of any coefficient in column j, -1 for an all-zero column. */
        private final int[] topBit;
        private final int blockLongs;

        PortableKernel(byte[][] matrix) {
            this.rows = matrix.length;
            this.cols = matrix[0].length;
            this.matrix = new byte[rows][];
            this.bits = new byte[rows][cols][];
            this.topBit = new int[cols];
            java.util.Arrays.fill(topBit, -1);
            for (int i = 0; i < rows; i++) {
                this.matrix[i] = matrix[i].clone();
                for (int j = 0; j < cols; j++) {
                    int c = matrix[i][j] & 0xFF;
                    byte[] b = new byte[Integer.bitCount(c)];
                    for (int bit = 0, n = 0; bit < 8; bit++) {
                        if ((c & (1 << bit)) != 0) {
                            b[n++] = (byte) bit;
                            topBit[j] = Math.max(topBit[j], bit);
                        }
                    }
                    bits[i][j] = b;
                }
            }
            // measured: 2 KiB blocks keep a few outputs' working set in L1; with many outputs it lives in L2
            // anyway and 4 KiB blocks halve the per-pass overhead
            this.blockLongs = rows <= 16 ? 256 : 512;
        }

        @Override
        public void apply(byte[][] inputs, int inputOffset, byte[][] outputs, int outputOffset, int count) {
            int words = count >>> 3;
            if (words > 0) {
                applyWords(inputs, inputOffset, outputs, outputOffset, words);
            }
            int tail = count & 7;
            if (tail != 0) {
                int done = words << 3;
                for (int i = 0; i < rows; i++) {
                    Gf256.mulAddBytes(matrix[i], inputs, inputOffset + done, outputs[i], outputOffset + done, tail);
                }
            }
        }

        private void applyWords(byte[][] inputs, int inputOffset, byte[][] outputs, int outputOffset, int words) {
            int block = Math.min(blockLongs, words);
            long[][] pow = new long[8][block];
            long[][] acc = new long[rows][block];
            boolean[] started = new boolean[rows];
            for (int base = 0; base < words; base += block) {
                int len = Math.min(block, words - base);
                int in = inputOffset + (base << 3);
                int out = outputOffset + (base << 3);
                java.util.Arrays.fill(started, false);
                for (int j = 0; j < cols; j++) {
                    int top = topBit[j];
                    if (top < 0) {
                        continue;
                    }
                    load(inputs[j], in, pow[0], len);
                    for (int b = 1; b <= top; b++) {
                        times2(pow[b - 1], pow[b], len);
                    }
                    for (int i = 0; i < rows; i++) {
                        byte[] set = bits[i][j];
                        if (set.length != 0) {
                            accumulate(acc[i], pow, set, len, started[i]);
                            started[i] = true;
                        }
                    }
                }
                for (int i = 0; i < rows; i++) {
                    if (started[i]) {
                        store(acc[i], outputs[i], out, len);
                    } else {
                        java.util.Arrays.fill(outputs[i], out, out + (len << 3), (byte) 0);
                    }
                }
            }
        }
    }

    private static void load(byte[] src, int at, long[] dst, int len) {
        for (int q = 0; q < len; q++) {
            dst[q] = (long) LONGS.get(src, at + (q << 3));
        }
    }

    private static void store(long[] src, byte[] dst, int at, int len) {
        for (int q = 0; q < len; q++) {
            LONGS.set(dst, at + (q << 3), src[q]);
        }
    }

    /** dst = 2·src in each of the eight byte lanes. */
    static void times2(long[] src, long[] dst, int len) {
        for (int q = 0; q < len; q++) {
            long x = src[q];
            long h = x & HIGH_BITS;
            // (h << 1) - (h >>> 7) is 0xFF in every byte whose top bit is set, 0x00 elsewhere
            dst[q] = ((x ^ h) << 1) ^ (((h << 1) - (h >>> 7)) & REDUCE);
        }
    }

    /**
     * acc (=|^=) XOR of pow[b] for b in set, at most four terms per pass. Setting is the same sum with its first
     * term in place of acc, so one family of loops {@code xor(dst, s0, s1, ...)} serves both.
     */
    private static void accumulate(long[] acc, long[][] pow, byte[] set, int len, boolean add) {
        int n = set.length;
        int s = 0;
        while (s < n) {
            int end = Math.min(n, s + 4);
            long[] first = add ? acc : pow[set[s++]];
            switch (end - s) {
                case 0 -> System.arraycopy(first, 0, acc, 0, len);
                case 1 -> xor(acc, first, pow[set[s]], len);
                case 2 -> xor(acc, first, pow[set[s]], pow[set[s + 1]], len);
                case 3 -> xor(acc, first, pow[set[s]], pow[set[s + 1]], pow[set[s + 2]], len);
                default -> xor(acc, first, pow[set[s]], pow[set[s + 1]], pow[set[s + 2]], pow[set[s + 3]], len);
            }
            s = end;
            add = true;
        }
    }

    // why: one loop per number of sources, not a loop over a source array: fusing up to five streams in one pass
    // is what keeps acc in registers, and C2 only vectorizes the fused form when the sources are fixed.

    private static void xor(long[] dst, long[] a, long[] b, int len) {
        for (int q = 0; q < len; q++) {
            dst[q] = a[q] ^ b[q];
        }
    }

    private static void xor(long[] dst, long[] a, long[] b, long[] c, int len) {
        for (int q = 0; q < len; q++) {
            dst[q] = a[q] ^ b[q] ^ c[q];
        }
    }

    private static void xor(long[] dst, long[] a, long[] b, long[] c, long[] d, int len) {
        for (int q = 0; q < len; q++) {
            dst[q] = a[q] ^ b[q] ^ c[q] ^ d[q];
        }
    }

    private static void xor(long[] dst, long[] a, long[] b, long[] c, long[] d, long[] e, int len) {
        for (int q = 0; q < len; q++) {
            dst[q] = a[q] ^ b[q] ^ c[q] ^ d[q] ^ e[q];
        }
    }
}
