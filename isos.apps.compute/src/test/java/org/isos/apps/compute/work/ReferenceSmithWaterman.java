package org.isos.apps.compute.work;

import java.util.ArrayList;
import java.util.List;

/**
 * The straightforward single-process reference: full O(nm) Gotoh matrices, each cell also carrying the
 * least (query start, target start) among the alignments reaching its value, so no second pass is
 * needed; then all pairs, sorted. Written apart from {@link SmithWaterman} on purpose.
 */
final class ReferenceSmithWaterman {
    private static final int NEG = -1_000_000_000;

    private ReferenceSmithWaterman() {
    }

    /** {score, queryStart, queryEnd, targetStart, targetEnd} of the best local alignment; score 0 when none. */
    static int[] align(Scoring sc, byte[] q, byte[] t) {
        int n = q.length;
        int m = t.length;
        int open = sc.gapOpen();
        int ext = sc.gapExtend();
        int[][] h = new int[n + 1][m + 1];
        int[][] e = new int[n + 1][m + 1];
        int[][] f = new int[n + 1][m + 1];
        long[][] hs = new long[n + 1][m + 1];
        long[][] es = new long[n + 1][m + 1];
        long[][] fs = new long[n + 1][m + 1];
        for (int i = 0; i <= n; i++) {
            for (int j = 0; j <= m; j++) {
                e[i][j] = NEG;
                f[i][j] = NEG;
                h[i][j] = 0;
                hs[i][j] = pack(i, j); // the empty alignment: a diagonal step from here starts at (i, j)
                es[i][j] = Long.MAX_VALUE;
                fs[i][j] = Long.MAX_VALUE;
            }
        }
        int best = 0;
        int bi = 0;
        int bj = 0;
        for (int i = 1; i <= n; i++) {
            for (int j = 1; j <= m; j++) {
                // gap in the query (consumes t[j-1])
                int eExt = e[i][j - 1] - ext;
                int eOpen = h[i][j - 1] - open - ext;
                e[i][j] = Math.max(eExt, eOpen);
                es[i][j] = Math.min(eExt == e[i][j] ? es[i][j - 1] : Long.MAX_VALUE, eOpen == e[i][j] ? hs[i][j - 1] : Long.MAX_VALUE);
                // gap in the target (consumes q[i-1])
                int fExt = f[i - 1][j] - ext;
                int fOpen = h[i - 1][j] - open - ext;
                f[i][j] = Math.max(fExt, fOpen);
                fs[i][j] = Math.min(fExt == f[i][j] ? fs[i - 1][j] : Long.MAX_VALUE, fOpen == f[i][j] ? hs[i - 1][j] : Long.MAX_VALUE);
                int diag = h[i - 1][j - 1] + sc.score(q[i - 1], t[j - 1]);
                int v = Math.max(Math.max(0, diag), Math.max(e[i][j], f[i][j]));
                long start = Long.MAX_VALUE;
                if (v == 0) {
                    start = pack(i, j);
                }
                if (diag == v) {
                    start = Math.min(start, hs[i - 1][j - 1]);
                }
                if (e[i][j] == v) {
                    start = Math.min(start, es[i][j]);
                }
                if (f[i][j] == v) {
                    start = Math.min(start, fs[i][j]);
                }
                h[i][j] = v;
                hs[i][j] = start;
            }
        }
        for (int i = 1; i <= n; i++) {
            for (int j = 1; j <= m; j++) {
                if (h[i][j] > best) {
                    best = h[i][j];
                    bi = i;
                    bj = j;
                }
            }
        }
        if (best == 0) {
            return new int[] {0, 0, 0, 0, 0};
        }
        long s = hs[bi][bj];
        return new int[] {best, (int) (s >>> 32), bi, (int) s, bj};
    }

    private static long pack(int i, int j) {
        return ((long) i << 32) | j;
    }

    static GeneResult search(GeneUnit u) {
        List<GeneResult.QueryHits> out = new ArrayList<>();
        for (Sequence q : u.queries()) {
            List<GeneResult.Hit> hits = new ArrayList<>();
            for (int k = 0; k < u.library().size(); k++) {
                Sequence t = u.library().get(k);
                int[] a = align(u.scoring(), q.codes(), t.codes());
                if (a[0] >= u.minScore()) {
                    hits.add(new GeneResult.Hit(u.libraryOffset() + k, t.id(), a[0], a[1], a[2], a[3], a[4]));
                }
            }
            hits.sort((x, y) -> x.score() != y.score() ? Integer.compare(y.score(), x.score())
                    : Long.compare(x.libraryIndex(), y.libraryIndex()));
            out.add(new GeneResult.QueryHits(q.id(), hits.subList(0, Math.min(u.topK(), hits.size()))));
        }
        return new GeneResult(out);
    }
}
