package org.isos.apps.compute.work;

import java.math.BigInteger;

/**
 * The Lucas–Lehmer step modulo M = 2^p − 1: the square by {@link BigInteger#multiply} (the JVM's
 * intrinsic squaring), the reduction by shift-and-add, since 2^p ≡ 1 (mod M): x ≡ (x mod 2^p) + (x >> p),
 * then at most two subtractions of M. Residues are canonical, in [0, M). Exact integers: the same on every host.
 */
final class MersenneModulus {
    private final int p;
    private final BigInteger m;

    MersenneModulus(int p) {
        if (p < 3) {
            throw new IllegalArgumentException("p < 3");
        }
        this.p = p;
        this.m = BigInteger.ONE.shiftLeft(p).subtract(BigInteger.ONE);
    }

    BigInteger modulus() {
        return m;
    }

    /** s² − 2 (mod M), for s in [0, M). */
    BigInteger squareMinus2(BigInteger s) {
        BigInteger x = s.multiply(s);
        BigInteger r = x.and(m).add(x.shiftRight(p));
        while (r.compareTo(m) >= 0) {
            r = r.subtract(m);
        }
        r = r.subtract(BigInteger.TWO);
        return r.signum() < 0 ? r.add(m) : r;
    }
}
