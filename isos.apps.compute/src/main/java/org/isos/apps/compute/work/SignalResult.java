package org.isos.apps.compute.work;

import java.util.ArrayList;
import java.util.List;

/**
 * The peaks a signal unit found, by chunk ascending, then power descending, then bin ascending.
 * Powers are exact doubles (compared by their bits).
 */
public record SignalResult(long firstChunk, int chunks, List<Peak> peaks) {

    /** A bin whose power is {@code snr} times its chunk's mean power. */
    public record Peak(long chunk, int bin, double power, double snr) {

        static int compare(Peak a, Peak b) {
            if (a.chunk != b.chunk) {
                return Long.compare(a.chunk, b.chunk);
            }
            int c = Double.compare(b.power, a.power);
            return c != 0 ? c : Integer.compare(a.bin, b.bin);
        }
    }

    public SignalResult {
        peaks = List.copyOf(peaks);
    }

    public byte[] encode() {
        ByteWriter w = ByteWriter.envelope(ByteWriter.RESULT, SignalSearch.KIND).varLong(firstChunk).varInt(chunks)
                .varInt(peaks.size());
        for (Peak p : peaks) {
            w.varLong(p.chunk() - firstChunk).varInt(p.bin()).fixed64(Double.doubleToLongBits(p.power()))
                    .fixed64(Double.doubleToLongBits(p.snr()));
        }
        return w.toBytes();
    }

    public static SignalResult decode(byte[] result) {
        ByteReader r = new ByteReader(result, "signal result");
        r.expectEnvelope(ByteWriter.RESULT, SignalSearch.KIND);
        long first = r.varLong("first chunk", 0, 1L << 48);
        int chunks = r.varInt("chunk count", 1, SignalUnit.MAX_SAMPLES / 16);
        int n = r.varInt("peak count", 0, chunks * 1024);
        List<Peak> peaks = new ArrayList<>(Math.min(n, 4096));
        for (int i = 0; i < n; i++) {
            long chunk = first + r.varLong("peak chunk", 0, chunks - 1);
            int bin = r.varInt("peak bin", 1, 32767);
            double power = r.finiteDouble("peak power");
            double snr = r.finiteDouble("peak snr");
            if (!(power > 0) || !(snr > 0)) {
                throw r.error("peak power and snr must be above 0");
            }
            Peak peak = new Peak(chunk, bin, power, snr);
            if (i > 0 && Peak.compare(peaks.get(i - 1), peak) >= 0) {
                throw r.error("peaks are not in order (chunk, power descending, bin)");
            }
            peaks.add(peak);
        }
        r.end();
        return new SignalResult(first, chunks, peaks);
    }
}
