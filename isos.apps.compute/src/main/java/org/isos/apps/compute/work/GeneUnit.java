package org.isos.apps.compute.work;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A gene-matching work unit: every query against a slice of the library.
 *
 * @param topK          hits kept per query, 1..{@link #MAX_TOP_K}
 * @param minScore      the least score a hit needs, at least 1
 * @param libraryOffset the library index of the slice's first entry: hits name entries by library index
 */
public record GeneUnit(Scoring scoring, int topK, int minScore, List<Sequence> queries, long libraryOffset,
        List<Sequence> library) {

    public static final int MAX_TOP_K = 1_000;
    public static final int MAX_QUERIES = 10_000;
    public static final int MAX_LIBRARY = 1_000_000;
    public static final long MAX_OFFSET = 1L << 48;

    public GeneUnit {
        queries = List.copyOf(queries);
        library = List.copyOf(library);
        if (topK < 1 || topK > MAX_TOP_K) {
            throw new WorkFormatException("genes: top K " + topK + " is outside [1, " + MAX_TOP_K + "]");
        }
        if (minScore < 1) {
            throw new WorkFormatException("genes: minimum score " + minScore + " must be at least 1");
        }
        if (queries.isEmpty() || queries.size() > MAX_QUERIES) {
            throw new WorkFormatException("genes: a unit needs 1 to " + MAX_QUERIES + " queries, not " + queries.size());
        }
        if (library.isEmpty() || library.size() > MAX_LIBRARY) {
            throw new WorkFormatException("genes: a library slice needs 1 to " + MAX_LIBRARY + " sequences, not " + library.size());
        }
        if (libraryOffset < 0 || libraryOffset > MAX_OFFSET) {
            throw new WorkFormatException("genes: library offset " + libraryOffset + " is outside [0, 2^48]");
        }
        Set<String> ids = new HashSet<>();
        for (Sequence q : queries) {
            if (!ids.add(q.id())) {
                throw new WorkFormatException("genes: duplicate query id '" + q.id() + "'");
            }
            checkCodes(q, scoring);
        }
        for (Sequence s : library) {
            checkCodes(s, scoring);
        }
    }

    private static void checkCodes(Sequence s, Scoring scoring) {
        for (byte c : s.codesShared()) {
            if (c < 0 || c >= scoring.alphabet().length()) {
                throw new WorkFormatException("genes: sequence '" + s.id() + "' has a code outside the alphabet " + scoring.alphabet());
            }
        }
    }

    public byte[] encode() {
        ByteWriter w = ByteWriter.envelope(ByteWriter.UNIT, GeneMatch.KIND);
        scoring.encode(w);
        w.varInt(topK).varInt(minScore).varInt(queries.size());
        for (Sequence q : queries) {
            q.encode(w);
        }
        w.varLong(libraryOffset).varInt(library.size());
        for (Sequence s : library) {
            s.encode(w);
        }
        return w.toBytes();
    }

    public static GeneUnit decode(byte[] unit) {
        ByteReader r = new ByteReader(unit, "genes work unit");
        r.expectEnvelope(ByteWriter.UNIT, GeneMatch.KIND);
        Scoring scoring = Scoring.decode(r);
        int size = scoring.alphabet().length();
        int topK = r.varInt("top K", 1, MAX_TOP_K);
        int minScore = r.varInt("minimum score", 1, Integer.MAX_VALUE);
        int nq = r.varInt("query count", 1, MAX_QUERIES);
        Sequence[] queries = new Sequence[nq];
        for (int i = 0; i < nq; i++) {
            queries[i] = Sequence.decode(r, size, "query");
        }
        long offset = r.varLong("library offset", 0, MAX_OFFSET);
        int nl = r.varInt("library count", 1, MAX_LIBRARY);
        Sequence[] library = new Sequence[nl];
        for (int i = 0; i < nl; i++) {
            library[i] = Sequence.decode(r, size, "library sequence");
        }
        r.end();
        try {
            return new GeneUnit(scoring, topK, minScore, List.of(queries), offset, List.of(library));
        } catch (WorkFormatException e) {
            throw r.error(e.getMessage());
        }
    }

    /** Splits a library into units of at most {@code sliceSize} sequences each, with the right offsets. */
    public static List<GeneUnit> split(Scoring scoring, int topK, int minScore, List<Sequence> queries,
            List<Sequence> library, int sliceSize) {
        if (sliceSize < 1) {
            throw new WorkFormatException("genes: slice size " + sliceSize + " must be at least 1");
        }
        java.util.List<GeneUnit> units = new java.util.ArrayList<>();
        for (int from = 0; from < library.size(); from += sliceSize) {
            units.add(new GeneUnit(scoring, topK, minScore, queries, from,
                    library.subList(from, Math.min(library.size(), from + sliceSize))));
        }
        if (units.isEmpty()) {
            throw new WorkFormatException("genes: the library is empty");
        }
        return units;
    }
}
