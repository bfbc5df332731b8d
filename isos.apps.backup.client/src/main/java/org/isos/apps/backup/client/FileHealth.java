package org.isos.apps.backup.client;

import java.util.List;

/**
 * What an audit of every fragment of a file found.
 *
 * @param recoverable every segment has at least k healthy fragments
 */
public record FileHealth(String fileId, String name, List<SegmentReport> segments, boolean recoverable) {

    public FileHealth {
        segments = List.copyOf(segments);
    }

    /** Healthy fragments over all segments. */
    public int healthy() {
        return segments.stream().mapToInt(s -> s.healthy().size()).sum();
    }

    public int missing() {
        return segments.stream().mapToInt(s -> s.missing().size()).sum();
    }

    public int corrupt() {
        return segments.stream().mapToInt(s -> s.corrupt().size()).sum();
    }

    /**
     * The file's redundancy now: the fewest healthy fragments beyond k over its segments (n − k when intact,
     * negative when a segment can no longer be restored; 0 for a file without segments).
     */
    public int spare() {
        return segments.stream().mapToInt(s -> s.healthy().size() - s.k()).min().orElse(0);
    }

    /** The redundancy it was stored with: the least n − k over its segments (0 for a file without segments). */
    public int designedSpare() {
        return segments.stream().mapToInt(s -> s.n() - s.k()).min().orElse(0);
    }

    /** Every fragment passed its audit. */
    public boolean intact() {
        return missing() == 0 && corrupt() == 0;
    }

    /**
     * One segment: fragment indices by what their holders did.
     *
     * @param missing the holder is unreachable, not among the holders given, or does not have the fragment
     * @param corrupt the holder answered but failed the audit (or keeps a copy that no longer matches its id)
     * @param holders fragment index → holder id (as stored in the manifest)
     */
    public record SegmentReport(int index, int k, int n, List<Integer> healthy, List<Integer> missing,
            List<Integer> corrupt, List<String> holders) {
        public SegmentReport {
            healthy = List.copyOf(healthy);
            missing = List.copyOf(missing);
            corrupt = List.copyOf(corrupt);
            holders = List.copyOf(holders);
        }

        public boolean recoverable() {
            return healthy.size() >= k;
        }
    }

    @Override
    public String toString() {
        return fileId + " (" + name + "): " + healthy() + " healthy, " + missing() + " missing, " + corrupt()
                + " corrupt fragments in " + segments.size() + " segments; "
                + (recoverable ? "recoverable" : "NOT recoverable");
    }
}
