package org.isos.apps.streaming.client;

/**
 * Where a playback stands, as a viewer's terminal shows it.
 *
 * @param bytesWritten       bytes of the movie written to the output, in order
 * @param bytes              the movie's length
 * @param segmentsWritten    segments written
 * @param segments           segments in the title
 * @param bufferSeconds      play time buffered ahead of the play position of a player that started at the first
 *                           byte and plays at the title's rate; NaN when the title has no play rate
 * @param segmentsAhead      segments decoded or being fetched ahead of the output
 * @param rateBytesPerSecond fragment bytes received per second over the last few seconds
 * @param hostsInUse         holders with a fetch in flight now
 * @param hostsLive          holders not dropped
 * @param hostsDropped       holders dropped (stalled, refused, broke, or served a corrupt fragment)
 * @param startupMillis      from the start to the first byte written; -1 before it
 * @param stalls             times the player ran dry (see {@link Viewer})
 * @param longestStallMillis the longest of them so far (including one going on now)
 */
public record PlaybackStatus(long bytesWritten, long bytes, int segmentsWritten, int segments, double bufferSeconds,
        int segmentsAhead, double rateBytesPerSecond, int hostsInUse, int hostsLive, int hostsDropped,
        long startupMillis, int stalls, long longestStallMillis) {

    /** One terminal line, e.g. {@code 42% 440 KB/1.0 MB · buffer 12.3 s · 231 KB/s · hosts 8/8 in use · 0 stalls}. */
    public String line() {
        StringBuilder b = new StringBuilder();
        b.append(bytes == 0 ? 100 : bytesWritten * 100 / bytes).append("% ").append(size(bytesWritten)).append('/')
                .append(size(bytes));
        b.append(" · buffer ");
        if (Double.isNaN(bufferSeconds)) {
            b.append(segmentsAhead).append(" seg");
        } else {
            b.append(String.format("%.1f s", bufferSeconds));
        }
        b.append(" · ").append(size((long) rateBytesPerSecond)).append("/s");
        b.append(" · hosts ").append(hostsInUse).append(" in use/").append(hostsLive).append(" live");
        if (hostsDropped > 0) {
            b.append(" (").append(hostsDropped).append(" dropped)");
        }
        b.append(" · ").append(stalls).append(stalls == 1 ? " stall" : " stalls");
        if (stalls > 0) {
            b.append(String.format(" (longest %.1f s)", longestStallMillis / 1000.0));
        }
        return b.toString();
    }

    static String size(long bytes) {
        if (bytes < 1000) {
            return bytes + " B";
        }
        if (bytes < 1_000_000) {
            return String.format("%.0f KB", bytes / 1e3);
        }
        return String.format("%.1f MB", bytes / 1e6);
    }
}
