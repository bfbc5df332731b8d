package org.isos.apps.compute.work;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class SignalSearchTest {

    @Test
    void findsInjectedTonesInTheirChunksAndBins() {
        int n = 1024;
        // tone 1: bin 100 throughout; tone 2: bin 300, only in chunk 5
        byte[] samples = SignalSynth.generate(7, 16 * n, 40,
                List.of(new SignalSynth.Tone(100.0 / n, 20, 0, 16 * n), new SignalSynth.Tone(300.0 / n, 30, 5 * n, n)));
        SignalUnit unit = new SignalUnit(n, 50, 4, 1000, samples);
        SignalResult r = SignalResult.decode(new SignalSearch().run(unit.encode()));
        assertEquals(16, r.chunks());
        for (long c = 1000; c < 1016; c++) {
            long chunk = c;
            List<SignalResult.Peak> peaks = r.peaks().stream().filter(p -> p.chunk() == chunk).toList();
            assertTrue(peaks.stream().anyMatch(p -> p.bin() == 100), "tone 1 in chunk " + c + ": " + peaks);
            assertEquals(c == 1005, peaks.stream().anyMatch(p -> p.bin() == 300), "tone 2 only in chunk 1005: " + peaks);
            assertTrue(peaks.stream().allMatch(p -> Math.abs(p.bin() - 100) <= 1 || Math.abs(p.bin() - 300) <= 1), peaks.toString());
        }
    }

    @Test
    void pureNoiseGivesNoPeaksAtAHighThreshold() {
        byte[] samples = SignalSynth.generate(3, 8 * 512, 60, List.of());
        SignalResult r = SignalResult.decode(new SignalSearch().run(new SignalUnit(512, 40, 8, 0, samples).encode()));
        assertEquals(List.of(), r.peaks());
    }

    @Test
    void fftMatchesANaiveDft() {
        int n = 64;
        SplittableRandom random = new SplittableRandom(1);
        double[] re = new double[n];
        double[] im = new double[n];
        for (int i = 0; i < n; i++) {
            re[i] = random.nextInt(-128, 128);
        }
        double[] x = re.clone();
        new Fft(n).transform(re, im);
        for (int k = 0; k < n; k++) {
            double sr = 0;
            double si = 0;
            for (int j = 0; j < n; j++) {
                sr += x[j] * Math.cos(-2 * Math.PI * j * k / n);
                si += x[j] * Math.sin(-2 * Math.PI * j * k / n);
            }
            assertEquals(sr, re[k], 1e-9);
            assertEquals(si, im[k], 1e-9);
        }
    }

    @Test
    void theSameBitsEveryRunAndAFixedDigest() {
        byte[] samples = SignalSynth.generate(11, 32 * 256, 30, List.of(new SignalSynth.Tone(0.2, 12, 0, 32 * 256)));
        byte[] unit = new SignalUnit(256, 6, 5, 0, samples).encode();
        byte[] a = new SignalSearch().run(unit);
        assertArrayEquals(a, new SignalSearch(3).run(unit));
        // pinned: strict doubles and StrictMath give these exact bits on every JVM and CPU
        assertEquals(SIGNAL_DIGEST, Long.toHexString(ByteWriter.fingerprint(a)), "result bytes changed");
    }

    static final String SIGNAL_DIGEST = "39d84217c0901508";

    @Test
    void resumesBetweenChunks() throws Exception {
        byte[] samples = SignalSynth.generate(5, 40 * 128, 30, List.of(new SignalSynth.Tone(0.1, 15, 0, 40 * 128)));
        byte[] unit = new SignalUnit(128, 5, 3, 7, samples).encode();
        assertEquals(39, Runs.assertResumable(new SignalSearch(1), unit, 40));
    }

    @Test
    void badUnitsAreRefusedClearly() {
        byte[] s = new byte[1000];
        assertTrue(assertThrows(WorkFormatException.class, () -> new SignalUnit(100, 5, 1, 0, s)).getMessage().contains("power of two"));
        assertTrue(assertThrows(WorkFormatException.class, () -> new SignalUnit(256, 5, 1, 0, s)).getMessage()
                .contains("1000 samples are not"));
        assertThrows(WorkFormatException.class, () -> new SignalUnit(16, Double.NaN, 1, 0, new byte[16]));
        assertThrows(WorkFormatException.class, () -> new SignalUnit(16, 0, 1, 0, new byte[16]));
        byte[] unit = new SignalUnit(16, 5, 1, 0, new byte[32]).encode();
        byte[] nan = unit.clone();
        int thresholdAt = 5 + 1 + "signal".length() + 1; // envelope, log2 size
        long bits = Double.doubleToLongBits(Double.NaN);
        for (int i = 0; i < 8; i++) {
            nan[thresholdAt + i] = (byte) (bits >>> (56 - 8 * i));
        }
        WorkFormatException e = assertThrows(WorkFormatException.class, () -> SignalUnit.decode(nan));
        assertTrue(e.getMessage().contains("threshold is not a finite number"), e.getMessage());
    }
}
