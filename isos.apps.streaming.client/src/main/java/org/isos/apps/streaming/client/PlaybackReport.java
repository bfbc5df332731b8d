package org.isos.apps.streaming.client;

import java.util.Map;

/**
 * What a playback did, for the terminal and the benchmarks.
 *
 * @param bytes                   movie bytes written (the whole title)
 * @param seconds                 from the start to the last byte written
 * @param startupMillis           from the start to the first byte written
 * @param stalls                  times the player ran dry
 * @param longestStallMillis      the longest of them
 * @param stalledMillis           all of them together
 * @param fragmentBytes           fragment bytes received, useful or not
 * @param usefulBytes             fragment bytes that went into decoded segments
 * @param fetches                 fetches started
 * @param hedges                  of them, started beyond k for a segment due soon
 * @param cancelled               of them, cancelled because k others arrived first (or their holder was dropped)
 * @param corruptFragments        fragments that did not hash to their id (each fetched again elsewhere)
 * @param dropped                 holders dropped, by host id, and why
 * @param liveCapBytesPerSecond   the sum of the caps of the holders not dropped (their leases' bandwidth)
 * @param bytesByHost             fragment bytes received from each host
 * @param usefulBytesAfterStartup of the useful fragment bytes, those that arrived after the first byte was written
 *                                (the steady state; the rest came during start-up)
 */
public record PlaybackReport(long bytes, double seconds, long startupMillis, int stalls, long longestStallMillis,
        long stalledMillis, long fragmentBytes, long usefulBytes, int fetches, int hedges, int cancelled,
        int corruptFragments, Map<String, String> dropped, long liveCapBytesPerSecond, Map<String, Long> bytesByHost,
        long usefulBytesAfterStartup) {

    /** Useful fragment bytes per second over the whole playback. */
    public double goodputBytesPerSecond() {
        return seconds <= 0 ? 0 : usefulBytes / seconds;
    }

    /**
     * Useful fragment bytes per second after start-up: those that arrived after the first byte was written, over the
     * time from then to the end. Start-up (sessions, the first segment) is {@link #startupMillis()}; over a short
     * playback it weighs heavily on {@link #goodputBytesPerSecond()}.
     */
    public double goodputAfterStartupBytesPerSecond() {
        double after = seconds - startupMillis / 1000.0;
        return startupMillis < 0 || after <= 0 ? 0 : usefulBytesAfterStartup / after;
    }

    /** Goodput after start-up as a share of the live holders' caps; NaN when they have none. */
    public double goodputAfterStartupShareOfCaps() {
        return liveCapBytesPerSecond <= 0 ? Double.NaN : goodputAfterStartupBytesPerSecond() / liveCapBytesPerSecond;
    }

    /** Goodput as a share of the live holders' caps; NaN when they have none. */
    public double goodputShareOfCaps() {
        return liveCapBytesPerSecond <= 0 ? Double.NaN : goodputBytesPerSecond() / liveCapBytesPerSecond;
    }

    /** A few lines for people. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("played %d bytes in %.1f s: start-up %d ms, %d stall%s (longest %d ms)%n", bytes,
                seconds, startupMillis, stalls, stalls == 1 ? "" : "s", longestStallMillis));
        b.append(String.format("goodput %.0f bytes/s", goodputBytesPerSecond()));
        if (liveCapBytesPerSecond > 0) {
            b.append(String.format(" = %.0f%% of the live hosts' caps (%d bytes/s)", 100 * goodputShareOfCaps(),
                    liveCapBytesPerSecond));
        }
        b.append(String.format("; after start-up %.0f bytes/s", goodputAfterStartupBytesPerSecond()));
        if (liveCapBytesPerSecond > 0) {
            b.append(String.format(" = %.0f%%", 100 * goodputAfterStartupShareOfCaps()));
        }
        b.append(String.format("; %d fetches, %d hedged, %d cancelled, %d corrupt; %d of %d fragment bytes useful%n",
                fetches, hedges, cancelled, corruptFragments, usefulBytes, fragmentBytes));
        dropped.forEach((host, why) -> b.append("dropped ").append(host).append(": ").append(why).append('\n'));
        return b.toString();
    }
}
