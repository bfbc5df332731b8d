package org.isos.apps.compute.work;

import java.util.ArrayList;
import java.util.List;

/**
 * What a Mersenne unit found: for each prime exponent in the range, ascending, whether 2^p − 1 is
 * prime and the low 64 bits of the final Lucas–Lehmer residue (GIMPS's "res64", 0 for a prime). The
 * residues make a made-up "nothing found" detectable: a replica must match them all.
 */
public record MersenneResult(int from, int to, List<Exponent> exponents) {

    /** One exponent's outcome. */
    public record Exponent(int p, boolean prime, long res64) {
    }

    public MersenneResult {
        exponents = List.copyOf(exponents);
    }

    /** The exponents p whose 2^p − 1 is prime. */
    public List<Integer> primes() {
        List<Integer> primes = new ArrayList<>();
        for (Exponent e : exponents) {
            if (e.prime()) {
                primes.add(e.p());
            }
        }
        return primes;
    }

    public byte[] encode() {
        ByteWriter w = ByteWriter.envelope(ByteWriter.RESULT, Mersenne.KIND).varInt(from).varInt(to - from);
        w.varInt(exponents.size());
        int previous = from;
        for (Exponent e : exponents) {
            w.varInt(e.p() - previous).u8(e.prime() ? 1 : 0).fixed64(e.res64());
            previous = e.p();
        }
        return w.toBytes();
    }

    public static MersenneResult decode(byte[] result) {
        ByteReader r = new ByteReader(result, "mersenne result");
        r.expectEnvelope(ByteWriter.RESULT, Mersenne.KIND);
        int from = r.varInt("from", 2, MersenneUnit.MAX_EXPONENT);
        int to = from + r.varInt("range length", 0, MersenneUnit.MAX_EXPONENT - from);
        int count = r.varInt("exponent count", 0, to - from + 1);
        List<Exponent> exponents = new ArrayList<>(count);
        int p = from;
        for (int i = 0; i < count; i++) {
            int gap = r.varInt("exponent gap", i == 0 ? 0 : 1, to - p);
            p += gap;
            int flag = r.u8("prime flag");
            if (flag > 1) {
                throw r.error("prime flag " + flag + " is neither 0 nor 1");
            }
            long res64 = r.fixed64("res64");
            if (flag == 1 && res64 != 0) {
                throw r.error("exponent " + p + " is marked prime with a non-zero residue");
            }
            exponents.add(new Exponent(p, flag == 1, res64));
        }
        r.end();
        return new MersenneResult(from, to, exponents);
    }
}
