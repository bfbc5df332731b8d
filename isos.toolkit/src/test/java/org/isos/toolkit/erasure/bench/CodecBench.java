package org.isos.toolkit.erasure.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.isos.toolkit.erasure.ReedSolomon;

/**
 * Single-threaded throughput of the erasure codec: median (and best) MB/s (10^6 bytes of data shards per second) of
 * {@code encodeParity} and of {@code decodeMissing} with the maximal loss (m shards gone, data shards first), for
 * the portable and the SIMD implementation. Run with {@code --add-modules jdk.incubator.vector} for the SIMD one
 * (see README.md).
 *
 * <p>Arguments, all optional: {@code shard=BYTES[,BYTES...]} (default 65536,1048576: the 64 KiB and 1 MiB),
 * {@code runs=N} (default 9), {@code ms=MILLIS} per run (default 150), {@code codes=10+4,17+3,...} (default the
 * issue's 10+4, 17+3, 16+48 and 29+51), {@code mib=N}: the stripes cycled through (default 64 MiB, so that they do
 * not stay in cache). Both implementations of each code and shard size run side by side in one JVM.
 */
public final class CodecBench {

    private static long workingSet = 64L << 20;

    public static void main(String[] args) {
        String shards = "65536,1048576";
        int runs = 9;
        int millis = 150;
        String codes = "10+4,17+3,16+48,29+51";
        for (String arg : args) {
            String[] kv = arg.split("=", 2);
            switch (kv[0]) {
                case "shard" -> shards = kv[1];
                case "runs" -> runs = Integer.parseInt(kv[1]);
                case "ms" -> millis = Integer.parseInt(kv[1]);
                case "codes" -> codes = kv[1];
                case "mib" -> workingSet = Long.parseLong(kv[1]) << 20;
                default -> throw new IllegalArgumentException("unknown argument " + arg);
            }
        }
        String simd = ReedSolomon.create(1, 1).implementation();
        System.out.printf(Locale.ROOT, "java %s, %d CPUs, shards of %s bytes, median of %d runs of %d ms, fastest = %s%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), shards, runs, millis, simd);
        System.out.printf(Locale.ROOT, "load average at start: %.2f%n", loadAverage());
        if (simd.equals("portable")) {
            System.out.println("(no SIMD: run with --add-modules jdk.incubator.vector)");
        }
        System.out.printf(Locale.ROOT, "%-7s %8s %-12s %12s %12s %10s %10s%n", "code", "shard", "impl", "encode MB/s",
                "decode MB/s", "(best enc", "best dec)");
        for (String shardText : shards.split(",")) {
            int shard = Integer.parseInt(shardText.trim());
            String size = shard % (1 << 20) == 0 ? shard / (1 << 20) + "MiB" : shard % 1024 == 0 ? shard / 1024 + "KiB"
                    : Integer.toString(shard);
            for (String code : codes.split(",")) {
                String[] km = code.trim().split("\\+");
                int k = Integer.parseInt(km[0]);
                int m = Integer.parseInt(km[1]);
                double[] portable = measure(ReedSolomon.portable(k, m), shard, runs, millis);
                print(code, size, "portable", portable);
                if (!simd.equals("portable")) {
                    double[] vector = measure(ReedSolomon.create(k, m), shard, runs, millis);
                    print(code, size, simd, vector);
                    System.out.printf(Locale.ROOT, "%-7s %8s %-12s %11.2fx %11.2fx%n", code, size, "ratio",
                            vector[0] / portable[0], vector[1] / portable[1]);
                }
            }
        }
        System.out.printf(Locale.ROOT, "load average at end: %.2f (other processes on these CPUs skew the figures)%n",
                loadAverage());
    }

    private static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static void print(String code, String size, String impl, double[] r) {
        System.out.printf(Locale.ROOT, "%-7s %8s %-12s %12.0f %12.0f %10.0f %10.0f%n", code, size, impl, r[0], r[1], r[2],
                r[3]);
    }

    /** {median encode MB/s, median decode MB/s, best encode, best decode}. */
    private static double[] measure(ReedSolomon codec, int shard, int runs, int millis) {
        int k = codec.dataShards();
        int n = codec.totalShards();
        int sets = (int) Math.max(2, workingSet / ((long) n * shard));
        SplittableRandom random = new SplittableRandom(42);
        List<byte[][]> stripes = new ArrayList<>();
        for (int s = 0; s < sets; s++) {
            byte[][] shards = new byte[n][shard];
            for (int i = 0; i < k; i++) {
                random.nextBytes(shards[i]);
            }
            codec.encodeParity(shards, 0, shard);
            stripes.add(shards);
        }
        boolean[] present = new boolean[n];
        Arrays.fill(present, true);
        int lose = codec.parityShards();
        for (int i = 0; i < lose; i++) {
            present[i] = false; // data shards first: the most work
        }
        // warm up both paths (JIT) before measuring
        run(codec, stripes, null, shard, Math.max(300, millis));
        run(codec, stripes, present, shard, Math.max(300, millis));
        double[] encode = new double[runs];
        double[] decode = new double[runs];
        for (int r = 0; r < runs; r++) {
            encode[r] = run(codec, stripes, null, shard, millis);
            decode[r] = run(codec, stripes, present, shard, millis);
        }
        // the decoded shards must equal the originals
        byte[][] check = stripes.get(0);
        byte[][] copy = new byte[n][];
        for (int i = 0; i < n; i++) {
            copy[i] = present[i] ? check[i] : null;
        }
        codec.decodeMissing(copy, present, 0, shard);
        codec.encodeParity(check, 0, shard);
        for (int i = 0; i < n; i++) {
            if (!Arrays.equals(copy[i], check[i])) {
                throw new AssertionError("decoded shard " + i + " differs");
            }
        }
        Arrays.sort(encode);
        Arrays.sort(decode);
        return new double[] {encode[runs / 2], decode[runs / 2], encode[runs - 1], decode[runs - 1]};
    }

    /** MB/s of data over at least {@code millis}; decodes when present is given, else encodes. */
    private static double run(ReedSolomon codec, List<byte[][]> stripes, boolean[] present, int shard, int millis) {
        long bytes = 0;
        long start = System.nanoTime();
        long deadline = start + millis * 1_000_000L;
        long now;
        int s = 0;
        do {
            byte[][] shards = stripes.get(s);
            s = (s + 1) % stripes.size();
            if (present == null) {
                codec.encodeParity(shards, 0, shard);
            } else {
                codec.decodeMissing(shards, present, 0, shard);
            }
            bytes += (long) codec.dataShards() * shard;
            now = System.nanoTime();
        } while (now < deadline);
        return bytes / ((now - start) / 1e9) / 1e6;
    }
}
