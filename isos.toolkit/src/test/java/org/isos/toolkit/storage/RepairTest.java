package org.isos.toolkit.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.isos.toolkit.erasure.ReedSolomon;
import org.junit.jupiter.api.Test;

class RepairTest {
    private final SplittableRandom random = new SplittableRandom(77);

    private byte[][] stripe(ReedSolomon rs, int size) {
        byte[][] shards = new byte[rs.totalShards()][size];
        for (int i = 0; i < rs.dataShards(); i++) {
            random.nextBytes(shards[i]);
        }
        rs.encodeParity(shards, 0, size);
        return shards;
    }

    private static SegmentState segment(String id, int k, int n, long size, List<HostCandidate> holders,
            Map<Integer, HolderState> states) {
        List<FragmentStatus> f = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            HolderState s = states.getOrDefault(i, HolderState.AUDITED_OK);
            f.add(new FragmentStatus(i, s == HolderState.MISSING && i % 2 == 0 ? null : holders.get(i), s));
        }
        return new SegmentState(id, k, n, size, f);
    }

    /** Lose up to n − k fragments in many patterns, plan, regenerate onto new hosts: bytes identical. */
    @Test
    void loseUpToParityPlanAndRegenerate() {
        int k = 4;
        int n = 12;
        ReedSolomon rs = ReedSolomon.portable(k, n - k);
        List<HostCandidate> hosts = FragmentPlacementTest.hosts(40, 10, 1 << 30);
        FragmentPlacement placement = FragmentPlacement.seeded(3);
        RepairPlanner planner = RepairPlanner.using(placement).withRepairMargin(n - k); // repair any loss
        for (int trial = 0; trial < 200; trial++) {
            byte[][] original = stripe(rs, 1 + random.nextInt(3000));
            byte[][] hashes = FragmentRepair.hashes(original);
            List<HostCandidate> holders = placement.place(hosts, k, n);
            int losses = 1 + random.nextInt(n - k);
            Map<Integer, HolderState> states = new HashMap<>();
            while (states.size() < losses) {
                states.put(random.nextInt(n), random.nextBoolean() ? HolderState.FAILED : HolderState.MISSING);
            }
            SegmentState s = segment("seg" + trial, k, n, original[0].length, holders, states);
            RepairPlan plan = planner.plan(List.of(s), hosts);
            assertEquals(1, plan.repairs().size());
            RepairPlan.SegmentRepair r = plan.repairs().get(0);
            assertEquals(n - losses, r.health().alive());
            assertEquals(states.keySet(), r.targets().keySet());
            assertEquals(k, r.sources().size());
            // the new placement keeps distinct hosts, avoids the failed ones, and keeps the cap
            Set<HostCandidate> after = new HashSet<>();
            Map<String, Integer> perOwner = new HashMap<>();
            for (int i = 0; i < n; i++) {
                HostCandidate h = r.targets().containsKey(i) ? r.targets().get(i) : holders.get(i);
                assertTrue(after.add(h), "host used twice: " + h);
                perOwner.merge(h.owner(), 1, Integer::sum);
            }
            for (int i : states.keySet()) { // the failed or vanished holders we know of get nothing back
                for (FragmentStatus f : s.fragments()) {
                    if (!f.state().alive() && f.holder() != null) {
                        assertFalse(f.holder().equals(r.targets().get(i)));
                    }
                }
            }
            perOwner.values().forEach(c -> assertTrue(c <= 3, perOwner.toString())); // k − 1
            // download only the sources, plus a corrupt extra from a liar, regenerate the targets
            byte[][] atHand = new byte[n][];
            for (int i : r.sources()) {
                atHand[i] = original[i].clone();
            }
            int[] wanted = r.targets().keySet().stream().mapToInt(Integer::intValue).toArray();
            FragmentRepair.Regenerated out = FragmentRepair.regenerate(rs, atHand, hashes, wanted);
            assertEquals(r.targets().keySet(), out.fragments().keySet());
            for (int i : wanted) {
                assertArrayEquals(original[i], out.fragments().get(i));
            }
            assertTrue(out.corrupt().isEmpty());
        }
    }

    @Test
    void corruptFragmentsAreExcludedAndReported() {
        ReedSolomon rs = ReedSolomon.create(4, 8);
        byte[][] original = stripe(rs, 5000);
        byte[][] hashes = FragmentRepair.hashes(original);
        byte[][] atHand = new byte[12][];
        for (int i : new int[] {1, 3, 5, 8, 9, 11}) {
            atHand[i] = original[i].clone();
        }
        atHand[3][4321] ^= 1; // a flipped byte
        atHand[5] = new byte[10]; // a truncated one
        FragmentRepair.Regenerated out = FragmentRepair.regenerate(rs, atHand, hashes, 0, 2, 3, 5);
        assertEquals(List.of(3, 5), out.corrupt());
        for (int i : new int[] {0, 2, 3, 5}) {
            assertArrayEquals(original[i], out.fragments().get(i));
        }
        atHand[8] = null;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FragmentRepair.regenerate(rs, atHand, hashes, 0));
        assertEquals("need 4 intact fragments to regenerate, have 3 (fragments [3, 5] do not match their hashes)",
                e.getMessage());
        // hashes of another segment: rebuilt bytes do not match
        byte[][] otherHashes = hashes.clone();
        otherHashes[0] = new byte[32];
        byte[][] good = original.clone();
        good[0] = null;
        assertThrows(IllegalStateException.class, () -> FragmentRepair.regenerate(rs, good, otherHashes, 0));
    }

    @Test
    void healthThresholdsAndUrgency() {
        int k = 16;
        int n = 64;
        List<HostCandidate> hosts = FragmentPlacementTest.hosts(300, 20, 1L << 30);
        FragmentPlacement placement = FragmentPlacement.seeded(5);
        List<HostCandidate> holders = placement.place(hosts, k, n);
        RepairPlanner planner = RepairPlanner.using(placement); // default r = 24: repair below 40 alive
        assertEquals(24, planner.repairMargin(k, n));
        Map<Integer, HolderState> few = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            few.put(i * 3, HolderState.FAILED);
        }
        Map<Integer, HolderState> many = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            many.put(i * 2, i % 3 == 0 ? HolderState.MISSING : HolderState.FAILED);
        }
        Map<Integer, HolderState> lost = new HashMap<>();
        for (int i = 0; i < 49; i++) {
            lost.put(i, HolderState.MISSING);
        }
        Map<Integer, HolderState> edge = new HashMap<>();
        for (int i = 0; i < 25; i++) {
            edge.put(63 - i, HolderState.FAILED);
        }
        List<SegmentState> segments = List.of(segment("a-few", k, n, 1 << 20, holders, few),
                segment("b-many", k, n, 1 << 20, holders, many), segment("c-lost", k, n, 1 << 20, holders, lost),
                segment("d-edge", k, n, 1 << 20, holders, edge), segment("e-intact", k, n, 1 << 20, holders, Map.of()));
        RepairPlan plan = planner.plan(segments, hosts);
        assertEquals(5, plan.health().size());
        assertEquals(54, plan.health().get(0).alive());
        assertEquals(38, plan.health().get(0).margin());
        assertTrue(plan.health().get(4).intact());
        assertEquals(List.of("c-lost"), plan.unrecoverable().stream().map(SegmentHealth::segmentId).toList());
        assertEquals(-1, plan.unrecoverable().get(0).margin());
        // most urgent first: b-many (34 alive) before d-edge (39 alive); a-few (54) is above the threshold
        assertEquals(List.of("b-many", "d-edge"), plan.repairs().stream().map(RepairPlan.SegmentRepair::segmentId)
                .toList());
        assertEquals(30, plan.repairs().get(0).targets().size());
        // sources: audited first, data fragments first among those
        assertEquals(16, plan.repairs().get(1).sources().size());
        assertEquals(0, plan.repairs().get(1).sources().get(0));
        assertTrue(plan.blocked().isEmpty());
        assertFalse(plan.isEmpty());
    }

    @Test
    void blockedWhenNoHostsAndCapacityIsConsumedAcrossSegments() {
        List<HostCandidate> hosts = FragmentPlacementTest.hosts(12, 12, 3L << 20); // room for 3 fragments of 1 MiB
        FragmentPlacement placement = FragmentPlacement.seeded(1);
        List<HostCandidate> holders = placement.place(hosts, 4, 12);
        RepairPlanner planner = RepairPlanner.using(placement).withRepairMargin(8);
        Map<Integer, HolderState> dead = Map.of(1, HolderState.MISSING, 3, HolderState.FAILED);
        // only the 12 holders exist: replacements must be new hosts, so it is blocked
        RepairPlan plan = planner.plan(List.of(segment("s", 4, 12, 1 << 20, holders, dead)), hosts);
        assertEquals(1, plan.blocked().size());
        assertTrue(plan.blocked().get(0).reason().startsWith("need 2 distinct new hosts for fragments [1, 3]"),
                plan.blocked().get(0).reason());
        // two fresh hosts with room for exactly one fragment each serve the first segment only
        List<HostCandidate> more = new ArrayList<>(hosts);
        more.add(new HostCandidate("new1", "n1", 0.9, 1 << 20));
        more.add(new HostCandidate("new2", "n2", 0.9, 1 << 20));
        plan = planner.plan(List.of(segment("s1", 4, 12, 1 << 20, holders, dead),
                segment("s2", 4, 12, 1 << 20, holders, dead)), more);
        assertEquals(1, plan.repairs().size());
        assertEquals(Set.of("new1", "new2"), new HashSet<>(plan.repairs().get(0).targets().values().stream()
                .map(HostCandidate::id).toList()));
        assertEquals(1, plan.blocked().size());
        assertTrue(plan.blocked().get(0).reason().contains("2 with less than 1048576 bytes free"),
                plan.blocked().get(0).reason());
    }
}
