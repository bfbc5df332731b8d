package org.isos.world.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.isos.apps.backup.client.BackupClient;
import org.isos.apps.backup.client.BackupOptions;
import org.isos.apps.backup.client.SessionHolder;
import org.isos.apps.backup.client.StoredFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Backup put and get throughput on loopback, 12 real agents ({@code ./isos dev --hosts 12}), the backup app leased
 * on each with the terms {@code isos backup} leases it on (1 MiB/s per host, the kernel's cap on what a host sends),
 * against a baseline measured in the same run over the same transport: the same bytes times the expansion n/k, cut
 * into fragments of the same size, PUT (and read back, k of every n) over the same sessions with the same number of
 * transfers at once, with no encryption, coding, hashing or manifest. The ratio coded/baseline is what coding costs.
 *
 * <p>The client runs in this JVM (C2), as {@code isos backup} does. Run by {@code ./isos bench backup}
 * ({@code -Disos.bench=true}); {@code -Disos.bench.mb=N} (default 24), {@code -Disos.bench.runs=N} (default 3),
 * {@code -Disos.bench.bandwidth=RATE} (default 1MiB/s), {@code -Disos.bench.hosts=N} (default 12, k = n / 3).
 */
class BackupBench {

    static final int HOSTS = Integer.getInteger("isos.bench.hosts", 12);
    static final int N = HOSTS;
    static final int K = Math.max(1, HOSTS / 3);
    static final int SIZE = Integer.getInteger("isos.bench.mb", 24) * 1_000_000;
    static final int RUNS = Integer.getInteger("isos.bench.runs", 3);
    static final String BANDWIDTH = System.getProperty("isos.bench.bandwidth", "1MiB/s");

    @TempDir
    static Path root;
    static World world;

    @AfterAll
    static void stopTheWorld() throws Exception {
        if (world != null) {
            world.close();
            world.await("every process of ./isos dev stopped", Duration.ofSeconds(60), world::allStopped);
        }
    }

    @Test
    void putAndGetAgainstPlainCopiesOverTheSameTransport() throws Exception {
        assumeTrue(Boolean.getBoolean("isos.bench"), "benchmarks run only with ./isos bench backup");
        world = World.start(root.resolve("dev"), HOSTS);
        assertEquals(0, world.isos("keys", "new", "bench").exit());
        Path signed = root.resolve("backup-signed.jar");
        World.Run sign = world.isos("sign", World.ROOT.resolve("isos.cli/target/cli/apps/isos.apps.backup.jar").toString(),
                "--key", "bench", "-o", signed.toString());
        assertEquals(0, sign.exit(), sign::toString);
        long quota = 4L * SIZE * RUNS * 2 / K + (64L << 20);
        World.Run deploy = world.isos("deploy", signed.toString(), "--hosts", Integer.toString(HOSTS), "--lease", "30m",
                "--cpu", "0.1", "--memory", "64MiB", "--storage", Long.toString(quota), "--bandwidth", BANDWIDTH,
                "--category", "storage", "--json");
        assertEquals(0, deploy.exit(), deploy::toString);
        world.await(HOSTS + " ACTIVE leases with transport addresses", Duration.ofSeconds(120), () -> {
            try {
                JsonNode leases = world.get("/v1/leases?state=ACTIVE", world.env("ISOS_TOKEN")).get("leases");
                int ready = 0;
                for (JsonNode l : leases) {
                    ready += l.path("transportAddress").asText("").contains(":") ? 1 : 0;
                }
                return ready >= HOSTS;
            } catch (Exception e) {
                return false;
            }
        });
        List<SessionHolder> holders = holders();
        assertEquals(HOSTS, holders.size());

        byte[] data = new byte[SIZE];
        new Random(3).nextBytes(data);
        Path file = root.resolve("bench.bin");
        Files.write(file, data);
        BackupOptions options = BackupOptions.defaults().withCode(K, N).withMaxPerOwner(N);
        int fragmentBytes = (options.effectiveSegmentBytes(K) + 16 + K - 1) / K;
        int parallelism = options.parallelism();
        double[] put = new double[RUNS];
        double[] get = new double[RUNS];
        double[] copyPut = new double[RUNS];
        double[] copyGet = new double[RUNS];
        double[] open = new double[RUNS];
        double[] lookup = new double[RUNS];
        System.out.printf(Locale.ROOT, "bench: backup on %d agents, %d-of-%d, %d bytes, fragments of %d bytes,"
                + " %d transfers at once, leases capped at %s, load average %.1f%n", HOSTS, K, N, SIZE, fragmentBytes,
                parallelism, BANDWIDTH, loadAverage());
        ExecutorService pool = Executors.newFixedThreadPool(parallelism);
        try (BackupClient client = BackupClient.open("bench", "bench secret".toCharArray(), holders, options)) {
            for (int r = 0; r < RUNS; r++) {
                long t = System.nanoTime();
                StoredFile f = client.put(file, null);
                put[r] = SIZE / 1e3 / ((System.nanoTime() - t) / 1e6);
                Path out = root.resolve("out-" + r);
                t = System.nanoTime();
                client.get(f.id(), out, null);
                get[r] = SIZE / 1e3 / ((System.nanoTime() - t) / 1e6);
                assertArrayEquals(data, Files.readAllBytes(out));
                Files.delete(out);
                // what a fresh `isos backup get` pays before its first byte: the keys (PBKDF2) and the manifest's
                // lookup through the locator beacons on the holders
                t = System.nanoTime();
                try (BackupClient fresh = BackupClient.open("bench", "bench secret".toCharArray(), holders, options)) {
                    open[r] = (System.nanoTime() - t) / 1e6;
                    t = System.nanoTime();
                    assertEquals(r + 1, fresh.list().size());
                    lookup[r] = (System.nanoTime() - t) / 1e6;
                }

                double[] copy = plainCopy(holders, pool, data, fragmentBytes, r);
                copyPut[r] = copy[0];
                copyGet[r] = copy[1];
                System.out.printf(Locale.ROOT, "bench:   run %d: put %.2f MB/s, get %.2f MB/s; plain copy: put %.2f MB/s,"
                        + " get %.2f MB/s; a fresh client: keys %.0f ms, manifest lookup %.0f ms%n", r + 1, put[r],
                        get[r], copyPut[r], copyGet[r], open[r], lookup[r]);
            }
        } finally {
            pool.shutdownNow();
            holders.forEach(SessionHolder::close);
        }
        double p = median(put);
        double g = median(get);
        double cp = median(copyPut);
        double cg = median(copyGet);
        System.out.printf(Locale.ROOT, "bench: backup put  median %.2f MB/s of file (%.2f MB/s on the wire, x%.1f);"
                + " plain copy of the same wire bytes median %.2f MB/s of file; ratio %.2f%n", p, p * N / K,
                (double) N / K, cp, p / cp);
        System.out.printf(Locale.ROOT, "bench: backup get  median %.2f MB/s (k of n fragments read); plain copy of the"
                + " same bytes median %.2f MB/s; ratio %.2f%n", g, cg, g / cg);
        System.out.printf(Locale.ROOT, "bench: a fresh client: keys (PBKDF2) median %.0f ms, manifest lookup median"
                + " %.0f ms%n", median(open), median(lookup));
        System.out.printf(Locale.ROOT, "bench: load average at the end %.1f%n", loadAverage());
    }

    /**
     * The baseline: the file's bytes times n/k, in fragments of the coded run's size, PUT round-robin over the
     * holders with the same number of transfers at once, then k/n of them read back; deleted afterwards. Fragment ids
     * (the protocol's SHA-256) are computed before the clock starts. MB/s of file bytes, {put, get}.
     */
    private static double[] plainCopy(List<SessionHolder> holders, ExecutorService pool, byte[] data, int fragmentBytes,
            int run) throws Exception {
        long wire = (long) SIZE * N / K;
        int count = (int) ((wire + fragmentBytes - 1) / fragmentBytes);
        List<byte[]> fragments = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (int i = 0; i < count; i++) {
            byte[] b = new byte[fragmentBytes];
            int from = (int) ((long) i * fragmentBytes % SIZE);
            int len = Math.min(fragmentBytes, SIZE - from);
            System.arraycopy(data, from, b, 0, len);
            b[fragmentBytes - 1] ^= (byte) run; // distinct from earlier runs' copies
            b[0] ^= (byte) (i >> 8);
            fragments.add(b);
            ids.add(HexFormat.of().formatHex(sha.digest(b)));
        }
        long t = System.nanoTime();
        List<Future<?>> puts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int at = i;
            puts.add(pool.submit(() -> {
                holders.get(at % holders.size()).put(ids.get(at), fragments.get(at));
                return null;
            }));
        }
        for (Future<?> f : puts) {
            f.get();
        }
        double put = SIZE / 1e3 / ((System.nanoTime() - t) / 1e6);
        int reads = (int) (((long) SIZE + fragmentBytes - 1) / fragmentBytes);
        t = System.nanoTime();
        List<Future<byte[]>> gets = new ArrayList<>();
        for (int i = 0; i < reads; i++) {
            int at = i;
            gets.add(pool.submit(() -> holders.get(at % holders.size()).get(ids.get(at))));
        }
        for (int i = 0; i < reads; i++) {
            if (!Arrays.equals(fragments.get(i), gets.get(i).get())) {
                throw new AssertionError("plain copy " + i + " came back different");
            }
        }
        double get = SIZE / 1e3 / ((System.nanoTime() - t) / 1e6);
        for (int i = 0; i < count; i++) {
            holders.get(i % holders.size()).delete(ids.get(i));
        }
        return new double[] { put, get };
    }

    private static List<SessionHolder> holders() throws Exception {
        X509Certificate ca = world.ca();
        List<SessionHolder> holders = new ArrayList<>();
        for (JsonNode l : world.get("/v1/leases?state=ACTIVE", world.env("ISOS_TOKEN")).get("leases")) {
            holders.add(SessionHolder.forLease(l.get("id").asText(), l.get("hostId").asText(), l.get("ownerId").asText(),
                    l.get("transportAddress").asText(), l.path("storageBytes").asLong(), List.of(ca),
                    l.get("buyer").asText(), Duration.ofSeconds(60)));
        }
        return holders;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
