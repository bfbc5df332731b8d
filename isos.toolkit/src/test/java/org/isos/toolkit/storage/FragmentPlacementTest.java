package org.isos.toolkit.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FragmentPlacementTest {

    /** hosts h0..h(count-1), host i owned by o(i % owners), availability varying with i. */
    static List<HostCandidate> hosts(int count, int owners, long free) {
        List<HostCandidate> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            list.add(new HostCandidate("h" + i, "o" + (i % owners), 0.5 + 0.5 * ((i * 37) % 100) / 100.0, free));
        }
        return list;
    }

    static Map<String, Integer> perOwner(Iterable<HostCandidate> chosen) {
        Map<String, Integer> m = new HashMap<>();
        for (HostCandidate h : chosen) {
            m.merge(h.owner(), 1, Integer::sum);
        }
        return m;
    }

    @Test
    void distinctHostsSpreadEvenlyOverOwners() {
        List<HostCandidate> chosen = FragmentPlacement.seeded(1).place(hosts(200, 8, 1 << 30), 16, 64);
        assertEquals(64, chosen.size());
        assertEquals(64, new HashSet<>(chosen).size());
        assertEquals(8, perOwner(chosen).size());
        perOwner(chosen).values().forEach(c -> assertEquals(8, c)); // ⌈64/8⌉
    }

    @Test
    void cheaterWithManyHostsGetsFewerThanK() {
        List<HostCandidate> hosts = new ArrayList<>();
        for (int i = 0; i < 500; i++) { // the cheater: many hosts, perfect availability
            hosts.add(new HostCandidate("sybil" + i, "mallory", 1.0, 1L << 40, 0));
        }
        for (int i = 0; i < 60; i++) {
            hosts.add(new HostCandidate("honest" + i, "owner" + (i % 5), 0.6, 1L << 30));
        }
        List<HostCandidate> chosen = FragmentPlacement.seeded(7).place(hosts, 16, 64);
        int mallory = perOwner(chosen).get("mallory");
        assertTrue(mallory < 16, "mallory holds " + mallory);
        assertEquals(11, mallory); // ⌈64/6⌉: the most even spread over 6 owners
    }

    @Test
    void capIsTheSmallestFeasibleWhenOwnersHaveFewHosts() {
        List<HostCandidate> hosts = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            hosts.add(new HostCandidate("a" + i, "A", 0.9, 100));
        }
        hosts.add(new HostCandidate("b", "B", 0.9, 100));
        hosts.add(new HostCandidate("c", "C", 0.9, 100));
        // ⌈6/3⌉ = 2 would leave only 4 usable; 4 per owner is the least that places 6, and 4 < k = 5
        Map<String, Integer> owners = perOwner(FragmentPlacement.seeded(3).place(hosts, 5, 6));
        assertEquals(Map.of("A", 4, "B", 1, "C", 1), owners);
    }

    @Test
    void prefersAvailabilityCapacityAndPrice() {
        List<HostCandidate> hosts = List.of(
                new HostCandidate("flaky", "o1", 0.2, 1L << 30),
                new HostCandidate("solid", "o2", 0.99, 1L << 30),
                new HostCandidate("small", "o3", 0.9, 1L << 21),
                new HostCandidate("cheap", "o4", 0.9, 1L << 30, 1),
                new HostCandidate("dear", "o5", 0.9, 1L << 30, 10));
        FragmentPlacement p = FragmentPlacement.seeded(5).withFragmentBytes(1 << 20).withWeights(1, 0.2, 0.2, 0);
        List<HostCandidate> chosen = p.place(hosts, 1, 3);
        assertEquals(List.of("solid", "cheap", "dear"), chosen.stream().map(HostCandidate::id).toList());
        // the fragment-size floor
        assertThrows(PlacementException.class, () -> p.withFragmentBytes(1L << 31).place(hosts, 1, 1));
        // the availability floor
        assertEquals(1, p.withMinAvailability(0.95).place(hosts, 1, 1).size());
        assertThrows(PlacementException.class, () -> p.withMinAvailability(0.995).place(hosts, 1, 1));
    }

    @Test
    void deterministicForASeedWhateverTheOrder() {
        List<HostCandidate> hosts = hosts(300, 30, 1 << 30);
        List<HostCandidate> shuffled = new ArrayList<>(hosts);
        Collections.shuffle(shuffled, new Random(9));
        FragmentPlacement p = FragmentPlacement.seeded(42).withWeights(1, 0.2, 0.2, 1); // jitter matters
        assertEquals(p.place(hosts, 16, 64), p.place(shuffled, 16, 64));
        assertNotEquals(p.place(hosts, 16, 64), FragmentPlacement.seeded(43).withWeights(1, 0.2, 0.2, 1)
                .place(hosts, 16, 64));
    }

    @Test
    void clearErrorsWhenImpossible() {
        PlacementException e = assertThrows(PlacementException.class,
                () -> FragmentPlacement.seeded(1).place(hosts(12, 2, 1 << 30), 16, 64));
        assertEquals("need 64 distinct hosts over at least 5 owners (at most 15 fragments per owner, fewer than"
                + " k = 16), have 12 hosts of 2 owners", e.getMessage());
        e = assertThrows(PlacementException.class,
                () -> FragmentPlacement.seeded(1).place(hosts(12, 3, 1 << 30), 4, 12));
        assertEquals("need 12 distinct hosts over at least 4 owners (at most 3 fragments per owner, fewer than"
                + " k = 4), have 12 hosts of 3 owners, of which 9 usable under that cap", e.getMessage());
        e = assertThrows(PlacementException.class, () -> FragmentPlacement.seeded(1).withFragmentBytes(1000)
                .place(hosts(12, 12, 999), 4, 12));
        assertTrue(e.getMessage().endsWith("have 0 hosts of 0 owners (not counting 12 with less than 1000 bytes free)"),
                e.getMessage());
        // a single-owner test grid works with an explicit cap
        assertEquals(12, FragmentPlacement.seeded(1).withMaxPerOwner(12).place(hosts(12, 1, 1 << 30), 4, 12).size());
        assertThrows(IllegalArgumentException.class, () -> FragmentPlacement.seeded(1).place(hosts(5, 5, 1), 3, 2));
        assertThrows(IllegalArgumentException.class, () -> FragmentPlacement.seeded(1)
                .place(List.of(new HostCandidate("x", "a", 1, 1), new HostCandidate("x", "b", 1, 1)), 1, 1));
    }

    @Test
    void replacementKeepsTheSpreadAndAvoidsFailedHosts() {
        List<HostCandidate> hosts = hosts(40, 8, 1 << 30);
        FragmentPlacement p = FragmentPlacement.seeded(11);
        List<HostCandidate> placed = p.place(hosts, 4, 16); // cap ⌈16/8⌉ = 2
        Map<Integer, HostCandidate> holders = new HashMap<>();
        for (int i = 0; i < 16; i++) {
            holders.put(i, placed.get(i));
        }
        holders.remove(3); // vanished without trace
        Set<String> failed = Set.of(placed.get(0).id(), placed.get(7).id());
        List<HostCandidate> remaining = new ArrayList<>(hosts);
        remaining.remove(placed.get(3)); // gone from the registry too
        Map<Integer, HostCandidate> repl = p.replace(remaining, 4, 16, holders, failed);
        assertEquals(Set.of(0, 3, 7), repl.keySet());
        Map<Integer, HostCandidate> after = new HashMap<>(holders);
        after.putAll(repl);
        assertEquals(16, new HashSet<>(after.values()).size());
        for (HostCandidate h : repl.values()) {
            assertTrue(!failed.contains(h.id()) && !placed.contains(h), h.id());
        }
        perOwner(after.values()).values().forEach(c -> assertTrue(c <= 2, "owner over cap: " + perOwner(after.values())));
        // nothing to do
        Map<Integer, HostCandidate> full = new HashMap<>();
        for (int i = 0; i < 16; i++) {
            full.put(i, placed.get(i));
        }
        assertTrue(p.replace(hosts, 4, 16, full, Set.of()).isEmpty());
        // impossible: only the current holders' owners are left and they are at the cap
        PlacementException e = assertThrows(PlacementException.class,
                () -> p.replace(placed, 4, 16, holders, failed));
        assertTrue(e.getMessage().startsWith("need 3 distinct new hosts for fragments [0, 3, 7] of a 4-of-16 segment"),
                e.getMessage());
    }
}
