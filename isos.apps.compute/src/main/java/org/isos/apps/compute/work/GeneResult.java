package org.isos.apps.compute.work;

import java.util.ArrayList;
import java.util.List;

/**
 * For each query of a unit, in the unit's order, its best hits: score descending, then library index
 * ascending. Positions are 0-based, ends exclusive.
 */
public record GeneResult(List<QueryHits> queries) {

    /** One query's hits. */
    public record QueryHits(String queryId, List<Hit> hits) {
        public QueryHits {
            hits = List.copyOf(hits);
        }
    }

    /**
     * The best local alignment of a query with one library sequence: its end is the first cell reaching
     * the best score (least query end, then least library end), its start the least query start, then
     * least library start, of an alignment reaching that score and ending there.
     */
    public record Hit(long libraryIndex, String libraryId, int score, int queryStart, int queryEnd, int targetStart,
            int targetEnd) {

        /** The order of hits in a result. */
        static int compare(Hit a, Hit b) {
            if (a.score != b.score) {
                return a.score > b.score ? -1 : 1;
            }
            return Long.compare(a.libraryIndex, b.libraryIndex);
        }
    }

    public GeneResult {
        queries = List.copyOf(queries);
    }

    public byte[] encode() {
        ByteWriter w = ByteWriter.envelope(ByteWriter.RESULT, GeneMatch.KIND).varInt(queries.size());
        for (QueryHits q : queries) {
            w.ascii(q.queryId()).varInt(q.hits().size());
            for (Hit h : q.hits()) {
                w.varLong(h.libraryIndex()).ascii(h.libraryId()).varInt(h.score()).varInt(h.queryStart())
                        .varInt(h.queryEnd() - h.queryStart()).varInt(h.targetStart()).varInt(h.targetEnd() - h.targetStart());
            }
        }
        return w.toBytes();
    }

    public static GeneResult decode(byte[] result) {
        ByteReader r = new ByteReader(result, "genes result");
        r.expectEnvelope(ByteWriter.RESULT, GeneMatch.KIND);
        int nq = r.varInt("query count", 1, GeneUnit.MAX_QUERIES);
        List<QueryHits> queries = new ArrayList<>(nq);
        for (int i = 0; i < nq; i++) {
            String id = r.ascii("query id", Sequence.MAX_ID);
            int nh = r.varInt("hit count", 0, GeneUnit.MAX_TOP_K);
            List<Hit> hits = new ArrayList<>(nh);
            for (int k = 0; k < nh; k++) {
                long index = r.varLong("library index", 0, GeneUnit.MAX_OFFSET + GeneUnit.MAX_LIBRARY);
                String libraryId = r.ascii("library id", Sequence.MAX_ID);
                int score = r.varInt("score", 1, Integer.MAX_VALUE);
                int qs = r.varInt("query start", 0, Sequence.MAX_LENGTH - 1);
                int qe = qs + r.varInt("query span", 1, Sequence.MAX_LENGTH - qs);
                int ts = r.varInt("library start", 0, Sequence.MAX_LENGTH - 1);
                int te = ts + r.varInt("library span", 1, Sequence.MAX_LENGTH - ts);
                Hit hit = new Hit(index, libraryId, score, qs, qe, ts, te);
                if (k > 0 && Hit.compare(hits.get(k - 1), hit) >= 0) {
                    throw r.error("hits of query '" + id + "' are not in order (score descending, library index ascending)");
                }
                hits.add(hit);
            }
            queries.add(new QueryHits(id, hits));
        }
        r.end();
        return new GeneResult(queries);
    }

    /**
     * Merges the results of units over consecutive slices of one library (same queries, same top K):
     * the result one unit over the whole library would give.
     */
    public static GeneResult merge(List<GeneResult> parts, int topK) {
        if (parts.isEmpty()) {
            throw new WorkFormatException("genes: nothing to merge");
        }
        List<QueryHits> merged = new ArrayList<>();
        GeneResult first = parts.get(0);
        for (int q = 0; q < first.queries().size(); q++) {
            String id = first.queries().get(q).queryId();
            List<Hit> all = new ArrayList<>();
            for (GeneResult part : parts) {
                if (part.queries().size() != first.queries().size() || !part.queries().get(q).queryId().equals(id)) {
                    throw new WorkFormatException("genes: results to merge have different queries");
                }
                all.addAll(part.queries().get(q).hits());
            }
            all.sort(Hit::compare);
            merged.add(new QueryHits(id, all.subList(0, Math.min(topK, all.size()))));
        }
        return new GeneResult(merged);
    }
}
