package org.isos.apps.compute.work.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.isos.apps.compute.work.GeneMatch;
import org.isos.apps.compute.work.GeneUnit;
import org.isos.apps.compute.work.Mersenne;
import org.isos.apps.compute.work.MersenneResult;
import org.isos.apps.compute.work.MersenneUnit;
import org.isos.apps.compute.work.Scoring;
import org.isos.apps.compute.work.Sequence;
import org.isos.apps.compute.work.SignalSearch;
import org.isos.apps.compute.work.SignalSynth;
import org.isos.apps.compute.work.SignalUnit;

/**
 * Median time per work unit of each workload, one thread. Run after {@code mvn -pl isos.apps.compute verify}:
 * <pre>java -cp isos.apps.compute/target/classes:isos.apps.compute/target/test-classes org.isos.apps.compute.work.bench.WorkloadBench [reps]</pre>
 */
public final class WorkloadBench {

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        System.out.println("java " + System.getProperty("java.version") + ", " + Runtime.getRuntime().availableProcessors()
                + " cpus, " + reps + " repetitions, medians");

        // Mersenne: p in [2, 3000] as 10 units of 300 exponents
        List<MersenneUnit> units = MersenneUnit.split(2, 3000, 300);
        Mersenne mersenne = new Mersenne();
        double[] perUnit = new double[units.size()];
        double[] totals = new double[reps];
        List<Integer> primes = null;
        for (int r = 0; r < reps; r++) {
            primes = new ArrayList<>();
            for (int i = 0; i < units.size(); i++) {
                byte[] unit = units.get(i).encode();
                long t0 = System.nanoTime();
                byte[] result = mersenne.run(unit);
                double ms = (System.nanoTime() - t0) / 1e6;
                totals[r] += ms;
                if (r == reps - 1) {
                    perUnit[i] = ms;
                }
                primes.addAll(MersenneResult.decode(result).primes());
            }
        }
        System.out.printf(java.util.Locale.ROOT, "mersenne  p in [2,3000], %d units of 300: whole range %.0f ms; per unit (last run) %s ms; median unit %.0f ms; primes %s%n",
                units.size(), median(totals), Arrays.toString(Arrays.stream(perUnit).mapToLong(Math::round).toArray()),
                median(perUnit), primes);

        // Gene matching: 10 queries x 200 library sequences of length 300
        SplittableRandom random = new SplittableRandom(1);
        Scoring dna = Scoring.dna();
        List<Sequence> queries = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            queries.add(randomSequence(random, "q" + i, 300));
        }
        List<Sequence> library = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            library.add(randomSequence(random, "lib" + i, 300));
        }
        byte[] geneUnit = new GeneUnit(dna, 5, 1, queries, 0, library).encode();
        GeneMatch genes = new GeneMatch();
        double[] geneTimes = time(() -> genes.run(geneUnit), reps);
        double cells = 10.0 * 200 * 300 * 300;
        System.out.printf(java.util.Locale.ROOT, "genes     10 queries x 200 sequences x 300 residues (%.0fM cells): %.0f ms per unit, %.2f ns per cell%n",
                cells / 1e6, median(geneTimes), median(geneTimes) * 1e6 / cells);

        // Signal search: 2^20 samples in chunks of 4096
        int n = 4096;
        byte[] samples = SignalSynth.generate(3, 256 * n, 40, List.of(new SignalSynth.Tone(0.123, 6, 0, 256 * n)));
        byte[] signalUnit = new SignalUnit(n, 20, 8, 0, samples).encode();
        SignalSearch signal = new SignalSearch();
        double[] signalTimes = time(() -> signal.run(signalUnit), reps);
        System.out.printf(java.util.Locale.ROOT, "signal    256 chunks x 4096 samples (2^20): %.0f ms per unit, %.0f us per FFT chunk%n",
                median(signalTimes), median(signalTimes) * 1000 / 256);
    }

    private static Sequence randomSequence(SplittableRandom random, String id, int length) {
        byte[] codes = new byte[length];
        for (int i = 0; i < length; i++) {
            codes[i] = (byte) random.nextInt(4);
        }
        return new Sequence(id, codes);
    }

    private static double[] time(Runnable work, int reps) {
        work.run(); // warm-up
        double[] t = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            work.run();
            t[r] = (System.nanoTime() - t0) / 1e6;
        }
        return t;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
