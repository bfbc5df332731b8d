package org.isos.apps.compute.work;

import java.util.Arrays;

/**
 * Integer alignment scores: an alphabet of upper-case letters, a substitution matrix over it, and
 * affine gap penalties. A gap of length L costs {@code gapOpen + gapExtend * L}.
 */
public final class Scoring {

    public static final int MAX_ALPHABET = 32;
    public static final int MAX_SCORE = 1_000;

    private final String alphabet;
    private final int[][] matrix;
    private final int gapOpen;
    private final int gapExtend;
    private final byte[] codes = new byte[128];

    /**
     * @param matrix row-major, {@code alphabet.length()²} entries: {@code matrix[a * size + b]} scores letter a against b
     */
    public Scoring(String alphabet, int[] matrix, int gapOpen, int gapExtend) {
        int size = alphabet.length();
        if (size < 1 || size > MAX_ALPHABET) {
            throw new WorkFormatException("scoring: alphabet must have 1 to " + MAX_ALPHABET + " letters, not " + size);
        }
        Arrays.fill(codes, (byte) -1);
        for (int i = 0; i < size; i++) {
            char c = alphabet.charAt(i);
            if (!((c >= 'A' && c <= 'Z') || c == '*')) {
                throw new WorkFormatException("scoring: alphabet letter '" + c + "' is not A-Z or '*'");
            }
            if (codes[c] >= 0) {
                throw new WorkFormatException("scoring: alphabet letter '" + c + "' appears twice");
            }
            codes[c] = (byte) i;
        }
        if (matrix.length != size * size) {
            throw new WorkFormatException("scoring: matrix has " + matrix.length + " entries, the alphabet needs " + size * size);
        }
        for (int v : matrix) {
            if (v < -MAX_SCORE || v > MAX_SCORE) {
                throw new WorkFormatException("scoring: matrix entry " + v + " is outside [-" + MAX_SCORE + ", " + MAX_SCORE + "]");
            }
        }
        if (gapOpen < 0 || gapOpen > MAX_SCORE) {
            throw new WorkFormatException("scoring: gap open " + gapOpen + " is outside [0, " + MAX_SCORE + "]");
        }
        if (gapExtend < 1 || gapExtend > MAX_SCORE) {
            throw new WorkFormatException("scoring: gap extend " + gapExtend + " is outside [1, " + MAX_SCORE + "]");
        }
        this.alphabet = alphabet;
        this.matrix = new int[size][size];
        for (int a = 0; a < size; a++) {
            this.matrix[a] = Arrays.copyOfRange(matrix, a * size, a * size + size);
        }
        this.gapOpen = gapOpen;
        this.gapExtend = gapExtend;
    }

    /** Match/mismatch scores over {@code alphabet}. */
    public static Scoring simple(String alphabet, int match, int mismatch, int gapOpen, int gapExtend) {
        int size = alphabet.length();
        int[] m = new int[size * size];
        for (int a = 0; a < size; a++) {
            for (int b = 0; b < size; b++) {
                m[a * size + b] = a == b ? match : mismatch;
            }
        }
        return new Scoring(alphabet, m, gapOpen, gapExtend);
    }

    /** DNA with BLASTN-like scores: ACGT, match 2, mismatch −3, gap 5 + 2·L; N scores −1 against anything. */
    public static Scoring dna() {
        String alphabet = "ACGTN";
        int[] m = new int[25];
        for (int a = 0; a < 5; a++) {
            for (int b = 0; b < 5; b++) {
                m[a * 5 + b] = (a == 4 || b == 4) ? -1 : a == b ? 2 : -3;
            }
        }
        return new Scoring(alphabet, m, 5, 2);
    }

    public String alphabet() {
        return alphabet;
    }

    public int gapOpen() {
        return gapOpen;
    }

    public int gapExtend() {
        return gapExtend;
    }

    /** The score of code a against code b. */
    public int score(int a, int b) {
        return matrix[a][b];
    }

    /** The row of scores of code a against every code (shared: do not modify). */
    int[] row(int a) {
        return matrix[a];
    }

    /** A letter's code (upper or lower case), or −1 when it is not in the alphabet. */
    public int code(char c) {
        if (c >= 'a' && c <= 'z') {
            c = (char) (c - 32);
        }
        return c < 128 ? codes[c] : -1;
    }

    void encode(ByteWriter w) {
        w.ascii(alphabet);
        for (int[] row : matrix) {
            for (int v : row) {
                w.signed(v);
            }
        }
        w.varInt(gapOpen).varInt(gapExtend);
    }

    static Scoring decode(ByteReader r) {
        String alphabet = r.ascii("alphabet", MAX_ALPHABET);
        int size = alphabet.length();
        int[] m = new int[size * size];
        for (int i = 0; i < m.length; i++) {
            long v = r.signed("matrix entry");
            if (v < -MAX_SCORE || v > MAX_SCORE) {
                throw r.error("matrix entry " + v + " is outside [-" + MAX_SCORE + ", " + MAX_SCORE + "]");
            }
            m[i] = (int) v;
        }
        int open = r.varInt("gap open", 0, MAX_SCORE);
        int extend = r.varInt("gap extend", 1, MAX_SCORE);
        try {
            return new Scoring(alphabet, m, open, extend);
        } catch (WorkFormatException e) {
            throw r.error(e.getMessage());
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Scoring s && alphabet.equals(s.alphabet) && Arrays.deepEquals(matrix, s.matrix)
                && gapOpen == s.gapOpen && gapExtend == s.gapExtend;
    }

    @Override
    public int hashCode() {
        return alphabet.hashCode() * 31 + Arrays.deepHashCode(matrix) + 17 * gapOpen + gapExtend;
    }

    @Override
    public String toString() {
        return "Scoring[" + alphabet + ", gap " + gapOpen + "+" + gapExtend + "L]";
    }
}
