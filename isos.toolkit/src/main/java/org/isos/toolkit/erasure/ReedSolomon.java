package org.isos.toolkit.erasure;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.isos.toolkit.erasure.internal.CodingEngine;
import org.isos.toolkit.erasure.internal.Engines;
import org.isos.toolkit.erasure.internal.GfMatrix;

/**
 * A systematic Reed–Solomon code with {@code k} data shards and {@code m} parity shards over GF(2^8): any {@code k}
 * of the {@code n = k + m ≤ 256} shards reconstruct the others. Bit-for-bit compatible with Backblaze
 * JavaReedSolomon: field polynomial x^8+x^4+x^3+x^2+1 (0x11D), encoding matrix V·(top k×k of V)^-1 for the n×k
 * Vandermonde matrix V[r][c] = r^c, whose top k rows are the identity.
 *
 * <p>Shards are passed as {@code byte[n][]}, data shards first ({@code shards[0..k)}), then parity shards
 * ({@code shards[k..n)}); all shards have the same length and only the range {@code [offset, offset + byteCount)}
 * of each is read or written. The shards must be distinct arrays.
 *
 * <p>Instances are immutable apart from an internal cache of decoding matrices and may be shared between threads
 * (calls working on the same shard arrays must of course not overlap).
 */
public final class ReedSolomon {

    /** The largest number of shards, data and parity together, that GF(2^8) allows. */
    public static final int MAX_TOTAL_SHARDS = 256;
    /** How many decoding matrices (one per pattern of present shards) an instance keeps. */
    static final int DECODE_CACHE_SIZE = 64;

    private final int dataShards;
    private final int parityShards;
    private final int totalShards;
    private final CodingEngine engine;
    private final byte[][] encodingMatrix;
    private final CodingEngine.Kernel parity;
    private final Map<PresentShards, DecodePlan> decodePlans =
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<PresentShards, DecodePlan> eldest) {
                    return size() > DECODE_CACHE_SIZE;
                }
            };

    private ReedSolomon(int dataShards, int parityShards, CodingEngine engine) {
        if (dataShards < 1) {
            throw new IllegalArgumentException("dataShards must be at least 1, got " + dataShards);
        }
        if (parityShards < 1) {
            throw new IllegalArgumentException("parityShards must be at least 1, got " + parityShards);
        }
        if (dataShards + parityShards > MAX_TOTAL_SHARDS) {
            throw new IllegalArgumentException("dataShards + parityShards must be at most " + MAX_TOTAL_SHARDS
                    + ", got " + dataShards + " + " + parityShards + " = " + (dataShards + parityShards));
        }
        this.dataShards = dataShards;
        this.parityShards = parityShards;
        this.totalShards = dataShards + parityShards;
        this.engine = engine;
        this.encodingMatrix = GfMatrix.encodingMatrix(dataShards, totalShards);
        this.parity = engine.prepare(GfMatrix.rows(encodingMatrix, dataShards, totalShards));
    }

    /**
     * A codec on the fastest implementation available: the SIMD one when the JVM runs with
     * {@code --add-modules jdk.incubator.vector} (and the system property {@code org.isos.toolkit.erasure.simd} is
     * not {@code false}), else the portable one. Both produce identical bytes.
     *
     * @throws IllegalArgumentException unless 1 ≤ dataShards, 1 ≤ parityShards and dataShards + parityShards ≤ 256
     */
    public static ReedSolomon create(int dataShards, int parityShards) {
        return new ReedSolomon(dataShards, parityShards, Engines.best());
    }

    /** A codec on the portable implementation (plain Java, no incubator module), whatever the JVM offers. */
    public static ReedSolomon portable(int dataShards, int parityShards) {
        return new ReedSolomon(dataShards, parityShards, Engines.portable());
    }

    public int dataShards() {
        return dataShards;
    }

    public int parityShards() {
        return parityShards;
    }

    public int totalShards() {
        return totalShards;
    }

    /** The implementation in use: {@code "portable"} or {@code "vector-<bits>"}, e.g. {@code "vector-512"}. */
    public String implementation() {
        return engine.name();
    }

    /**
     * Computes the parity shards {@code shards[k..n)} from the data shards {@code shards[0..k)} over the byte range
     * {@code [offset, offset + byteCount)}.
     *
     * @throws IllegalArgumentException if there are not n shards, one is null, their sizes differ, or the range
     *         does not fit
     */
    public void encodeParity(byte[][] shards, int offset, int byteCount) {
        checkShards(shards, offset, byteCount);
        parity.apply(Arrays.copyOfRange(shards, 0, dataShards), offset,
                Arrays.copyOfRange(shards, dataShards, totalShards), offset, byteCount);
    }

    /**
     * Whether the parity shards match the data shards over {@code [offset, offset + byteCount)}. Works in blocks,
     * so its extra memory stays small whatever the shard size.
     *
     * @throws IllegalArgumentException as {@link #encodeParity}
     */
    public boolean isParityCorrect(byte[][] shards, int offset, int byteCount) {
        checkShards(shards, offset, byteCount);
        byte[][] data = Arrays.copyOfRange(shards, 0, dataShards);
        int block = Math.min(byteCount, 16 * 1024);
        byte[][] expected = new byte[parityShards][block];
        for (int done = 0; done < byteCount; done += block) {
            int len = Math.min(block, byteCount - done);
            parity.apply(data, offset + done, expected, 0, len);
            for (int i = 0; i < parityShards; i++) {
                int from = offset + done;
                if (!Arrays.equals(expected[i], 0, len, shards[dataShards + i], from, from + len)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Reconstructs every shard {@code i} with {@code !shardPresent[i]} from the present ones, over
     * {@code [offset, offset + byteCount)}. A missing shard may be {@code null}, in which case an array of the
     * common shard size is allocated and stored into {@code shards[i]}; otherwise it is overwritten in that range.
     * Present shards are only read.
     *
     * @throws IllegalArgumentException if fewer than k shards are present ("need 16 shards to reconstruct, have
     *         12"), a present shard is null, sizes differ, or the range does not fit
     */
    public void decodeMissing(byte[][] shards, boolean[] shardPresent, int offset, int byteCount) {
        if (shards == null || shardPresent == null) {
            throw new IllegalArgumentException("shards and shardPresent must not be null");
        }
        if (shards.length != totalShards) {
            throw new IllegalArgumentException("expected " + totalShards + " shards (" + dataShards + " data + "
                    + parityShards + " parity), got " + shards.length);
        }
        if (shardPresent.length != totalShards) {
            throw new IllegalArgumentException("shardPresent has " + shardPresent.length + " entries, expected "
                    + totalShards);
        }
        int present = 0;
        int size = -1;
        int first = -1;
        for (int i = 0; i < totalShards; i++) {
            if (!shardPresent[i]) {
                continue;
            }
            present++;
            if (shards[i] == null) {
                throw new IllegalArgumentException("shard " + i + " is marked present but is null");
            }
            if (size < 0) {
                size = shards[i].length;
                first = i;
            } else if (shards[i].length != size) {
                throw sizeMismatch(i, shards[i].length, first, size);
            }
        }
        if (present < dataShards) {
            throw new IllegalArgumentException("need " + dataShards + " shards to reconstruct, have " + present);
        }
        checkRange(offset, byteCount, size);
        if (present == totalShards) {
            return;
        }
        for (int i = 0; i < totalShards; i++) {
            if (!shardPresent[i]) {
                if (shards[i] == null) {
                    shards[i] = new byte[size];
                } else if (shards[i].length != size) {
                    throw sizeMismatch(i, shards[i].length, first, size);
                }
            }
        }
        DecodePlan plan = decodePlan(shardPresent);
        byte[][] inputs = new byte[dataShards][];
        for (int j = 0; j < dataShards; j++) {
            inputs[j] = shards[plan.sources[j]];
        }
        byte[][] outputs = new byte[plan.targets.length][];
        for (int i = 0; i < outputs.length; i++) {
            outputs[i] = shards[plan.targets[i]];
        }
        plan.kernel.apply(inputs, offset, outputs, offset, byteCount);
    }

    /** The number of decoding matrices currently cached (for tests). */
    int cachedDecodePlans() {
        synchronized (decodePlans) {
            return decodePlans.size();
        }
    }

    private DecodePlan decodePlan(boolean[] shardPresent) {
        PresentShards key = new PresentShards(shardPresent);
        synchronized (decodePlans) {
            DecodePlan plan = decodePlans.get(key);
            if (plan != null) {
                return plan;
            }
        }
        DecodePlan plan = newDecodePlan(shardPresent);
        synchronized (decodePlans) {
            DecodePlan raced = decodePlans.putIfAbsent(key, plan);
            return raced != null ? raced : plan;
        }
    }

    /**
     * Inverts the rows of the encoding matrix of the first k present shards. Row d of the inverse rebuilds data
     * shard d; encoding row p times the inverse rebuilds parity shard p directly from the same k shards, so a
     * single pass over the inputs produces every missing shard.
     */
    private DecodePlan newDecodePlan(boolean[] shardPresent) {
        int[] sources = new int[dataShards];
        int[] targets = new int[totalShards];
        int s = 0;
        int t = 0;
        for (int i = 0; i < totalShards; i++) {
            if (!shardPresent[i]) {
                targets[t++] = i;
            } else if (s < dataShards) {
                sources[s++] = i;
            }
        }
        targets = Arrays.copyOf(targets, t);
        byte[][] sub = new byte[dataShards][];
        for (int j = 0; j < dataShards; j++) {
            sub[j] = encodingMatrix[sources[j]];
        }
        byte[][] inverse = GfMatrix.invert(sub);
        byte[][] rows = new byte[t][];
        for (int i = 0; i < t; i++) {
            int target = targets[i];
            rows[i] = target < dataShards
                    ? inverse[target]
                    : GfMatrix.multiply(new byte[][] {encodingMatrix[target]}, inverse)[0];
        }
        return new DecodePlan(sources, targets, engine.prepare(rows));
    }

    private void checkShards(byte[][] shards, int offset, int byteCount) {
        if (shards == null) {
            throw new IllegalArgumentException("shards must not be null");
        }
        if (shards.length != totalShards) {
            throw new IllegalArgumentException("expected " + totalShards + " shards (" + dataShards + " data + "
                    + parityShards + " parity), got " + shards.length);
        }
        for (int i = 0; i < totalShards; i++) {
            if (shards[i] == null) {
                throw new IllegalArgumentException("shard " + i + " is null");
            }
            if (shards[i].length != shards[0].length) {
                throw sizeMismatch(i, shards[i].length, 0, shards[0].length);
            }
        }
        checkRange(offset, byteCount, shards[0].length);
    }

    private static void checkRange(int offset, int byteCount, int size) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative, got " + offset);
        }
        if (byteCount < 0) {
            throw new IllegalArgumentException("byteCount must not be negative, got " + byteCount);
        }
        if (offset > size || byteCount > size - offset) {
            throw new IllegalArgumentException("range [" + offset + ", " + ((long) offset + byteCount)
                    + ") does not fit in shards of " + size + " bytes");
        }
    }

    private static IllegalArgumentException sizeMismatch(int shard, int length, int reference, int size) {
        return new IllegalArgumentException("shards must all have the same size: shard " + shard + " has " + length
                + " bytes, shard " + reference + " has " + size);
    }

    private record DecodePlan(int[] sources, int[] targets, CodingEngine.Kernel kernel) {
    }

    /** The set of present shards, as an immutable bit set usable as a map key. */
    private static final class PresentShards {
        private final long[] bits;
        private final int hash;

        PresentShards(boolean[] present) {
            bits = new long[(present.length + 63) >>> 6];
            for (int i = 0; i < present.length; i++) {
                if (present[i]) {
                    bits[i >>> 6] |= 1L << i;
                }
            }
            hash = Arrays.hashCode(bits);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PresentShards other && Arrays.equals(bits, other.bits);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
