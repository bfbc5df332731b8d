package org.isos.toolkit.erasure.internal;

import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.XOR;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD engine, on the Java Vector API ({@code jdk.incubator.vector}). Multiplication by a constant c uses two
 * 16-entry tables, c·v and c·(16·v) for v = 0..15: each input byte is split into its low and high nibble, each
 * nibble selects from its table with a lane permutation (one {@code vpermb}, {@code pshufb} or {@code tbl}), and
 * the two results are XORed into the accumulator. Each pass over the inputs computes up to eight outputs for two
 * vectors of positions, accumulators in registers, so that the loads and nibble splits of an input are shared.
 *
 * <p>Everything in the loops is written out by hand (no helper methods): the Vector API only compiles to SIMD
 * instructions when the JIT inlines the whole loop. The kernels {@code rows8/4/2/1} are the same code unrolled for
 * 8, 4, 2 and 1 outputs.
 *
 * <p>Why the four near-copies stay (measured with CodecBench on Java 17, AVX-512): (1) a helper for the per-output
 * step or the nibble split is not inlined once the loop is large: C2 stops inlining ordinary methods past its node
 * count cutoff ({@code NodeCountInliningCutoff} in {@code -XX:+PrintInlining}; the Vector API's own methods are
 * force-inlined and exempt), the vectors get boxed, and the kernel ran 10× slower; (2) one kernel with 8 accumulator
 * pairs and {@code if (g >= 2/4/8)} guards around the extra outputs ran 2.5× slower for groups of 8; (3) an array
 * of accumulators would be boxed. Keep the unrolled copies in step when changing one.
 *
 * <p>Only {@link Engines} refers to this class, reflectively, and only when the module is in the boot layer, so the
 * rest of the codec never touches the incubator classes.
 */
public final class VectorEngine implements CodingEngine {

    private static final VectorSpecies<Byte> SPECIES = ByteVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final byte LOW_NIBBLE = 0x0F;
    /** Bytes of input kept hot per block: the block length is this divided by the number of inputs. */
    private static final int BLOCK_BUDGET = 256 * 1024;

    private VectorEngine() {
    }

    /** The engine, or null when the preferred vector shape is too small for 16-entry table lookups. */
    /** Public so {@link Engines} reaches it with plain reflection, which an app's sandbox allows. */
    public static CodingEngine createIfUsable() {
        if (LANES < 16) {
            return null;
        }
        return new VectorEngine();
    }

    @Override
    public String name() {
        return "vector-" + SPECIES.vectorBitSize();
    }

    @Override
    public Kernel prepare(byte[][] matrix) {
        return new VectorKernel(matrix);
    }

    /** The sizes of the groups of outputs computed together: eights, then at most one each of 4, 2 and 1. */
    private static int groupSize(int remainingRows) {
        return remainingRows >= 8 ? 8 : remainingRows >= 4 ? 4 : remainingRows >= 2 ? 2 : 1;
    }

    private static final class VectorKernel implements Kernel {
        private final int rows;
        private final int cols;
        /**
         * The nibble tables. For the group of g outputs starting at row r, the tables of output r + i and input j
         * start at (r·cols + j·g + i)·32: c·v for v = 0..15, then c·(16·v).
         */
        private final byte[] tables;
        private final int blockBytes;
        /** Positions that do not fill two vectors. */
        private final Kernel tail;

        VectorKernel(byte[][] matrix) {
            this.rows = matrix.length;
            this.cols = matrix[0].length;
            // padded so that a full-width load at the last table stays inside the array (only 16 lanes are used)
            this.tables = new byte[rows * cols * 32 + LANES];
            for (int r = 0; r < rows; ) {
                int g = groupSize(rows - r);
                for (int i = 0; i < g; i++) {
                    for (int j = 0; j < cols; j++) {
                        byte[] mul = Gf256.MUL[matrix[r + i][j] & 0xFF];
                        int t = (r * cols + j * g + i) * 32;
                        for (int v = 0; v < 16; v++) {
                            tables[t + v] = mul[v];
                            tables[t + 16 + v] = mul[v << 4];
                        }
                    }
                }
                r += g;
            }
            int block = BLOCK_BUDGET / (cols + 8);
            this.blockBytes = Math.max(LANES * 16, block - block % (2 * LANES));
            this.tail = PortableEngine.INSTANCE.prepare(matrix);
        }

        @Override
        public void apply(byte[][] inputs, int inputOffset, byte[][] outputs, int outputOffset, int count) {
            int vectorBytes = count - count % (2 * LANES);
            int shift = outputOffset - inputOffset;
            for (int start = 0; start < vectorBytes; start += blockBytes) {
                int from = inputOffset + start;
                int to = inputOffset + Math.min(vectorBytes, start + blockBytes);
                for (int r = 0; r < rows; ) {
                    int table = r * cols * 32;
                    switch (groupSize(rows - r)) {
                        case 8 -> rows8(inputs, outputs[r], outputs[r + 1], outputs[r + 2], outputs[r + 3],
                                outputs[r + 4], outputs[r + 5], outputs[r + 6], outputs[r + 7], table, from, to, shift);
                        case 4 -> rows4(inputs, outputs[r], outputs[r + 1], outputs[r + 2], outputs[r + 3],
                                table, from, to, shift);
                        case 2 -> rows2(inputs, outputs[r], outputs[r + 1], table, from, to, shift);
                        default -> rows1(inputs, outputs[r], table, from, to, shift);
                    }
                    r += groupSize(rows - r);
                }
            }
            if (vectorBytes != count) {
                tail.apply(inputs, inputOffset + vectorBytes, outputs, outputOffset + vectorBytes, count - vectorBytes);
            }
        }

        // why: rows8/4/2/1 repeat one loop on purpose: C2 cannot unroll the outputs into register accumulators
        // itself, and folding them (helpers, guards) cost 2.5-10x; see the class comment.

        /** 8 outputs, two vectors per iteration; the tables of input j are at table + j·256. */
        private void rows8(byte[][] in, byte[] o0, byte[] o1, byte[] o2, byte[] o3, byte[] o4, byte[] o5, byte[] o6, byte[] o7, int table, int from, int to, int shift) {
            final byte[] tab = tables;
            final int k = cols;
            for (int p = from; p < to; p += 2 * LANES) {
                int q = p + LANES;
                ByteVector a0 = ByteVector.zero(SPECIES);
                ByteVector a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
                for (int j = 0, t = table; j < k; j++, t += 256) {
                    byte[] src = in[j];
                    ByteVector x = ByteVector.fromArray(SPECIES, src, p);
                    ByteVector y = ByteVector.fromArray(SPECIES, src, q);
                    VectorShuffle<Byte> xl = x.and(LOW_NIBBLE).toShuffle();
                    VectorShuffle<Byte> xh = x.reinterpretAsShorts().lanewise(LSHR, 4).reinterpretAsBytes().and(LOW_NIBBLE).toShuffle();
                    VectorShuffle<Byte> yl = y.and(LOW_NIBBLE).toShuffle();
                    VectorShuffle<Byte> yh = y.reinterpretAsShorts().lanewise(LSHR, 4).reinterpretAsBytes().and(LOW_NIBBLE).toShuffle();
                    ByteVector lo;
                    ByteVector hi;
                    lo = ByteVector.fromArray(SPECIES, tab, t);
                    hi = ByteVector.fromArray(SPECIES, tab, t + 16);
                    a0 = a0.lanewise(XOR, lo.rearrange(xl)).lanewise(XOR, hi.rearrange(xh));
                    b0 = b0.lanewise(XOR, lo.rearrange(yl)).lanewise(XOR, hi.rearrange(yh));
                    lo = ByteVector.fromArray(SPECIES, tab, t + 32);
                    hi = ByteVector.fromArray(SPECIES, tab, t + 48);
                    a1 = a1.lanewise(XOR, lo.rearrange(xl)).lanewise(XOR, hi.rearrange(xh));
                    b1 = b1.lanewise(XOR, lo.rearrange(yl)).lanewise(XOR, hi.rearrange(yh));
                    lo = ByteVector.fromArray(SPECIES, tab, t + 64);
                    hi = ByteVector.fromArray(SPECIES, tab, t + 80);
                    a2 = a2.lanewise(XOR, lo.rearrange(xl)).lanewise(XOR, hi.rearrange(xh));
                    b2 = b2.lanewise(XOR, lo.rearrange(yl)).lanewise(XOR, hi.rearrange(yh));
                    lo = ByteVector.fromArray(SPECIES, tab, t + 96);
                    hi = ByteVector.fromArray(SPECIES, tab, t + 112);
                    a3 = a3.lanewise(XOR, lo.rearrange(xl)).lanewise(XOR, hi.rearrange(xh));
                    b3 = b3.lanewise(XOR, lo.rearrange(yl)).lanewise(XOR, hi.rearrange(yh));
                    lo = ByteVector.fromArray(SPECIES, tab, t + 128);
                    hi = ByteVector.fromArray(SPECIES, tab, t + 144);
                    a4 = a4.lanewise(XOR, lo.rearrange(xl)).lanewise(XOR, hi.rearrange(xh));
                    b4 = b4.lanewise(XOR, lo.rearrange(yl)).lanewise(XOR, hi.rearrange(yh));
                    lo = ByteVector.fromArray(SPECIES, tab, t + 160);
                    hi = ByteVector.fromArray(SPECIES, tab, t + 176);
                    a5 = a5.lanewise(XOR, lo.rearrange(xl)).lanewise(XOR, hi.rearrange(xh));
                    b5 = b5.lanewise(XOR, lo.rearrange(yl)).lanewise(XOR, hi.rearrange(yh));
                    lo = ByteVector.fromArray(SPECIES, tab, t + 192);
                    hi = ByteVector.fromArray(SPECIES, tab, t + 208);
                    a6 = a6.lanewise(XOR, lo.rearrange(xl)).lanewise(XOR, hi.rearrange(xh));
                    b6 = b6.lanewise(XOR, lo.rearrange(yl)).lanewise(XOR, hi.rearrange(yh));
                    lo = ByteVector.fromArray(SPECIES, tab, t + 224);
                    hi = ByteVector.fromArray(SPECIES, tab, t + 240);
                    a7 = a7.lanewise(XOR, lo.rearrange(xl)).lanewise(XOR, hi.rearrange(xh));
                    b7 = b7.lanewise(XOR, lo.rearrange(yl)).lanewise(XOR, hi.rearrange(yh));
                }
                a0.intoArray(o0, p + shift);
                b0.intoArray(o0, q + shift);
                a1.intoArray(o1, p + shift);
                b1.intoArray(o1, q + shift);
                a2.intoArray(o2, p + shift);
                b2.intoArray(o2, q + shift);
                a3.intoArray(o3, p + shift);
                b3.intoArray(o3, q + shift);
                a4.intoArray(o4, p + shift);
                b4.intoArray(o4, q + shift);
                a5.intoArray(o5, p + shift);
                b5.intoArray(o5, q + shift);
                a6.intoArray(o6, p + shift);
                b6.intoArray(o6, q + shift);
                a7.intoArray(o7, p + shift);
                b7.intoArray(o7, q + shift);
            }
        }

        /** 4 outputs, two vectors per iteration; the tables of input j are at table + j·128. */
        private void rows4(byte[][] in, byte[] o0, byte[] o1, byte[] o2, byte[] o3, int table, int from, int to, int shift) {
            final byte[] tab = tables;
            final int k = cols;
            for (int p = from; p < to; p += 2 * LANES) {
                int q = p + LANES;
                ByteVector a0 = ByteVector.zero(SPECIES);
                ByteVector a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
                for (int j = 0, t = table; j < k; j++, t += 128) {
                    byte[] src = in[j];
                    ByteVector x = ByteVector.fromArray(SPECIES, src, p);
                    ByteVector y = ByteVector.fromArray(SPECIES, src, q);
                    VectorShuffle<Byte> xl = x.and(LOW_NIBBLE).toShuffle();
                    VectorShuffle<Byte> xh = x.reinterpretAsShorts().lanewise(LSHR, 4).reinterpretAsBytes().and(LOW_NIBBLE).toShuffle();
                    VectorShuffle<Byte> yl = y.and(LOW_NIBBLE).toShuffle();
                    VectorShuffle<Byte> yh = y.reinterpretAsShorts().lanewise(LSHR, 4).reinterpretAsBytes().and(LOW_NIBBLE).toShuffle();
                    ByteVector lo;
                    ByteVector hi;
                    lo = ByteVector.fromArray(SPECIES, tab, t);
                    hi = ByteVector.fromArray(SPECIES, tab, t + 16);
                    a0 = a0.lanewise(XOR, lo.rearrange(xl)).lanewise(XOR, hi.rearrange(xh));
                    b0 = b0.lanewise(XOR, lo.rearrange(yl)).lanewise(XOR, hi.rearrange(yh));
                    lo = ByteVector.fromArray(SPECIES, tab, t + 32);
                    hi = ByteVector.fromArray(SPECIES, tab, t + 48);
                    a1 = a1.lanewise(XOR, lo.rearrange(xl)).lanewise(XOR, hi.rearrange(xh));
                    b1 = b1.lanewise(XOR, lo.rearrange(yl)).lanewise(XOR, hi.rearrange(yh));
                    lo = ByteVector.fromArray(SPECIES, tab, t + 64);
                    hi = ByteVector.fromArray(SPECIES, tab, t + 80);
                    a2 = a2.lanewise(XOR, lo.rearrange(xl)).lanewise(XOR, hi.rearrange(xh));
                    b2 = b2.lanewise(XOR, lo.rearrange(yl)).lanewise(XOR, hi.rearrange(yh));
                    lo = ByteVector.fromArray(SPECIES, tab, t + 96);
                    hi = ByteVector.fromArray(SPECIES, tab, t + 112);
                    a3 = a3.lanewise(XOR, lo.rearrange(xl)).lanewise(XOR, hi.rearrange(xh));
                    b3 = b3.lanewise(XOR, lo.rearrange(yl)).lanewise(XOR, hi.rearrange(yh));
                }
                a0.intoArray(o0, p + shift);
                b0.intoArray(o0, q + shift);
                a1.intoArray(o1, p + shift);
                b1.intoArray(o1, q + shift);
                a2.intoArray(o2, p + shift);
                b2.intoArray(o2, q + shift);
                a3.intoArray(o3, p + shift);
                b3.intoArray(o3, q + shift);
            }
        }

        /** 2 outputs, two vectors per iteration; the tables of input j are at table + j·64. */
        private void rows2(byte[][] in, byte[] o0, byte[] o1, int table, int from, int to, int shift) {
            final byte[] tab = tables;
            final int k = cols;
            for (int p = from; p < to; p += 2 * LANES) {
                int q = p + LANES;
                ByteVector a0 = ByteVector.zero(SPECIES);
                ByteVector a1 = a0, b0 = a0, b1 = a0;
                for (int j = 0, t = table; j < k; j++, t += 64) {
                    byte[] src = in[j];
                    ByteVector x = ByteVector.fromArray(SPECIES, src, p);
                    ByteVector y = ByteVector.fromArray(SPECIES, src, q);
                    VectorShuffle<Byte> xl = x.and(LOW_NIBBLE).toShuffle();
                    VectorShuffle<Byte> xh = x.reinterpretAsShorts().lanewise(LSHR, 4).reinterpretAsBytes().and(LOW_NIBBLE).toShuffle();
                    VectorShuffle<Byte> yl = y.and(LOW_NIBBLE).toShuffle();
                    VectorShuffle<Byte> yh = y.reinterpretAsShorts().lanewise(LSHR, 4).reinterpretAsBytes().and(LOW_NIBBLE).toShuffle();
                    ByteVector lo;
                    ByteVector hi;
                    lo = ByteVector.fromArray(SPECIES, tab, t);
                    hi = ByteVector.fromArray(SPECIES, tab, t + 16);
                    a0 = a0.lanewise(XOR, lo.rearrange(xl)).lanewise(XOR, hi.rearrange(xh));
                    b0 = b0.lanewise(XOR, lo.rearrange(yl)).lanewise(XOR, hi.rearrange(yh));
                    lo = ByteVector.fromArray(SPECIES, tab, t + 32);
                    hi = ByteVector.fromArray(SPECIES, tab, t + 48);
                    a1 = a1.lanewise(XOR, lo.rearrange(xl)).lanewise(XOR, hi.rearrange(xh));
                    b1 = b1.lanewise(XOR, lo.rearrange(yl)).lanewise(XOR, hi.rearrange(yh));
                }
                a0.intoArray(o0, p + shift);
                b0.intoArray(o0, q + shift);
                a1.intoArray(o1, p + shift);
                b1.intoArray(o1, q + shift);
            }
        }

        /** 1 output, two vectors per iteration; the tables of input j are at table + j·32. */
        private void rows1(byte[][] in, byte[] o0, int table, int from, int to, int shift) {
            final byte[] tab = tables;
            final int k = cols;
            for (int p = from; p < to; p += 2 * LANES) {
                int q = p + LANES;
                ByteVector a0 = ByteVector.zero(SPECIES);
                ByteVector b0 = a0;
                for (int j = 0, t = table; j < k; j++, t += 32) {
                    byte[] src = in[j];
                    ByteVector x = ByteVector.fromArray(SPECIES, src, p);
                    ByteVector y = ByteVector.fromArray(SPECIES, src, q);
                    VectorShuffle<Byte> xl = x.and(LOW_NIBBLE).toShuffle();
                    VectorShuffle<Byte> xh = x.reinterpretAsShorts().lanewise(LSHR, 4).reinterpretAsBytes().and(LOW_NIBBLE).toShuffle();
                    VectorShuffle<Byte> yl = y.and(LOW_NIBBLE).toShuffle();
                    VectorShuffle<Byte> yh = y.reinterpretAsShorts().lanewise(LSHR, 4).reinterpretAsBytes().and(LOW_NIBBLE).toShuffle();
                    ByteVector lo;
                    ByteVector hi;
                    lo = ByteVector.fromArray(SPECIES, tab, t);
                    hi = ByteVector.fromArray(SPECIES, tab, t + 16);
                    a0 = a0.lanewise(XOR, lo.rearrange(xl)).lanewise(XOR, hi.rearrange(xh));
                    b0 = b0.lanewise(XOR, lo.rearrange(yl)).lanewise(XOR, hi.rearrange(yh));
                }
                a0.intoArray(o0, p + shift);
                b0.intoArray(o0, q + shift);
            }
        }

    }
}
