package org.isos.apps.compute.work;

import java.util.List;

/**
 * Deterministic synthetic recordings for signal units: noise from a SplitMix64 generator (integer
 * arithmetic), plus sine tones computed with {@link StrictMath}, quantised to signed 8-bit samples.
 */
public final class SignalSynth {

    /**
     * A tone of {@code cyclesPerSample} (0..0.5) and peak {@code amplitude} (in sample units) over
     * samples [start, start + length).
     */
    public record Tone(double cyclesPerSample, double amplitude, int start, int length) {
    }

    private SignalSynth() {
    }

    /** {@code length} samples: uniform noise in ±{@code noise} (sum of two uniforms, triangular) plus the tones, clipped to ±127. */
    public static byte[] generate(long seed, int length, double noise, List<Tone> tones) {
        byte[] out = new byte[length];
        long state = seed;
        for (int i = 0; i < length; i++) {
            state += 0x9E3779B97F4A7C15L;
            long z = mix(state);
            double u1 = (z >>> 40) / (double) (1L << 24);
            double u2 = ((z >>> 16) & 0xFFFFFF) / (double) (1L << 24);
            double v = noise * (u1 + u2 - 1);
            for (Tone t : tones) {
                if (i >= t.start() && i < t.start() + t.length()) {
                    v += t.amplitude() * StrictMath.sin(2 * StrictMath.PI * t.cyclesPerSample() * i);
                }
            }
            long q = Math.round(v);
            out[i] = (byte) Math.max(-127, Math.min(127, q));
        }
        return out;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
