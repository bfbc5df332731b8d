package org.isos.apps.compute.work;

import java.util.ArrayList;
import java.util.List;

/**
 * The biotech customer's work: each query of a {@link GeneUnit} aligned (Smith–Waterman, affine gaps)
 * against each sequence of its library slice; per query the best {@code topK} hits. Integer scores;
 * ties broken by library index, alignment ends and starts by the rules on {@link GeneResult.Hit}.
 * <p>
 * Checkpoints come between library entries, once {@code checkpointCells} DP cells have been computed
 * since the last one; they hold the next entry and the hits so far.
 */
public final class GeneMatch implements Workload {

    public static final String KIND = "genes";
    /** DP cells between checkpoints by default: a few milliseconds of work. */
    public static final long DEFAULT_CHECKPOINT_CELLS = 4_000_000;

    private final long checkpointCells;

    public GeneMatch() {
        this(DEFAULT_CHECKPOINT_CELLS);
    }

    /** @param checkpointCells DP cells between checkpoints; 1 checkpoints after every library entry */
    public GeneMatch(long checkpointCells) {
        if (checkpointCells < 1) {
            throw new IllegalArgumentException("checkpointCells must be at least 1");
        }
        this.checkpointCells = checkpointCells;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public void validateUnit(byte[] unit) {
        GeneUnit.decode(unit);
    }

    @Override
    public void validateResult(byte[] unit, byte[] result) {
        GeneUnit u = GeneUnit.decode(unit);
        GeneResult res = GeneResult.decode(result);
        if (res.queries().size() != u.queries().size()) {
            throw new WorkFormatException("genes result: " + res.queries().size() + " queries, the unit has " + u.queries().size());
        }
        for (int i = 0; i < u.queries().size(); i++) {
            GeneResult.QueryHits qh = res.queries().get(i);
            Sequence q = u.queries().get(i);
            if (!qh.queryId().equals(q.id())) {
                throw new WorkFormatException("genes result: query " + (i + 1) + " is '" + qh.queryId() + "', the unit has '" + q.id() + "'");
            }
            if (qh.hits().size() > u.topK()) {
                throw new WorkFormatException("genes result: query '" + q.id() + "' has " + qh.hits().size() + " hits, top K is " + u.topK());
            }
            for (GeneResult.Hit h : qh.hits()) {
                long local = h.libraryIndex() - u.libraryOffset();
                if (local < 0 || local >= u.library().size()) {
                    throw new WorkFormatException("genes result: hit on library index " + h.libraryIndex() + " outside the slice");
                }
                Sequence t = u.library().get((int) local);
                if (!h.libraryId().equals(t.id()) || h.score() < u.minScore() || h.queryEnd() > q.length()
                        || h.targetEnd() > t.length()) {
                    throw new WorkFormatException("genes result: hit " + h + " does not fit the unit");
                }
            }
        }
    }

    @Override
    public byte[] run(byte[] unit, byte[] checkpoint, Checkpointer checkpointer) throws Exception {
        GeneUnit u = GeneUnit.decode(unit);
        int nq = u.queries().size();
        List<List<GeneResult.Hit>> hits = new ArrayList<>(nq);
        for (int i = 0; i < nq; i++) {
            hits.add(new ArrayList<>());
        }
        int next = 0;
        if (checkpoint != null) {
            ByteReader r = ByteReader.checkpoint(checkpoint, KIND, unit);
            next = r.varInt("next library entry", 0, u.library().size());
            for (int i = 0; i < nq; i++) {
                int n = r.varInt("hit count", 0, u.topK());
                for (int k = 0; k < n; k++) {
                    int local = r.varInt("library entry", 0, Math.max(0, next - 1));
                    int score = r.varInt("score", u.minScore(), Integer.MAX_VALUE);
                    int qs = r.varInt("query start", 0, Sequence.MAX_LENGTH);
                    int qe = r.varInt("query end", qs, Sequence.MAX_LENGTH);
                    int ts = r.varInt("library start", 0, Sequence.MAX_LENGTH);
                    int te = r.varInt("library end", ts, Sequence.MAX_LENGTH);
                    hits.get(i).add(new GeneResult.Hit(u.libraryOffset() + local, u.library().get(local).id(), score, qs, qe, ts, te));
                }
            }
            r.end();
        }
        SmithWaterman sw = new SmithWaterman(u.scoring());
        long cells = 0;
        for (int entry = next; entry < u.library().size(); entry++) {
            Sequence target = u.library().get(entry);
            byte[] t = target.codesShared();
            for (int i = 0; i < nq; i++) {
                byte[] q = u.queries().get(i).codesShared();
                sw.score(q, t);
                cells += (long) q.length * t.length;
                List<GeneResult.Hit> list = hits.get(i);
                int score = sw.best;
                if (score < u.minScore() || (list.size() == u.topK() && score <= list.get(list.size() - 1).score())) {
                    continue;
                }
                int qEnd = sw.queryEnd;
                int tEnd = sw.targetEnd;
                int[] start = sw.start(q, t, qEnd, tEnd, score);
                GeneResult.Hit hit = new GeneResult.Hit(u.libraryOffset() + entry, target.id(), score, start[0], qEnd, start[1], tEnd);
                int at = list.size();
                while (at > 0 && GeneResult.Hit.compare(list.get(at - 1), hit) > 0) {
                    at--;
                }
                list.add(at, hit);
                if (list.size() > u.topK()) {
                    list.remove(list.size() - 1);
                }
            }
            if (cells >= checkpointCells && entry + 1 < u.library().size()) {
                checkpointer.checkpoint(state(unit, u, entry + 1, hits));
                cells = 0;
            }
        }
        List<GeneResult.QueryHits> out = new ArrayList<>(nq);
        for (int i = 0; i < nq; i++) {
            out.add(new GeneResult.QueryHits(u.queries().get(i).id(), hits.get(i)));
        }
        return new GeneResult(out).encode();
    }

    private static byte[] state(byte[] unit, GeneUnit u, int next, List<List<GeneResult.Hit>> hits) {
        ByteWriter w = ByteWriter.checkpoint(KIND, unit).varInt(next);
        for (List<GeneResult.Hit> list : hits) {
            w.varInt(list.size());
            for (GeneResult.Hit h : list) {
                w.varInt((int) (h.libraryIndex() - u.libraryOffset())).varInt(h.score()).varInt(h.queryStart())
                        .varInt(h.queryEnd()).varInt(h.targetStart()).varInt(h.targetEnd());
            }
        }
        return w.toBytes();
    }
}
