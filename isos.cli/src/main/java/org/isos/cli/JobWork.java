package org.isos.cli;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import org.isos.apps.compute.work.GeneResult;
import org.isos.apps.compute.work.GeneUnit;
import org.isos.apps.compute.work.MersenneResult;
import org.isos.apps.compute.work.MersenneUnit;
import org.isos.apps.compute.work.Scoring;
import org.isos.apps.compute.work.Sequence;
import org.isos.apps.compute.work.Workloads;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A job's work as the buyer's side makes and reads it: the units of a Mersenne range or a gene search, the
 * Mersenne spot checks (ranges of the same width as the real units, whose answers this machine computes once),
 * and the results turned back into exponents or hits. Pure functions of their inputs, so they are tested alone.
 */
final class JobWork {

    /** The largest exponent {@code --range} takes here (units are quadratic; beyond this a job takes hours). */
    static final int MAX_EXPONENT = 200_000;

    private JobWork() {
    }

    /** A unit with its name and cost, as {@code POST /v1/jobs} takes it. */
    record Unit(String name, byte[] input, long cost, byte[] expected) {

        ObjectNode json() {
            ObjectNode o = ServerConnection.object().put("name", name)
                    .put("input", Base64.getEncoder().encodeToString(input)).put("estimatedCost", cost);
            if (expected != null) {
                o.put("expected", Base64.getEncoder().encodeToString(expected));
            }
            return o;
        }
    }

    /** {@code A..B} → [A, B]; IllegalArgumentException saying what is wrong. */
    static int[] range(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})\\.\\.(\\d{1,9})").matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("--range must be A..B with whole numbers, e.g. 2..3000, not '" + text + "'");
        }
        int a = Integer.parseInt(m.group(1));
        int b = Integer.parseInt(m.group(2));
        if (a < 2) {
            throw new IllegalArgumentException("--range " + text + " starts below 2 (the smallest exponent)");
        }
        if (b < a) {
            throw new IllegalArgumentException("--range " + text + " is empty");
        }
        if (b > MAX_EXPONENT) {
            throw new IllegalArgumentException("--range " + text + " goes past " + MAX_EXPONENT);
        }
        if (new MersenneUnit(a, b).exponents().length == 0) {
            throw new IllegalArgumentException("--range " + text + " holds no prime exponent");
        }
        return new int[] { a, b };
    }

    /** Units of {@code width} exponents over [a, b]; the cost of testing p grows about as p². */
    static List<Unit> mersenne(int a, int b, int width) {
        List<Unit> units = new ArrayList<>();
        for (MersenneUnit u : MersenneUnit.split(a, b, width)) {
            units.add(new Unit("p" + u.from() + ".." + u.to(), u.encode(), mersenneCost(u), null));
        }
        return units;
    }

    static long mersenneCost(MersenneUnit u) {
        long cost = 0;
        for (int p : u.exponents()) {
            cost += Math.max(1, (long) p * p / 10_000);
        }
        return Math.max(1, cost);
    }

    /**
     * {@code count} spot checks: ranges of {@code width} exponents at random offsets in the lower third of [a, b]
     * (cheap to answer here), each answered by running the workload on this machine. A host sees a Mersenne unit
     * like any other.
     */
    static List<Unit> mersenneSpotChecks(int a, int b, int width, int count, Random random) {
        List<Unit> checks = new ArrayList<>();
        int top = Math.max(a, a + (b - a) / 3 - width + 1);
        for (int i = 0; i < count; i++) {
            int from = a + random.nextInt(top - a + 1);
            MersenneUnit u = new MersenneUnit(from, Math.min(b, from + width - 1));
            if (u.exponents().length == 0) {
                continue;
            }
            byte[] input = u.encode();
            checks.add(new Unit("check-" + i, input, mersenneCost(u), Workloads.forUnit(input).run(input)));
        }
        return checks;
    }

    /** Gene search units: the library in slices of {@code slice} sequences, every query in each. */
    static List<Unit> genes(List<Sequence> queries, List<Sequence> library, int topK, int minScore, int slice) {
        List<Unit> units = new ArrayList<>();
        for (GeneUnit u : GeneUnit.split(Scoring.dna(), topK, minScore, queries, library, slice)) {
            long cells = 0;
            for (Sequence q : queries) {
                for (Sequence t : u.library()) {
                    cells += (long) q.length() * t.length();
                }
            }
            units.add(new Unit("top" + topK + "-lib" + u.libraryOffset() + "+" + u.library().size(), u.encode(),
                    Math.max(1, cells / 1_000_000), null));
        }
        return units;
    }

    /** The prime exponents in a Mersenne job's validated results, ascending. */
    static List<Integer> primes(JsonNode units) {
        TreeSet<Integer> primes = new TreeSet<>();
        for (JsonNode u : units) {
            byte[] result = result(u);
            if (result != null) {
                primes.addAll(MersenneResult.decode(result).primes());
            }
        }
        return new ArrayList<>(primes);
    }

    /** The gene search's answer: the slices' hits merged into the whole library's best top K (named in each unit). */
    static GeneResult genes(JsonNode units) {
        List<GeneResult> parts = new ArrayList<>();
        int topK = 1;
        for (JsonNode u : units) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("top(\\d+)-").matcher(String.valueOf(u.path("name").asText()));
            if (m.lookingAt()) {
                topK = Math.max(topK, Integer.parseInt(m.group(1)));
            }
            byte[] result = result(u);
            if (result != null) {
                parts.add(GeneResult.decode(result));
            }
        }
        return GeneResult.merge(parts, topK);
    }

    static ArrayNode json(GeneResult result) {
        ArrayNode queries = ServerConnection.JSON.createArrayNode();
        for (GeneResult.QueryHits q : result.queries()) {
            ArrayNode hits = queries.addObject().put("query", q.queryId()).putArray("hits");
            for (GeneResult.Hit h : q.hits()) {
                hits.addObject().put("libraryIndex", h.libraryIndex()).put("libraryId", h.libraryId())
                        .put("score", h.score()).put("queryStart", h.queryStart()).put("queryEnd", h.queryEnd())
                        .put("targetStart", h.targetStart()).put("targetEnd", h.targetEnd());
            }
        }
        return queries;
    }

    static byte[] result(JsonNode unit) {
        JsonNode r = unit.get("result");
        return r == null || r.isNull() ? null : Base64.getDecoder().decode(r.asText());
    }
}
