package org.isos.apps.compute.work;

import java.util.Arrays;

/**
 * A second, allocation-free implementation of the Lucas–Lehmer step, kept as a cross-check of
 * {@code MersenneModulus}: arithmetic modulo M = 2^p − 1 on little-endian 32-bit limbs (held in an {@code int[]} of
 * {@link #words()} entries), without allocation: schoolbook squaring that computes each cross product
 * once, then reduction by shift-and-add, since 2^p ≡ 1 (mod M). A residue is kept in [0, M]; M itself
 * stands for 0. (It was the workload's first engine; BigInteger's intrinsic squaring is about twice as fast.)
 */
final class LimbMersenneModulus {
    private static final long MASK = 0xFFFFFFFFL;

    private final int p;
    private final int n;
    private final int topBits;
    private final int topMask;
    private final int[] t;

    LimbMersenneModulus(int p) {
        if (p < 2) {
            throw new IllegalArgumentException("p < 2");
        }
        this.p = p;
        this.n = (p + 31) >>> 5;
        this.topBits = p - 32 * (n - 1);
        this.topMask = topBits == 32 ? -1 : (1 << topBits) - 1;
        this.t = new int[2 * n];
    }

    int words() {
        return n;
    }

    /** s ← s² − 2 (mod M): one Lucas–Lehmer step. */
    void squareMinus2(int[] s) {
        square(s);
        minus2(s);
    }

    /** s ← s² (mod M). */
    void square(int[] s) {
        int[] t = this.t;
        int n = this.n;
        Arrays.fill(t, 0);
        // cross products a_i a_j, i < j
        for (int i = 0; i < n - 1; i++) {
            long ai = s[i] & MASK;
            if (ai == 0) {
                continue;
            }
            long carry = 0;
            for (int j = i + 1; j < n; j++) {
                long prod = ai * (s[j] & MASK) + (t[i + j] & MASK) + carry;
                t[i + j] = (int) prod;
                carry = prod >>> 32;
            }
            t[i + n] = (int) carry;
        }
        // double them
        int spill = 0;
        for (int k = 0; k < 2 * n; k++) {
            int w = t[k];
            t[k] = (w << 1) | spill;
            spill = w >>> 31;
        }
        // add the squares a_i²
        long carry = 0;
        for (int i = 0; i < n; i++) {
            long ai = s[i] & MASK;
            long sq = ai * ai;
            long lo = (sq & MASK) + (t[2 * i] & MASK) + carry;
            t[2 * i] = (int) lo;
            long hi = (sq >>> 32) + (t[2 * i + 1] & MASK) + (lo >>> 32);
            t[2 * i + 1] = (int) hi;
            carry = hi >>> 32;
        }
        reduce(s);
    }

    /** s ← t mod M, for a 2n-limb t below 2^2p: low p bits plus the bits above p, then one fold. */
    private void reduce(int[] s) {
        int q = p >>> 5;
        int r = p & 31;
        int[] t = this.t;
        long carry = 0;
        for (int k = 0; k < n; k++) {
            int idx = q + k;
            long hi;
            if (r == 0) {
                hi = t[idx] & MASK;
            } else {
                long next = idx + 1 < t.length ? t[idx + 1] & MASK : 0;
                hi = ((t[idx] & MASK) >>> r) | ((next << (32 - r)) & MASK);
            }
            long lo = t[k] & MASK;
            if (k == n - 1) {
                lo &= topMask & MASK;
            }
            long sum = lo + hi + carry;
            s[k] = (int) sum;
            carry = sum >>> 32;
        }
        long over = topBits == 32 ? carry : (s[n - 1] & MASK) >>> topBits;
        if (topBits < 32) {
            s[n - 1] &= topMask;
        }
        for (int k = 0; over != 0 && k < n; k++) {
            long sum = (s[k] & MASK) + over;
            s[k] = (int) sum;
            over = sum >>> 32;
        }
    }

    /** s ← s − 2 (mod M). */
    void minus2(int[] s) {
        boolean small = (s[0] & MASK) < 2;
        for (int k = 1; small && k < n; k++) {
            small = s[k] == 0;
        }
        if (small) {
            int v = s[0];
            Arrays.fill(s, -1);
            s[n - 1] = topMask;
            s[0] -= 2 - v; // the low limb of M is at least 3 for p >= 2, so no borrow
            return;
        }
        long borrow = 2;
        for (int k = 0; borrow != 0; k++) {
            long d = (s[k] & MASK) - borrow;
            s[k] = (int) d;
            borrow = d < 0 ? 1 : 0;
        }
    }

    /** Whether s ≡ 0 (mod M). */
    boolean isZero(int[] s) {
        boolean zero = true;
        boolean all = (s[n - 1] == topMask);
        for (int k = 0; k < n; k++) {
            zero &= s[k] == 0;
            if (k < n - 1) {
                all &= s[k] == -1;
            }
        }
        return zero || all;
    }

    /** The low 64 bits of s's canonical value in [0, M). */
    long low64(int[] s) {
        if (isZero(s)) {
            return 0;
        }
        long lo = s[0] & MASK;
        return n > 1 ? lo | ((long) s[1] << 32) : lo;
    }

    /** The starting residue 4. */
    int[] four() {
        int[] s = new int[n];
        s[0] = 4;
        return s;
    }
}
