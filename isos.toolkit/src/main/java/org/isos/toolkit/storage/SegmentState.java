package org.isos.toolkit.storage;

import java.util.List;
import java.util.Objects;

/**
 * One erasure-coded segment as the client sees it: its id, its code (any k of n fragments rebuild it), the size of
 * each fragment, and a status for each fragment it knows of (a fragment index without status counts as missing).
 */
public record SegmentState(String segmentId, int k, int n, long fragmentBytes, List<FragmentStatus> fragments) {
    public SegmentState {
        Objects.requireNonNull(segmentId, "segmentId");
        FragmentPlacement.checkCode(k, n);
        if (fragmentBytes < 0) {
            throw new IllegalArgumentException("segment " + segmentId + ": negative fragment size");
        }
        fragments = List.copyOf(fragments);
        boolean[] seen = new boolean[n];
        for (FragmentStatus f : fragments) {
            if (f.index() >= n) {
                throw new IllegalArgumentException("segment " + segmentId + ": fragment " + f.index() + " outside 0.."
                        + (n - 1));
            }
            if (seen[f.index()]) {
                throw new IllegalArgumentException("segment " + segmentId + ": fragment " + f.index() + " listed twice");
            }
            seen[f.index()] = true;
        }
    }
}
