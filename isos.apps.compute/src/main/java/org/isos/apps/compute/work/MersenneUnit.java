package org.isos.apps.compute.work;

/**
 * A Mersenne work unit: Lucas–Lehmer tests of 2^p − 1 for every prime p in [from, to].
 *
 * @param from first exponent, at least 2
 * @param to   last exponent, at least {@code from} and at most {@link #MAX_EXPONENT}
 */
public record MersenneUnit(int from, int to) {

    /** The largest exponent a unit may name (the schoolbook squaring is quadratic: keep units sane). */
    public static final int MAX_EXPONENT = 10_000_000;

    public MersenneUnit {
        if (from < 2) {
            throw new WorkFormatException("mersenne: range " + from + ".." + to + " starts below 2");
        }
        if (to < from) {
            throw new WorkFormatException("mersenne: range " + from + ".." + to + " is empty");
        }
        if (to > MAX_EXPONENT) {
            throw new WorkFormatException("mersenne: range " + from + ".." + to + " goes past the largest exponent " + MAX_EXPONENT);
        }
    }

    public byte[] encode() {
        return ByteWriter.envelope(ByteWriter.UNIT, Mersenne.KIND).varInt(from).varInt(to - from).toBytes();
    }

    public static MersenneUnit decode(byte[] unit) {
        ByteReader r = new ByteReader(unit, "mersenne work unit");
        r.expectEnvelope(ByteWriter.UNIT, Mersenne.KIND);
        int from = r.varInt("from", 2, MAX_EXPONENT);
        int span = r.varInt("range length", 0, MAX_EXPONENT - from);
        r.end();
        return new MersenneUnit(from, from + span);
    }

    /** The prime exponents in the range, ascending. */
    public int[] exponents() {
        int[] primes = new int[16];
        int n = 0;
        for (int p = from; p <= to; p++) {
            if (isPrime(p)) {
                if (n == primes.length) {
                    primes = java.util.Arrays.copyOf(primes, n * 2);
                }
                primes[n++] = p;
            }
        }
        return java.util.Arrays.copyOf(primes, n);
    }

    static boolean isPrime(int n) {
        if (n < 2) {
            return false;
        }
        if (n % 2 == 0) {
            return n == 2;
        }
        for (int d = 3; (long) d * d <= n; d += 2) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }

    /** Splits [from, to] into consecutive units of at most {@code width} exponents each. */
    public static java.util.List<MersenneUnit> split(int from, int to, int width) {
        if (width < 1) {
            throw new WorkFormatException("mersenne: unit width " + width + " must be at least 1");
        }
        new MersenneUnit(from, to);
        java.util.List<MersenneUnit> units = new java.util.ArrayList<>();
        for (long a = from; a <= to; a += width) {
            units.add(new MersenneUnit((int) a, (int) Math.min(to, a + width - 1)));
        }
        return units;
    }
}
