package org.isos.apps.compute.work;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class EncodingTest {

    private static String error(Runnable r) {
        return assertThrows(WorkFormatException.class, r::run).getMessage();
    }

    @Test
    void unitsRoundTripAndNameTheirKind() {
        MersenneUnit m = new MersenneUnit(3, 99);
        assertEquals(m, MersenneUnit.decode(m.encode()));
        assertEquals("mersenne", Workloads.kindOfUnit(m.encode()));
        Scoring sc = Scoring.dna();
        GeneUnit g = new GeneUnit(sc, 3, 2, List.of(Sequence.of("q", "ACGT", sc)), 5, List.of(Sequence.of("t", "GATTACA", sc)));
        assertEquals(g, GeneUnit.decode(g.encode()));
        assertSame(Workloads.forKind("genes"), Workloads.forUnit(g.encode()));
        SignalUnit s = new SignalUnit(16, 2.5, 3, 9, new byte[48]);
        assertEquals(s, SignalUnit.decode(s.encode()));
        assertEquals("signal", Workloads.forUnit(s.encode()).kind());
    }

    @Test
    void resultsRoundTripCanonically() {
        for (byte[] unit : List.of(new MersenneUnit(2, 200).encode(),
                GeneMatchTest.randomUnit(1, Scoring.dna(), 3, 8, 30, 4).encode(),
                new SignalUnit(64, 3, 4, 2, SignalSynth.generate(1, 640, 30, List.of(new SignalSynth.Tone(0.25, 10, 0, 640)))).encode())) {
            Workload w = Workloads.forUnit(unit);
            byte[] result = w.run(unit);
            assertEquals(w.kind(), Workloads.kindOfResult(result));
            byte[] again = switch (w.kind()) {
                case "mersenne" -> MersenneResult.decode(result).encode();
                case "genes" -> GeneResult.decode(result).encode();
                default -> SignalResult.decode(result).encode();
            };
            assertArrayEquals(result, again);
        }
    }

    @Test
    void malformedBytesAreRefusedWithWhatAndWhere() {
        byte[] unit = new MersenneUnit(10, 20).encode();
        assertEquals("work unit: too short to be one (3 bytes) (at byte 0 of 3)", error(() -> Workloads.forUnit(new byte[3])));
        assertEquals("work unit: does not start with ISWU (at byte 0 of 8)", error(() -> Workloads.forUnit("ISWR\1abc".getBytes())));
        assertTrue(error(() -> MersenneUnit.decode(Arrays.copyOf(unit, unit.length - 1))).contains("truncated reading range length"));
        assertTrue(error(() -> MersenneUnit.decode(Arrays.copyOf(unit, unit.length + 2))).contains("2 unexpected trailing bytes"));
        byte[] version = unit.clone();
        version[4] = 9;
        assertTrue(error(() -> MersenneUnit.decode(version)).contains("format version 9 is not supported"));
        byte[] wrongKind = ByteWriter.envelope(ByteWriter.UNIT, "lottery").varInt(1).toBytes();
        assertEquals("unknown workload 'lottery' (known: genes, mersenne, signal)", error(() -> Workloads.forUnit(wrongKind)));
        assertTrue(error(() -> GeneUnit.decode(unit)).contains("is for workload 'mersenne', not 'genes'"));
        // 10 as a two-byte varint (0x8A 0x00) is not canonical
        byte[] head = Arrays.copyOf(unit, unit.length - 2);
        byte[] padded = Arrays.copyOf(head, head.length + 3);
        padded[head.length] = (byte) 0x8A;
        padded[head.length + 1] = 0;
        padded[head.length + 2] = 10;
        assertTrue(error(() -> MersenneUnit.decode(padded)).contains("non-canonical varint in from"));
        byte[] empty = ByteWriter.envelope(ByteWriter.UNIT, "mersenne").varInt(0).varInt(5).toBytes();
        assertTrue(error(() -> MersenneUnit.decode(empty)).contains("from 0 is outside [2, "));
    }

    @Test
    void equivalenceIsExactEqualityOfValidResults() {
        byte[] unit = new MersenneUnit(2, 150).encode();
        byte[] a = new Mersenne().run(unit);
        byte[] b = new Mersenne(3).run(unit);
        ResultEquivalence eq = ResultEquivalence.forKind("mersenne");
        assertTrue(eq.equivalent(unit, a, b));
        MersenneResult r = MersenneResult.decode(a);
        List<MersenneResult.Exponent> forged = new java.util.ArrayList<>(r.exponents());
        MersenneResult.Exponent e = forged.get(20);
        forged.set(20, new MersenneResult.Exponent(e.p(), false, e.res64() ^ 1));
        byte[] cheat = new MersenneResult(2, 150, forged).encode();
        assertFalse(eq.equivalent(unit, a, cheat));
        byte[] garbage = "ISWR\1\10mersenne".getBytes();
        assertFalse(eq.equivalent(unit, garbage, garbage), "malformed results agree with nothing, not even themselves");
        byte[] otherUnit = new MersenneUnit(2, 151).encode();
        byte[] otherResult = new Mersenne().run(otherUnit);
        assertFalse(eq.equivalent(unit, otherResult, otherResult), "results for another unit");
        assertThrows(WorkFormatException.class, () -> ResultEquivalence.forKind("nope"));
    }
}
