package org.isos.toolkit.storage;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Chooses hosts for the n fragments of a k-of-n segment: n distinct hosts, spread over owners, preferring available,
 * roomy and cheap hosts; deterministic for a given seed and candidate set (the order of the candidates does not
 * matter). Immutable; the {@code with…} methods return modified copies.
 *
 * <h2>Spread over owners</h2>
 * No owner receives more than a cap of fragments. By default the cap is the smallest number that lets the fragments
 * be placed at all — {@code ⌈n / owners⌉} when every owner has enough hosts — and never more than {@code k − 1}: an
 * owner with many hosts (a cheater, or one power cut) must not hold k fragments, which would let it rebuild the
 * segment (and regenerate on demand fragments it claims to store) or take k of them away at once. Because of that
 * bound, a k-of-n segment needs at least {@code ⌈n / (k − 1)⌉} owners by default. {@link #withMaxPerOwner(int)} sets
 * the cap explicitly instead (e.g. {@code n} on a single-owner test grid).
 *
 * <h2>Preference</h2>
 * Each eligible host (at least {@link #withFragmentBytes fragmentBytes} free, availability at least
 * {@link #withMinAvailability minAvailability}) gets the score {@code wA·availability + wC·capacity − wP·price +
 * wJ·jitter}, where capacity is {@code log(1 + free/fragment)} relative to the roomiest candidate, price is relative to
 * the dearest priced candidate (0.5 when unknown), and jitter is uniform in [0, 1) from the seed and the host id, to
 * share load between equals. Hosts are taken greedily by score, skipping owners at the cap; for this kind of
 * constraint (a partition matroid) greedy is optimal, so the total score is the best any placement under the cap
 * achieves. The best host gets fragment 0: with a systematic code the data fragments {@code 0..k-1} are read without
 * decoding, so they go to the most available hosts.
 */
public final class FragmentPlacement {
    private final long seed;
    private final long fragmentBytes;
    private final int maxPerOwner;
    private final double minAvailability;
    private final double availabilityWeight;
    private final double capacityWeight;
    private final double priceWeight;
    private final double jitterWeight;

    private FragmentPlacement(long seed, long fragmentBytes, int maxPerOwner, double minAvailability, double wA,
            double wC, double wP, double wJ) {
        this.seed = seed;
        this.fragmentBytes = fragmentBytes;
        this.maxPerOwner = maxPerOwner;
        this.minAvailability = minAvailability;
        this.availabilityWeight = wA;
        this.capacityWeight = wC;
        this.priceWeight = wP;
        this.jitterWeight = wJ;
    }

    /** Default weights (availability 1, capacity 0.2, price 0.2, jitter 0.1), no size or availability floor. */
    public static FragmentPlacement seeded(long seed) {
        return new FragmentPlacement(seed, 0, 0, 0, 1, 0.2, 0.2, 0.1);
    }

    /** Hosts with less free storage than one fragment are not eligible. */
    public FragmentPlacement withFragmentBytes(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative fragment size " + bytes);
        }
        return new FragmentPlacement(seed, bytes, maxPerOwner, minAvailability, availabilityWeight, capacityWeight,
                priceWeight, jitterWeight);
    }

    /** An explicit cap of fragments per owner; 0 restores the default (see the class comment). */
    public FragmentPlacement withMaxPerOwner(int cap) {
        if (cap < 0) {
            throw new IllegalArgumentException("negative cap per owner " + cap);
        }
        return new FragmentPlacement(seed, fragmentBytes, cap, minAvailability, availabilityWeight, capacityWeight,
                priceWeight, jitterWeight);
    }

    /** Hosts below this availability are not eligible. */
    public FragmentPlacement withMinAvailability(double min) {
        if (!(min >= 0 && min <= 1)) {
            throw new IllegalArgumentException("minimum availability " + min + " is not in [0, 1]");
        }
        return new FragmentPlacement(seed, fragmentBytes, maxPerOwner, min, availabilityWeight, capacityWeight,
                priceWeight, jitterWeight);
    }

    public FragmentPlacement withWeights(double availability, double capacity, double price, double jitter) {
        for (double w : new double[] {availability, capacity, price, jitter}) {
            if (!(w >= 0) || Double.isInfinite(w)) {
                throw new IllegalArgumentException("weights must be finite and non-negative, got " + w);
            }
        }
        return new FragmentPlacement(seed, fragmentBytes, maxPerOwner, minAvailability, availability, capacity, price,
                jitter);
    }

    public long seed() {
        return seed;
    }

    /**
     * Hosts for the n fragments of a k-of-n segment: element i holds fragment i.
     *
     * @throws PlacementException when no placement satisfies the constraints, saying what was needed and what there was
     */
    public List<HostCandidate> place(Collection<HostCandidate> candidates, int k, int n) {
        checkCode(k, n);
        Map<Integer, HostCandidate> chosen = choose(candidates, k, n, Map.of(), Set.of(), range(n), "");
        return List.copyOf(chosen.values());
    }

    /**
     * Replacement hosts for repair: the fragments of {@code holders} (index → holder) whose holder is in
     * {@code failedHosts}, and those with no holder at all, get new hosts; the others stay where they are and count
     * towards their owners' caps. New hosts are distinct from every current holder and from the failed hosts.
     *
     * @return fragment index → new host, for exactly the fragments to move, in index order (empty when none)
     * @throws PlacementException when the replacements cannot be placed under the cap
     */
    public Map<Integer, HostCandidate> replace(Collection<HostCandidate> candidates, int k, int n,
            Map<Integer, HostCandidate> holders, Set<String> failedHosts) {
        checkCode(k, n);
        Objects.requireNonNull(holders, "holders");
        Objects.requireNonNull(failedHosts, "failedHosts");
        Map<Integer, HostCandidate> kept = new TreeMap<>();
        TreeSet<Integer> toPlace = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            HostCandidate h = holders.get(i);
            if (h == null || failedHosts.contains(h.id())) {
                toPlace.add(i);
            } else {
                kept.put(i, h);
            }
        }
        for (Integer i : holders.keySet()) {
            if (i == null || i < 0 || i >= n) {
                throw new IllegalArgumentException("holder for fragment " + i + " outside 0.." + (n - 1));
            }
        }
        if (toPlace.isEmpty()) {
            return Map.of();
        }
        return choose(candidates, k, n, kept, failedHosts, new ArrayList<>(toPlace),
                " for fragments " + toPlace + " of a " + k + "-of-" + n + " segment");
    }

    /** The cap this placement applies to a k-of-n segment over hosts with these counts per owner. */
    int ownerCap(int k, int n, int needed, Map<String, Integer> keptPerOwner, Map<String, Integer> hostsPerOwner) {
        if (maxPerOwner > 0) {
            return maxPerOwner;
        }
        int upper = k >= 2 ? k - 1 : n;
        Set<String> owners = new HashSet<>(hostsPerOwner.keySet());
        owners.addAll(keptPerOwner.keySet());
        int c = Math.max(1, (n + owners.size() - 1) / Math.max(1, owners.size()));
        for (; c < upper; c++) {
            if (usable(c, keptPerOwner, hostsPerOwner) >= needed) {
                return c;
            }
        }
        return upper;
    }

    private static int usable(int cap, Map<String, Integer> keptPerOwner, Map<String, Integer> hostsPerOwner) {
        int total = 0;
        for (Map.Entry<String, Integer> e : hostsPerOwner.entrySet()) {
            total += Math.max(0, Math.min(e.getValue(), cap - keptPerOwner.getOrDefault(e.getKey(), 0)));
        }
        return total;
    }

    private Map<Integer, HostCandidate> choose(Collection<HostCandidate> candidates, int k, int n,
            Map<Integer, HostCandidate> kept, Set<String> failed, List<Integer> indices, String purpose) {
        Objects.requireNonNull(candidates, "candidates");
        Set<String> keptIds = new HashSet<>();
        Map<String, Integer> keptPerOwner = new HashMap<>();
        for (HostCandidate h : kept.values()) {
            if (keptIds.add(h.id())) {
                keptPerOwner.merge(h.owner(), 1, Integer::sum);
            }
        }
        // Eligible, distinct (first occurrence of an id wins; a duplicate id with different data is an error).
        Map<String, HostCandidate> seen = new HashMap<>();
        List<HostCandidate> eligible = new ArrayList<>();
        int tooSmall = 0;
        int unavailable = 0;
        int excluded = 0;
        for (HostCandidate h : candidates) {
            Objects.requireNonNull(h, "null candidate");
            HostCandidate prev = seen.putIfAbsent(h.id(), h);
            if (prev != null) {
                if (!prev.equals(h)) {
                    throw new IllegalArgumentException("host " + h.id() + " is listed twice with different data");
                }
            } else if (failed.contains(h.id()) || keptIds.contains(h.id())) {
                excluded++;
            } else if (h.freeBytes() < fragmentBytes) {
                tooSmall++;
            } else if (h.availability() < minAvailability) {
                unavailable++;
            } else {
                eligible.add(h);
            }
        }
        Map<String, Integer> hostsPerOwner = new TreeMap<>();
        for (HostCandidate h : eligible) {
            hostsPerOwner.merge(h.owner(), 1, Integer::sum);
        }
        int needed = indices.size();
        int cap = ownerCap(k, n, needed, keptPerOwner, hostsPerOwner);
        int usable = usable(cap, keptPerOwner, hostsPerOwner);
        if (usable < needed) {
            throw new PlacementException(impossible(k, n, needed, cap, usable, eligible.size(), hostsPerOwner,
                    keptPerOwner, tooSmall, unavailable, excluded, purpose));
        }
        Map<HostCandidate, Double> score = scores(eligible);
        eligible.sort(Comparator.comparingDouble((HostCandidate h) -> -score.get(h)).thenComparing(HostCandidate::id));
        Map<String, Integer> perOwner = new HashMap<>(keptPerOwner);
        Map<Integer, HostCandidate> chosen = new LinkedHashMap<>();
        int next = 0;
        for (HostCandidate h : eligible) {
            if (next == needed) {
                break;
            }
            if (perOwner.getOrDefault(h.owner(), 0) < cap) {
                perOwner.merge(h.owner(), 1, Integer::sum);
                chosen.put(indices.get(next++), h);
            }
        }
        if (next < needed) { // cannot happen: greedy reaches the rank usable() computed
            throw new IllegalStateException("placed " + next + " of " + needed + " fragments");
        }
        return Collections.unmodifiableMap(chosen);
    }

    private String impossible(int k, int n, int needed, int cap, int usable, int hosts, Map<String, Integer> hostsPerOwner,
            Map<String, Integer> keptPerOwner, int tooSmall, int unavailable, int excluded, String purpose) {
        StringBuilder sb = new StringBuilder("need ").append(needed).append(" distinct ")
                .append(kept(keptPerOwner) ? "new hosts" : "hosts");
        if (!kept(keptPerOwner)) {
            sb.append(" over at least ").append((needed + cap - 1) / cap).append(" owners");
        }
        sb.append(purpose).append(" (at most ").append(cap).append(" fragments per owner");
        if (maxPerOwner == 0 && k >= 2 && cap == k - 1) {
            sb.append(", fewer than k = ").append(k);
        }
        sb.append("), have ").append(hosts).append(hosts == 1 ? " host of " : " hosts of ").append(hostsPerOwner.size())
                .append(hostsPerOwner.size() == 1 ? " owner" : " owners");
        if (usable < hosts) {
            sb.append(", of which ").append(usable).append(" usable under that cap");
        }
        if (kept(keptPerOwner)) {
            sb.append("; current holders by owner: ").append(new TreeMap<>(keptPerOwner));
        }
        List<String> why = new ArrayList<>();
        if (tooSmall > 0) {
            why.add(tooSmall + " with less than " + fragmentBytes + " bytes free");
        }
        if (unavailable > 0) {
            why.add(unavailable + " below availability " + minAvailability);
        }
        if (excluded > 0) {
            why.add(excluded + " failed or already holding a fragment");
        }
        if (!why.isEmpty()) {
            sb.append(" (not counting ").append(String.join(", ", why)).append(')');
        }
        return sb.toString();
    }

    private static boolean kept(Map<String, Integer> keptPerOwner) {
        return !keptPerOwner.isEmpty();
    }

    private Map<HostCandidate, Double> scores(List<HostCandidate> eligible) {
        double unit = Math.max(1, fragmentBytes);
        double maxCapacity = 0;
        double maxPrice = 0;
        for (HostCandidate h : eligible) {
            maxCapacity = Math.max(maxCapacity, Math.log1p(h.freeBytes() / unit));
            if (h.hasPrice()) {
                maxPrice = Math.max(maxPrice, h.price());
            }
        }
        Map<HostCandidate, Double> score = new HashMap<>();
        for (HostCandidate h : eligible) {
            double capacity = maxCapacity > 0 ? Math.log1p(h.freeBytes() / unit) / maxCapacity : 0;
            double price = !h.hasPrice() ? 0.5 : maxPrice > 0 ? h.price() / maxPrice : 0;
            double jitter = new SplittableRandom(seed ^ idHash(h.id())).nextDouble();
            score.put(h, availabilityWeight * h.availability() + capacityWeight * capacity - priceWeight * price
                    + jitterWeight * jitter);
        }
        return score;
    }

    /** FNV-1a over the UTF-16 code units: stable across JVMs, unlike identity hashes. */
    private static long idHash(String id) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < id.length(); i++) {
            h = (h ^ id.charAt(i)) * 0x100000001b3L;
        }
        return h;
    }

    private static List<Integer> range(int n) {
        List<Integer> r = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            r.add(i);
        }
        return r;
    }

    static void checkCode(int k, int n) {
        if (k < 1 || n < k || n > 256) {
            throw new IllegalArgumentException("need 1 <= k <= n <= 256, got k = " + k + ", n = " + n);
        }
    }
}
