package org.isos.apps.compute.work;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * GIMPS-style work: the Lucas–Lehmer test of 2^p − 1 for each prime p of a {@link MersenneUnit}.
 * s₀ = 4, s_{k+1} = s_k² − 2 (mod 2^p − 1); 2^p − 1 (p odd) is prime iff s_{p−2} ≡ 0; 2^2 − 1 = 3 is
 * prime by definition here. Exact integer arithmetic only ({@link MersenneModulus}).
 * <p>
 * Checkpoints come every {@code checkpointEvery} squarings and after finished exponents once as many
 * steps have passed; they hold the exponent index, the iteration, the residue and the outcomes so far.
 */
public final class Mersenne implements Workload {

    public static final String KIND = "mersenne";
    /** Squarings between checkpoints by default: about 10 ms at p ≈ 3000. */
    public static final int DEFAULT_CHECKPOINT_EVERY = 2_000;

    private static final BigInteger FOUR = BigInteger.valueOf(4);

    private final int checkpointEvery;

    public Mersenne() {
        this(DEFAULT_CHECKPOINT_EVERY);
    }

    public Mersenne(int checkpointEvery) {
        if (checkpointEvery < 1) {
            throw new IllegalArgumentException("checkpointEvery must be at least 1");
        }
        this.checkpointEvery = checkpointEvery;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public void validateUnit(byte[] unit) {
        MersenneUnit.decode(unit);
    }

    @Override
    public void validateResult(byte[] unit, byte[] result) {
        MersenneUnit u = MersenneUnit.decode(unit);
        MersenneResult res = MersenneResult.decode(result);
        if (res.from() != u.from() || res.to() != u.to()) {
            throw new WorkFormatException("mersenne result: covers " + res.from() + ".." + res.to()
                    + ", the unit asked for " + u.from() + ".." + u.to());
        }
        int[] expected = u.exponents();
        if (expected.length != res.exponents().size()) {
            throw new WorkFormatException("mersenne result: " + res.exponents().size() + " exponents, the range has "
                    + expected.length + " prime exponents");
        }
        for (int i = 0; i < expected.length; i++) {
            if (res.exponents().get(i).p() != expected[i]) {
                throw new WorkFormatException("mersenne result: exponent " + res.exponents().get(i).p()
                        + " where the range has " + expected[i]);
            }
        }
    }

    /** Tests one exponent (any p ≥ 2, prime or not) from the start. */
    public static MersenneResult.Exponent lucasLehmer(int p) {
        if (p == 2) {
            return new MersenneResult.Exponent(2, true, 0);
        }
        MersenneModulus mod = new MersenneModulus(p);
        BigInteger s = FOUR;
        for (int i = 0; i < p - 2; i++) {
            s = mod.squareMinus2(s);
        }
        return new MersenneResult.Exponent(p, s.signum() == 0, s.longValue());
    }

    @Override
    public byte[] run(byte[] unit, byte[] checkpoint, Checkpointer checkpointer) throws Exception {
        MersenneUnit u = MersenneUnit.decode(unit);
        int[] ps = u.exponents();
        List<MersenneResult.Exponent> done = new ArrayList<>();
        int index = 0;
        int iteration = 0;
        BigInteger s = null;
        if (checkpoint != null) {
            ByteReader r = ByteReader.checkpoint(checkpoint, KIND, unit);
            index = r.varInt("exponent index", 0, ps.length);
            for (int i = 0; i < index; i++) {
                int flag = r.u8("prime flag");
                if (flag > 1) {
                    throw r.error("prime flag " + flag);
                }
                done.add(new MersenneResult.Exponent(ps[i], flag == 1, r.fixed64("res64")));
            }
            if (index < ps.length) {
                iteration = r.varInt("iteration", 0, Math.max(0, ps[index] - 3));
                if (iteration > 0) {
                    byte[] bytes = r.bytes("residue", ps[index] / 8 + 1);
                    s = bytes.length == 0 ? BigInteger.ZERO : new BigInteger(1, bytes);
                    if (s.compareTo(new MersenneModulus(ps[index]).modulus()) >= 0 || bytes.length > 0 && bytes[0] == 0) {
                        throw r.error("residue is not canonical below 2^" + ps[index] + " − 1");
                    }
                }
            }
            r.end();
        }
        int since = 0;
        for (; index < ps.length; index++) {
            int p = ps[index];
            if (p == 2) {
                done.add(new MersenneResult.Exponent(2, true, 0));
                since++;
            } else {
                MersenneModulus mod = new MersenneModulus(p);
                if (iteration == 0) {
                    s = FOUR;
                }
                int last = p - 2;
                while (iteration < last) {
                    s = mod.squareMinus2(s);
                    iteration++;
                    if (++since >= checkpointEvery && iteration < last) {
                        checkpointer.checkpoint(state(unit, done, index, iteration, s));
                        since = 0;
                    }
                }
                done.add(new MersenneResult.Exponent(p, s.signum() == 0, s.longValue()));
                iteration = 0;
                s = null;
            }
            if (since >= checkpointEvery && index + 1 < ps.length) {
                checkpointer.checkpoint(state(unit, done, index + 1, 0, null));
                since = 0;
            }
        }
        return new MersenneResult(u.from(), u.to(), done).encode();
    }

    /**
     * How far a checkpoint of {@code unit} had got: the Lucas-Lehmer squarings done in it (those of the exponents
     * finished, plus the current one's). Lets an observer tell a resumed unit from one run again from the start.
     *
     * @throws BadCheckpointException if it is no checkpoint of this unit
     */
    public static long squaringsDone(byte[] unit, byte[] checkpoint) {
        int[] ps = MersenneUnit.decode(unit).exponents();
        ByteReader r = ByteReader.checkpoint(checkpoint, KIND, unit);
        int index = r.varInt("exponent index", 0, ps.length);
        long done = 0;
        for (int i = 0; i < index; i++) {
            r.u8("prime flag");
            r.fixed64("res64");
            done += Math.max(0, ps[i] - 2);
        }
        if (index < ps.length) {
            done += r.varInt("iteration", 0, Math.max(0, ps[index] - 3));
        }
        return done;
    }

    private static byte[] state(byte[] unit, List<MersenneResult.Exponent> done, int index, int iteration, BigInteger s) {
        ByteWriter w = ByteWriter.checkpoint(KIND, unit).varInt(index);
        for (MersenneResult.Exponent e : done) {
            w.u8(e.prime() ? 1 : 0).fixed64(e.res64());
        }
        w.varInt(iteration);
        if (iteration > 0) {
            byte[] bytes = s.signum() == 0 ? new byte[0] : s.toByteArray();
            if (bytes.length > 1 && bytes[0] == 0) { // the sign byte of two's complement: drop it
                bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
            }
            w.bytes(bytes);
        }
        return w.toBytes();
    }
}
