package org.isos.apps.compute.work;

/**
 * A signal-search work unit: 8-bit samples of a recording, searched chunk by chunk.
 *
 * @param chunkSize  samples per chunk (an FFT), a power of two in [16, 65536]; the samples are whole chunks
 * @param threshold  a bin is a peak when its power exceeds {@code threshold} times the chunk's mean power
 * @param maxPeaks   peaks kept per chunk (the strongest), 1..1024
 * @param firstChunk the recording's chunk number of the unit's first chunk: peaks name chunks by it
 */
public record SignalUnit(int chunkSize, double threshold, int maxPeaks, long firstChunk, byte[] samples) {

    public static final int MAX_SAMPLES = 1 << 26;

    public SignalUnit {
        if (chunkSize < 16 || chunkSize > 65536 || Integer.bitCount(chunkSize) != 1) {
            throw new WorkFormatException("signal: chunk size " + chunkSize + " is not a power of two in [16, 65536]");
        }
        if (!(threshold > 0) || Double.isInfinite(threshold)) {
            throw new WorkFormatException("signal: threshold " + threshold + " must be a finite number above 0");
        }
        if (maxPeaks < 1 || maxPeaks > 1024) {
            throw new WorkFormatException("signal: peaks per chunk " + maxPeaks + " is outside [1, 1024]");
        }
        if (firstChunk < 0 || firstChunk > (1L << 48)) {
            throw new WorkFormatException("signal: first chunk " + firstChunk + " is outside [0, 2^48]");
        }
        if (samples.length == 0 || samples.length > MAX_SAMPLES || samples.length % chunkSize != 0) {
            throw new WorkFormatException("signal: " + samples.length + " samples are not 1 to " + (MAX_SAMPLES / chunkSize)
                    + " whole chunks of " + chunkSize);
        }
        samples = samples.clone();
    }

    @Override
    public byte[] samples() {
        return samples.clone();
    }

    byte[] samplesShared() {
        return samples;
    }

    public int chunks() {
        return samples.length / chunkSize;
    }

    public byte[] encode() {
        return ByteWriter.envelope(ByteWriter.UNIT, SignalSearch.KIND).varInt(Integer.numberOfTrailingZeros(chunkSize))
                .fixed64(Double.doubleToLongBits(threshold)).varInt(maxPeaks).varLong(firstChunk).bytes(samples).toBytes();
    }

    public static SignalUnit decode(byte[] unit) {
        ByteReader r = new ByteReader(unit, "signal work unit");
        r.expectEnvelope(ByteWriter.UNIT, SignalSearch.KIND);
        int log = r.varInt("log2 chunk size", 4, 16);
        double threshold = r.finiteDouble("threshold");
        int maxPeaks = r.varInt("peaks per chunk", 1, 1024);
        long first = r.varLong("first chunk", 0, 1L << 48);
        byte[] samples = r.bytes("samples", MAX_SAMPLES);
        r.end();
        try {
            return new SignalUnit(1 << log, threshold, maxPeaks, first, samples);
        } catch (WorkFormatException e) {
            throw r.error(e.getMessage());
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SignalUnit u && chunkSize == u.chunkSize
                && Double.doubleToLongBits(threshold) == Double.doubleToLongBits(u.threshold) && maxPeaks == u.maxPeaks
                && firstChunk == u.firstChunk && java.util.Arrays.equals(samples, u.samples);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(samples) * 31 + chunkSize;
    }

    @Override
    public String toString() {
        return "SignalUnit[chunkSize=" + chunkSize + ", threshold=" + threshold + ", maxPeaks=" + maxPeaks
                + ", firstChunk=" + firstChunk + ", samples=" + samples.length + "]";
    }
}
