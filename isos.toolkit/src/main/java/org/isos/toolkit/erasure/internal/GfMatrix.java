package org.isos.toolkit.erasure.internal;

/** Dense matrices over GF(2^8), stored as byte[rows][cols]. Small (at most 256×256), so clarity beats speed here. */
public final class GfMatrix {

    private GfMatrix() {
    }

    /** V[r][c] = r^c with r taken as a field element (and x^0 = 1 for every x). */
    public static byte[][] vandermonde(int rows, int cols) {
        byte[][] v = new byte[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                v[r][c] = (byte) Gf256.pow(r, c);
            }
        }
        return v;
    }

    /**
     * The systematic encoding matrix of JavaReedSolomon: V · (top k×k of V)^-1 for the (k+m)×k Vandermonde matrix V.
     * Its top k rows are the identity; row k+i yields parity shard i.
     */
    public static byte[][] encodingMatrix(int dataShards, int totalShards) {
        byte[][] v = vandermonde(totalShards, dataShards);
        byte[][] top = rows(v, 0, dataShards);
        return multiply(v, invert(top));
    }

    public static byte[][] rows(byte[][] m, int from, int to) {
        byte[][] r = new byte[to - from][];
        for (int i = from; i < to; i++) {
            r[i - from] = m[i].clone();
        }
        return r;
    }

    public static byte[][] multiply(byte[][] a, byte[][] b) {
        int n = a.length;
        int inner = b.length;
        int cols = b[0].length;
        byte[][] out = new byte[n][cols];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < cols; c++) {
                int s = 0;
                for (int i = 0; i < inner; i++) {
                    s ^= Gf256.mul(a[r][i] & 0xFF, b[i][c] & 0xFF);
                }
                out[r][c] = (byte) s;
            }
        }
        return out;
    }

    /** The inverse of a square matrix by Gauss–Jordan elimination; throws if singular. */
    public static byte[][] invert(byte[][] m) {
        int n = m.length;
        byte[][] a = new byte[n][2 * n];
        for (int r = 0; r < n; r++) {
            if (m[r].length != n) {
                throw new IllegalArgumentException("matrix is not square");
            }
            System.arraycopy(m[r], 0, a[r], 0, n);
            a[r][n + r] = 1;
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            while (pivot < n && a[pivot][col] == 0) {
                pivot++;
            }
            if (pivot == n) {
                throw new ArithmeticException("matrix is singular");
            }
            byte[] t = a[pivot];
            a[pivot] = a[col];
            a[col] = t;
            byte[] row = a[col];
            int scale = Gf256.inverse(row[col] & 0xFF);
            if (scale != 1) {
                byte[] mul = Gf256.MUL[scale];
                for (int c = 0; c < 2 * n; c++) {
                    row[c] = mul[row[c] & 0xFF];
                }
            }
            for (int r = 0; r < n; r++) {
                int f = a[r][col] & 0xFF;
                if (r != col && f != 0) {
                    byte[] mul = Gf256.MUL[f];
                    byte[] target = a[r];
                    for (int c = 0; c < 2 * n; c++) {
                        target[c] ^= mul[row[c] & 0xFF];
                    }
                }
            }
        }
        byte[][] inv = new byte[n][];
        for (int r = 0; r < n; r++) {
            inv[r] = java.util.Arrays.copyOfRange(a[r], n, 2 * n);
        }
        return inv;
    }
}
