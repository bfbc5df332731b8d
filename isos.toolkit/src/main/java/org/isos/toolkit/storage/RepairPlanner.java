package org.isos.toolkit.storage;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Decides which segments need repair and where their regenerated fragments go. A segment is repaired when fewer than
 * {@code k + r} fragments are alive; all its lost fragments are then regenerated (back to n), onto hosts chosen by
 * {@link FragmentPlacement#replace} so the spread over owners is kept. The default r is {@code max(1, ⌈(n − k) / 2⌉)}
 * (16-of-64: repair below 40 alive), which batches repairs — each costs downloading k fragments — while leaving room
 * for further losses before the repair completes.
 */
public final class RepairPlanner {
    private final FragmentPlacement placement;
    private final int margin; // -1: default per segment

    private RepairPlanner(FragmentPlacement placement, int margin) {
        this.placement = Objects.requireNonNull(placement, "placement");
        this.margin = margin;
    }

    public static RepairPlanner using(FragmentPlacement placement) {
        return new RepairPlanner(placement, -1);
    }

    /** Repair when fewer than k + r fragments are alive (r is capped at n − k, which repairs any loss; 0 never repairs). */
    public RepairPlanner withRepairMargin(int r) {
        if (r < 0) {
            throw new IllegalArgumentException("negative repair margin " + r);
        }
        return new RepairPlanner(placement, r);
    }

    /** The r in force for a k-of-n segment. */
    public int repairMargin(int k, int n) {
        return margin >= 0 ? Math.min(margin, n - k) : Math.max(1, (n - k + 1) / 2);
    }

    public static SegmentHealth health(SegmentState segment) {
        HolderState[] state = states(segment);
        int alive = 0;
        List<Integer> lost = new ArrayList<>();
        for (int i = 0; i < segment.n(); i++) {
            if (state[i] != null && state[i].alive()) {
                alive++;
            } else {
                lost.add(i);
            }
        }
        return new SegmentHealth(segment.segmentId(), segment.k(), segment.n(), alive, lost);
    }

    /**
     * Plans repairs for these segments onto these candidate hosts. Fragments planned onto a host reduce its free
     * storage for the segments after it, so one host is not promised more than it has.
     */
    public RepairPlan plan(Collection<SegmentState> segments, Collection<HostCandidate> candidates) {
        Objects.requireNonNull(segments, "segments");
        Map<String, HostCandidate> pool = new LinkedHashMap<>();
        for (HostCandidate h : candidates) {
            pool.putIfAbsent(h.id(), h);
        }
        List<SegmentHealth> all = new ArrayList<>();
        List<SegmentState> due = new ArrayList<>();
        List<SegmentHealth> unrecoverable = new ArrayList<>();
        Map<SegmentState, SegmentHealth> healthOf = new HashMap<>();
        Set<String> ids = new HashSet<>();
        for (SegmentState s : segments) {
            if (!ids.add(s.segmentId())) {
                throw new IllegalArgumentException("segment " + s.segmentId() + " listed twice");
            }
            SegmentHealth h = health(s);
            all.add(h);
            healthOf.put(s, h);
            if (!h.recoverable()) {
                unrecoverable.add(h);
            } else if (h.alive() < s.k() + repairMargin(s.k(), s.n())) {
                due.add(s);
            }
        }
        due.sort(Comparator.comparingInt((SegmentState s) -> healthOf.get(s).margin())
                .thenComparing(SegmentState::segmentId));
        List<RepairPlan.SegmentRepair> repairs = new ArrayList<>();
        List<RepairPlan.Blocked> blocked = new ArrayList<>();
        for (SegmentState s : due) {
            SegmentHealth h = healthOf.get(s);
            Map<Integer, HostCandidate> holders = new HashMap<>();
            Set<String> bad = new HashSet<>();
            for (FragmentStatus f : s.fragments()) {
                if (f.state().alive()) {
                    holders.put(f.index(), f.holder());
                } else if (f.holder() != null) {
                    bad.add(f.holder().id());
                }
            }
            Map<Integer, HostCandidate> targets;
            try {
                targets = placement.withFragmentBytes(s.fragmentBytes()).replace(pool.values(), s.k(), s.n(), holders,
                        bad);
            } catch (PlacementException e) {
                blocked.add(new RepairPlan.Blocked(h, e.getMessage()));
                continue;
            }
            for (HostCandidate t : targets.values()) {
                HostCandidate now = pool.get(t.id());
                pool.put(t.id(), new HostCandidate(now.id(), now.owner(), now.availability(),
                        now.freeBytes() - s.fragmentBytes(), now.price()));
            }
            repairs.add(new RepairPlan.SegmentRepair(h, sources(s), targets));
        }
        return new RepairPlan(all, repairs, blocked, unrecoverable);
    }

    /** k alive fragments to rebuild from: audited ones first, then by index (data fragments decode cheapest). */
    static List<Integer> sources(SegmentState s) {
        List<FragmentStatus> alive = new ArrayList<>();
        for (FragmentStatus f : s.fragments()) {
            if (f.state().alive()) {
                alive.add(f);
            }
        }
        alive.sort(Comparator.comparingInt((FragmentStatus f) -> f.state() == HolderState.AUDITED_OK ? 0 : 1)
                .thenComparingInt(FragmentStatus::index));
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < s.k(); i++) {
            out.add(alive.get(i).index());
        }
        out.sort(null);
        return out;
    }

    private static HolderState[] states(SegmentState s) {
        HolderState[] state = new HolderState[s.n()];
        for (FragmentStatus f : s.fragments()) {
            state[f.index()] = f.state();
        }
        return state;
    }
}
