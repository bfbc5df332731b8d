package org.isos.apps.compute.work;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class GeneMatchTest {

    static Sequence random(SplittableRandom r, String id, int length, int alphabet) {
        byte[] codes = new byte[length];
        for (int i = 0; i < length; i++) {
            codes[i] = (byte) r.nextInt(alphabet);
        }
        return new Sequence(id, codes);
    }

    /** A copy of {@code s} with point mutations and small indels, so there are real local hits. */
    static Sequence mutate(SplittableRandom r, String id, byte[] s, int alphabet) {
        List<Byte> out = new ArrayList<>();
        for (byte b : s) {
            int roll = r.nextInt(20);
            if (roll == 0) {
                continue;
            }
            out.add(roll == 1 ? (byte) r.nextInt(alphabet) : b);
            if (roll == 2) {
                out.add((byte) r.nextInt(alphabet));
            }
        }
        if (out.isEmpty()) {
            out.add(s[0]);
        }
        byte[] codes = new byte[out.size()];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = out.get(i);
        }
        return new Sequence(id, codes);
    }

    static GeneUnit randomUnit(long seed, Scoring scoring, int queries, int library, int maxLength, int topK) {
        SplittableRandom r = new SplittableRandom(seed);
        int size = scoring.alphabet().length();
        List<Sequence> qs = new ArrayList<>();
        for (int i = 0; i < queries; i++) {
            qs.add(random(r, "q" + i, 1 + r.nextInt(maxLength), size));
        }
        List<Sequence> lib = new ArrayList<>();
        for (int i = 0; i < library; i++) {
            if (r.nextInt(3) == 0) {
                Sequence q = qs.get(r.nextInt(queries));
                Sequence flank = random(r, "x", 1 + r.nextInt(maxLength / 2 + 1), size);
                byte[] planted = concat(flank.codes(), mutate(r, "m", q.codes(), size).codes(), flank.codes());
                lib.add(new Sequence("lib" + i, planted));
            } else {
                lib.add(random(r, "lib" + i, 1 + r.nextInt(maxLength), size));
            }
        }
        return new GeneUnit(scoring, topK, 1, qs, 1000 + seed, lib);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    @Test
    void matchesTheReferenceOnRandomSequences() {
        Scoring zeroes = new Scoring("ABC", new int[] {3, 0, -2, 0, 1, -1, -2, -1, 2}, 2, 1); // zero entries: many ties
        Scoring[] scorings = {Scoring.dna(), Scoring.simple("ACGT", 1, -1, 0, 1), zeroes, Scoring.simple("AB", 1, -1, 1, 1)};
        int pairs = 0;
        for (int seed = 0; seed < 24; seed++) {
            Scoring sc = scorings[seed % scorings.length];
            GeneUnit u = randomUnit(seed, sc, 3, 12, 40, 1 + seed % 6);
            GeneResult expected = ReferenceSmithWaterman.search(u);
            GeneResult actual = GeneResult.decode(new GeneMatch().run(u.encode()));
            assertEquals(expected, actual, "seed " + seed + " " + sc);
            pairs += 36;
        }
        assertTrue(pairs > 800);
    }

    @Test
    void everyPairAgreesWithTheReferenceIncludingStarts() {
        SplittableRandom r = new SplittableRandom(7);
        Scoring sc = Scoring.simple("ACGT", 2, -1, 1, 1);
        SmithWaterman sw = new SmithWaterman(sc);
        for (int trial = 0; trial < 400; trial++) {
            byte[] q = random(r, "q", 1 + r.nextInt(30), 4).codes();
            byte[] t = trial % 2 == 0 ? mutate(r, "t", q, 4).codes() : random(r, "t", 1 + r.nextInt(30), 4).codes();
            if (t.length == 0) {
                continue;
            }
            int[] ref = ReferenceSmithWaterman.align(sc, q, t);
            sw.score(q, t);
            assertEquals(ref[0], sw.best);
            if (ref[0] > 0) {
                int[] start = sw.start(q, t, sw.queryEnd, sw.targetEnd, sw.best);
                assertArrayEquals(ref, new int[] {sw.best, start[0], sw.queryEnd, start[1], sw.targetEnd}, "trial " + trial);
            }
        }
    }

    @Test
    void aKnownAlignment() {
        Scoring sc = Scoring.dna(); // match 2, mismatch -3, gap 5 + 2L
        GeneUnit u = new GeneUnit(sc, 2, 1, List.of(Sequence.of("q", "ACGTACGTAC", sc)), 0,
                List.of(Sequence.of("none", "TTTTTTTT", sc), Sequence.of("exact", "GGGACGTACGTACGGG", sc),
                        Sequence.of("gapped", "ACGTAAACGTAC", sc)));
        GeneResult r = GeneResult.decode(new GeneMatch().run(u.encode()));
        List<GeneResult.Hit> hits = r.queries().get(0).hits();
        assertEquals(new GeneResult.Hit(1, "exact", 20, 0, 10, 3, 13), hits.get(0));
        // ACGTA--CGTAC vs ACGTAAACGTAC would score 20 − (5 + 2·2) = 11; the ungapped ACGTAC scores 12, and of
        // its two places in the query (0..6 and 4..10) the one with the least query end wins
        assertEquals(new GeneResult.Hit(2, "gapped", 12, 0, 6, 6, 12), hits.get(1));
        assertEquals(2, hits.size());
    }

    @Test
    void slicesMergeToTheWholeLibraryResult() {
        GeneUnit whole = randomUnit(99, Scoring.dna(), 4, 30, 50, 5);
        whole = new GeneUnit(whole.scoring(), 5, 1, whole.queries(), 0, whole.library());
        GeneResult all = GeneResult.decode(new GeneMatch().run(whole.encode()));
        List<GeneResult> parts = new ArrayList<>();
        for (GeneUnit u : GeneUnit.split(whole.scoring(), 5, 1, whole.queries(), whole.library(), 7)) {
            parts.add(GeneResult.decode(new GeneMatch().run(u.encode())));
        }
        assertEquals(all, GeneResult.merge(parts, 5));
    }

    @Test
    void resumesBetweenLibraryEntries() throws Exception {
        GeneUnit u = randomUnit(5, Scoring.dna(), 4, 40, 60, 3);
        int checkpoints = Runs.assertResumable(new GeneMatch(1), u.encode(), 40);
        assertEquals(39, checkpoints);
    }

    @Test
    void validatesResults() {
        GeneUnit u = randomUnit(3, Scoring.dna(), 2, 10, 30, 3);
        byte[] unit = u.encode();
        GeneMatch w = new GeneMatch();
        byte[] result = w.run(unit);
        w.validateResult(unit, result);
        GeneResult other = GeneResult.decode(w.run(randomUnit(4, Scoring.dna(), 2, 10, 30, 3).encode()));
        assertThrows(WorkFormatException.class, () -> w.validateResult(unit, other.encode()));
    }

    @Test
    void badUnitsAreRefusedClearly() {
        Scoring sc = Scoring.dna();
        List<Sequence> one = List.of(Sequence.of("a", "ACGT", sc));
        assertTrue(assertThrows(WorkFormatException.class, () -> new GeneUnit(sc, 0, 1, one, 0, one)).getMessage().contains("top K"));
        assertTrue(assertThrows(WorkFormatException.class, () -> new GeneUnit(sc, 1, 1, List.of(), 0, one)).getMessage().contains("queries"));
        assertTrue(assertThrows(WorkFormatException.class, () -> new GeneUnit(sc, 1, 1, one, 0, List.of())).getMessage().contains("library"));
        assertTrue(assertThrows(WorkFormatException.class,
                () -> new GeneUnit(sc, 1, 1, List.of(one.get(0), one.get(0)), 0, one)).getMessage().contains("duplicate query id 'a'"));
        assertTrue(assertThrows(WorkFormatException.class, () -> Sequence.of("x", "ACGU", sc)).getMessage()
                .contains("'U' at position 4 is not in the alphabet ACGTN"));
        assertThrows(WorkFormatException.class, () -> Scoring.simple("AA", 1, -1, 1, 1));
        assertThrows(WorkFormatException.class, () -> Scoring.simple("AC", 1, -1, 1, 0));
        // a unit whose residue codes fall outside the alphabet
        byte[] unit = new GeneUnit(Scoring.simple("ACGT", 1, -1, 1, 1), 1, 1, List.of(new Sequence("q", new byte[] {0, 1})), 0,
                List.of(new Sequence("t", new byte[] {3, 2}))).encode();
        byte[] bad = unit.clone();
        bad[bad.length - 1] = 9;
        WorkFormatException e = assertThrows(WorkFormatException.class, () -> GeneUnit.decode(bad));
        assertTrue(e.getMessage().startsWith("genes work unit: library sequence 't' has residue code 9"), e.getMessage());
    }
}
