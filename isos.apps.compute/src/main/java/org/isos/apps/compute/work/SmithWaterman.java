package org.isos.apps.compute.work;

/**
 * Smith–Waterman local alignment with affine gaps (Gotoh), in linear space, integers only.
 * {@link #score} finds the best score and its end in one pass; {@link #start} finds where that
 * alignment starts by an anchored pass over the reversed prefixes.
 */
final class SmithWaterman {
    private static final int NEG = Integer.MIN_VALUE / 2;

    private final Scoring scoring;
    private int[] h = new int[0];
    private int[] f = new int[0];

    /** The last {@link #score} call's outcome: score, then the end (exclusive) in query and target. */
    int best;
    int queryEnd;
    int targetEnd;

    SmithWaterman(Scoring scoring) {
        this.scoring = scoring;
    }

    private void ensure(int m) {
        if (h.length < m + 1) {
            h = new int[m + 1];
            f = new int[m + 1];
        }
    }

    /** Sets {@link #best}, {@link #queryEnd}, {@link #targetEnd}: the first cell, rows by query, reaching the best score. */
    void score(byte[] q, byte[] t) {
        int m = t.length;
        ensure(m);
        int[] h = this.h;
        int[] f = this.f;
        int ext = scoring.gapExtend();
        int openExt = scoring.gapOpen() + ext;
        for (int j = 0; j <= m; j++) {
            h[j] = 0;
            f[j] = NEG;
        }
        int best = 0;
        int bi = 0;
        int bj = 0;
        for (int i = 1; i <= q.length; i++) {
            int[] row = scoring.row(q[i - 1]);
            int diag = 0;
            int left = 0;
            int e = NEG;
            int rowBest = 0;
            for (int j = 1; j <= m; j++) {
                int up = h[j];
                e = Math.max(e - ext, left - openExt);
                int fv = Math.max(f[j] - ext, up - openExt);
                f[j] = fv;
                int v = Math.max(Math.max(diag + row[t[j - 1]], 0), Math.max(e, fv));
                diag = up;
                h[j] = v;
                left = v;
                rowBest = Math.max(rowBest, v);
            }
            if (rowBest > best) { // rare: find the first cell of the row that reaches it
                best = rowBest;
                bi = i;
                for (int j = 1; j <= m; j++) {
                    if (h[j] == rowBest) {
                        bj = j;
                        break;
                    }
                }
            }
        }
        this.best = best;
        this.queryEnd = bi;
        this.targetEnd = bj;
    }

    /**
     * The start of the best alignment ending at (qEnd, tEnd) with {@code score}: the least query start,
     * then the least target start. Returns {@code {queryStart, targetStart}}.
     */
    int[] start(byte[] q, byte[] t, int qEnd, int tEnd, int score) {
        ensure(tEnd);
        int[] h = this.h;
        int[] f = this.f;
        int open = scoring.gapOpen();
        int ext = scoring.gapExtend();
        int openExt = open + ext;
        h[0] = 0;
        for (int y = 1; y <= tEnd; y++) {
            h[y] = -(open + ext * y);
            f[y] = NEG;
        }
        int sx = -1;
        int sy = -1;
        for (int x = 1; x <= qEnd; x++) {
            int[] row = scoring.row(q[qEnd - x]);
            int diag = h[0];
            int left = -(open + ext * x);
            h[0] = left;
            int e = NEG;
            for (int y = 1; y <= tEnd; y++) {
                int up = h[y];
                int ee = e - ext;
                int eo = left - openExt;
                e = ee > eo ? ee : eo;
                int ff = f[y] - ext;
                int fo = up - openExt;
                int fv = ff > fo ? ff : fo;
                f[y] = fv;
                int v = diag + row[t[tEnd - y]];
                if (e > v) {
                    v = e;
                }
                if (fv > v) {
                    v = fv;
                }
                diag = up;
                h[y] = v;
                left = v;
                if (v == score) {
                    sx = x;
                    sy = y;
                }
            }
        }
        if (sx < 0) {
            throw new IllegalStateException("no alignment start found for score " + score);
        }
        return new int[] {qEnd - sx, tEnd - sy};
    }
}
