package org.isos.toolkit.erasure;

/**
 * A deliberately naive Reed–Solomon reference, written apart from the production code (no shared tables or
 * matrix routines): bitwise "Russian peasant" multiplication reduced by 0x11D, the Vandermonde matrix
 * V[r][c] = r^c, Gaussian elimination, and one multiply per byte. Slow and obviously correct.
 */
final class NaiveReedSolomon {

    private NaiveReedSolomon() {
    }

    static int mul(int a, int b) {
        int r = 0;
        while (b != 0) {
            if ((b & 1) != 0) {
                r ^= a;
            }
            a <<= 1;
            if ((a & 0x100) != 0) {
                a ^= 0x11D;
            }
            b >>>= 1;
        }
        return r;
    }

    /** a^n by repeated multiplication, so 0^0 = 1 and 0^n = 0 for n > 0. */
    static int pow(int a, int n) {
        int r = 1;
        for (int i = 0; i < n; i++) {
            r = mul(r, a);
        }
        return r;
    }

    static int inv(int a) {
        for (int b = 1; b < 256; b++) {
            if (mul(a, b) == 1) {
                return b;
            }
        }
        throw new ArithmeticException("no inverse of " + a);
    }

    static int[][] invert(int[][] m) {
        int n = m.length;
        int[][] a = new int[n][2 * n];
        for (int r = 0; r < n; r++) {
            System.arraycopy(m[r], 0, a[r], 0, n);
            a[r][n + r] = 1;
        }
        for (int c = 0; c < n; c++) {
            int p = c;
            while (a[p][c] == 0) {
                p++; // throws ArrayIndexOutOfBounds when singular, fine for a test helper
            }
            int[] t = a[p];
            a[p] = a[c];
            a[c] = t;
            int s = inv(a[c][c]);
            for (int x = 0; x < 2 * n; x++) {
                a[c][x] = mul(s, a[c][x]);
            }
            for (int r = 0; r < n; r++) {
                if (r != c && a[r][c] != 0) {
                    int f = a[r][c];
                    for (int x = 0; x < 2 * n; x++) {
                        a[r][x] ^= mul(f, a[c][x]);
                    }
                }
            }
        }
        int[][] out = new int[n][n];
        for (int r = 0; r < n; r++) {
            System.arraycopy(a[r], n, out[r], 0, n);
        }
        return out;
    }

    static int[][] times(int[][] a, int[][] b) {
        int[][] out = new int[a.length][b[0].length];
        for (int r = 0; r < a.length; r++) {
            for (int c = 0; c < b[0].length; c++) {
                int s = 0;
                for (int i = 0; i < b.length; i++) {
                    s ^= mul(a[r][i], b[i][c]);
                }
                out[r][c] = s;
            }
        }
        return out;
    }

    /** The n×k encoding matrix V · (top k×k of V)^-1. */
    static int[][] encodingMatrix(int k, int n) {
        int[][] v = new int[n][k];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < k; c++) {
                v[r][c] = pow(r, c);
            }
        }
        int[][] top = new int[k][];
        System.arraycopy(v, 0, top, 0, k);
        return times(v, invert(top));
    }

    /** The m parity shards of the k data shards. */
    static byte[][] parity(int k, int m, byte[][] data) {
        int[][] e = encodingMatrix(k, k + m);
        int size = data[0].length;
        byte[][] parity = new byte[m][size];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < size; p++) {
                int s = 0;
                for (int j = 0; j < k; j++) {
                    s ^= mul(e[k + i][j], data[j][p] & 0xFF);
                }
                parity[i][p] = (byte) s;
            }
        }
        return parity;
    }
}
