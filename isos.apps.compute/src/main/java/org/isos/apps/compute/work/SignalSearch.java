package org.isos.apps.compute.work;

import java.util.ArrayList;
import java.util.List;

/**
 * SETI@home-like work: each chunk of a {@link SignalUnit}'s samples is Hann-windowed and transformed
 * ({@link Fft}); the power of bins 1..n/2−1 (DC and Nyquist left out) is compared with the chunk's
 * mean power, and bins above {@code threshold} times the mean are reported, the strongest
 * {@code maxPeaks} per chunk. Strict doubles with StrictMath twiddles and window: bit-identical on every host.
 * <p>
 * Checkpoints come every {@code checkpointChunks} chunks, holding the next chunk and the peaks so far.
 */
public final class SignalSearch implements Workload {

    public static final String KIND = "signal";
    public static final int DEFAULT_CHECKPOINT_CHUNKS = 64;

    private final int checkpointChunks;

    public SignalSearch() {
        this(DEFAULT_CHECKPOINT_CHUNKS);
    }

    public SignalSearch(int checkpointChunks) {
        if (checkpointChunks < 1) {
            throw new IllegalArgumentException("checkpointChunks must be at least 1");
        }
        this.checkpointChunks = checkpointChunks;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public void validateUnit(byte[] unit) {
        SignalUnit.decode(unit);
    }

    @Override
    public void validateResult(byte[] unit, byte[] result) {
        SignalUnit u = SignalUnit.decode(unit);
        SignalResult res = SignalResult.decode(result);
        if (res.firstChunk() != u.firstChunk() || res.chunks() != u.chunks()) {
            throw new WorkFormatException("signal result: covers chunks " + res.firstChunk() + "+" + res.chunks()
                    + ", the unit has " + u.firstChunk() + "+" + u.chunks());
        }
        long chunk = -1;
        int inChunk = 0;
        for (SignalResult.Peak p : res.peaks()) {
            inChunk = p.chunk() == chunk ? inChunk + 1 : 1;
            chunk = p.chunk();
            if (inChunk > u.maxPeaks() || p.bin() >= u.chunkSize() / 2 || !(p.snr() > u.threshold())) {
                throw new WorkFormatException("signal result: peak " + p + " does not fit the unit");
            }
        }
    }

    @Override
    public byte[] run(byte[] unit, byte[] checkpoint, Checkpointer checkpointer) throws Exception {
        SignalUnit u = SignalUnit.decode(unit);
        int chunks = u.chunks();
        List<SignalResult.Peak> peaks = new ArrayList<>();
        int next = 0;
        if (checkpoint != null) {
            ByteReader r = ByteReader.checkpoint(checkpoint, KIND, unit);
            next = r.varInt("next chunk", 0, chunks);
            int n = r.varInt("peak count", 0, next * u.maxPeaks());
            for (int i = 0; i < n; i++) {
                long chunk = u.firstChunk() + r.varInt("peak chunk", 0, Math.max(0, next - 1));
                int bin = r.varInt("peak bin", 1, u.chunkSize() / 2 - 1);
                peaks.add(new SignalResult.Peak(chunk, bin, r.finiteDouble("peak power"), r.finiteDouble("peak snr")));
            }
            r.end();
        }
        int n = u.chunkSize();
        Fft fft = new Fft(n);
        double[] window = new double[n];
        for (int i = 0; i < n; i++) {
            window[i] = 0.5 - 0.5 * StrictMath.cos(2 * StrictMath.PI * i / n);
        }
        double[] re = new double[n];
        double[] im = new double[n];
        double[] power = new double[n / 2];
        byte[] samples = u.samplesShared();
        List<SignalResult.Peak> found = new ArrayList<>();
        int since = 0;
        for (int c = next; c < chunks; c++) {
            int base = c * n;
            for (int i = 0; i < n; i++) {
                re[i] = samples[base + i] * window[i];
                im[i] = 0;
            }
            fft.transform(re, im);
            double sum = 0;
            for (int k = 1; k < n / 2; k++) {
                double p = re[k] * re[k] + im[k] * im[k];
                power[k] = p;
                sum += p;
            }
            double mean = sum / (n / 2 - 1);
            found.clear();
            if (mean > 0) {
                double limit = u.threshold() * mean;
                for (int k = 1; k < n / 2; k++) {
                    if (power[k] > limit) {
                        found.add(new SignalResult.Peak(u.firstChunk() + c, k, power[k], power[k] / mean));
                    }
                }
            }
            found.sort(SignalResult.Peak::compare);
            for (int i = 0; i < found.size() && i < u.maxPeaks(); i++) {
                SignalResult.Peak p = found.get(i);
                if (p.snr() > u.threshold()) { // power > t·mean does not always round to power/mean > t
                    peaks.add(p);
                }
            }
            if (++since >= checkpointChunks && c + 1 < chunks) {
                checkpointer.checkpoint(state(unit, c + 1, u.firstChunk(), peaks));
                since = 0;
            }
        }
        return new SignalResult(u.firstChunk(), chunks, peaks).encode();
    }

    private static byte[] state(byte[] unit, int next, long firstChunk, List<SignalResult.Peak> peaks) {
        ByteWriter w = ByteWriter.checkpoint(KIND, unit).varInt(next).varInt(peaks.size());
        for (SignalResult.Peak p : peaks) {
            w.varInt((int) (p.chunk() - firstChunk)).varInt(p.bin()).fixed64(Double.doubleToLongBits(p.power()))
                    .fixed64(Double.doubleToLongBits(p.snr()));
        }
        return w.toBytes();
    }
}
