package org.isos.toolkit.storage;

import java.util.List;

/**
 * Health of one segment: fragments {@code alive} (holder alive or audited ok), {@code margin} = alive − k (how many
 * more losses it survives; negative = unrecoverable), and the indices lost (failed, missing or without status).
 */
public record SegmentHealth(String segmentId, int k, int n, int alive, List<Integer> lost) {
    public SegmentHealth {
        lost = List.copyOf(lost);
    }

    public int margin() {
        return alive - k;
    }

    public boolean recoverable() {
        return alive >= k;
    }

    public boolean intact() {
        return alive == n;
    }

    @Override
    public String toString() {
        return segmentId + ": " + alive + "/" + n + " alive, margin " + margin() + " over k = " + k
                + (lost.isEmpty() ? "" : ", lost " + lost);
    }
}
