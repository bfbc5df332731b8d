package org.isos.toolkit.storage;

import java.util.List;
import java.util.Map;

/**
 * What {@link RepairPlanner#plan} found: health of every segment, the repairs to make (most urgent first), the
 * segments that need repair but cannot be placed now, and those already lost.
 */
public record RepairPlan(List<SegmentHealth> health, List<SegmentRepair> repairs, List<Blocked> blocked,
        List<SegmentHealth> unrecoverable) {

    public RepairPlan {
        health = List.copyOf(health);
        repairs = List.copyOf(repairs);
        blocked = List.copyOf(blocked);
        unrecoverable = List.copyOf(unrecoverable);
    }

    /** Nothing to do and nothing lost. */
    public boolean isEmpty() {
        return repairs.isEmpty() && blocked.isEmpty() && unrecoverable.isEmpty();
    }

    /**
     * Regenerate fragments {@code targets.keySet()} of a segment from the fragments {@code sources} (k alive indices:
     * audited ones first, then data fragments, so that decoding is cheapest) and store each on its target host.
     */
    public record SegmentRepair(SegmentHealth health, List<Integer> sources, Map<Integer, HostCandidate> targets) {
        public SegmentRepair {
            sources = List.copyOf(sources);
            targets = Map.copyOf(targets);
        }

        public String segmentId() {
            return health.segmentId();
        }
    }

    /** A segment below the repair threshold for which no hosts could be found; {@code reason} says why. */
    public record Blocked(SegmentHealth health, String reason) {
    }
}
