package org.isos.server.bank;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import org.isos.server.PostgresCluster;
import org.isos.server.TestConfigs;
import org.isos.server.bank.internal.JdbcBank;
import org.isos.server.internal.ServerHome;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;

/**
 * How many usage records per second the bank settles, on H2 (file, the server's default) and on PostgreSQL
 * (a throwaway cluster, when installed), in one run: settlements spread over many buyers, then all against one
 * buyer (its row is locked by each). The ledger invariant is checked at the end of each. Not a test: run it by
 * hand (see the module README), e.g. {@code LedgerBench 20000 4 100} for records, threads, buyers.
 */
public final class LedgerBench {

    private LedgerBench() {
    }

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int buyers = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        System.out.printf("ledger bench: %d settlements per run, %d threads, %d buyers, %d cores%n", records, threads,
                buyers, Runtime.getRuntime().availableProcessors());

        Path h2 = Files.createTempDirectory("isos-bank-bench-");
        try {
            run("H2 (file)", Map.of(), h2, records, threads, buyers);
        } finally {
            delete(h2);
        }

        if (PostgresCluster.unavailable().isPresent()) {
            System.out.println("PostgreSQL: skipped, " + PostgresCluster.unavailable().get());
            return;
        }
        try (PostgresCluster cluster = PostgresCluster.start()) {
            Path home = Files.createTempDirectory("isos-bank-bench-");
            try {
                run("PostgreSQL", Map.of("url", cluster.newDatabase(), "user", "isos", "password", ""), home, records,
                        threads, buyers);
            } finally {
                delete(home);
            }
        }
    }

    private static void run(String database, Map<String, Object> config, Path home, int records, int threads,
            int buyers) throws Exception {
        try (JdbcStore store = new JdbcStore(TestConfigs.of(StoreConfig.class, config), new ServerHome(home))) {
            JdbcBank bank = new JdbcBank(store, PriceTable.DEFAULT);
            for (int b = 0; b < buyers; b++) {
                bank.deposit("bench-dep-" + b, "buyer-" + b, 1_000_000_000L);
                bank.hold("bench-hold-" + b, "buyer-" + b, "lease-" + b, 100_000_000L);
            }
            // the JIT and the statement caches warm up first: without it the first run measured is the slower
            settle(bank, "warm-up", Math.max(records / 4, 2_000), threads, buyers);
            // two rounds of each, interleaved: on a shared machine the figures of one run move with the load
            for (int round = 1; round <= 2; round++) {
                double spread = settle(bank, "spread-" + round, records, threads, buyers);
                double one = settle(bank, "one-buyer-" + round, records, threads, 1);
                System.out.printf("%-10s  round %d: %,7.0f settlements/s over %d buyers, %,7.0f settlements/s on one "
                        + "buyer%n", database, round, spread, buyers, one);
            }
            LedgerTotals totals = bank.totals();
            System.out.printf("%-10s  invariant %s: %s%n", database, totals.balanced() ? "holds" : "BROKEN", totals);
            if (!totals.balanced()) {
                throw new IllegalStateException("the ledger does not balance: " + totals);
            }
        }
    }

    /** Settles {@code records} usage records on {@code threads} threads; answers records per second. */
    private static double settle(Bank bank, String run, int records, int threads, int buyers) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> running = new ArrayList<>();
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                running.add(pool.submit(() -> {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int i = thread; i < records; i += threads) {
                        int b = random.nextInt(buyers);
                        bank.settle("bench-" + run + "-" + i, "buyer-" + b, "lease-" + b, "owner-" + random.nextInt(10),
                                1 + random.nextInt(5_000));
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
            return records / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    private static void delete(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
