package org.isos.server.jobs;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.isos.server.TestConfigs;
import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.internal.JdbcAccounts;
import org.isos.server.ca.internal.BouncyCastleAuthority;
import org.isos.server.ca.internal.CaConfig;
import org.isos.server.internal.ServerHome;
import org.isos.server.jobs.internal.ExactEquivalence;
import org.isos.server.jobs.internal.JdbcJobs;
import org.isos.server.jobs.internal.JobsConfig;
import org.isos.server.leases.LeaseFixtures;
import org.isos.server.repository.internal.JdbcRepository;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;

/**
 * Work units dispatched and validated per second by the job service on an H2 file store, with simulated honest
 * hosts that answer at once; and the replicas issued per unit with adaptive replication against fixed replication
 * of 2 (the CPU time verification costs). Not a test: {@code java -cp ... org.isos.server.jobs.JobsBench [units]
 * [batch]}: each simulated host asks for {@code batch} units at a time (default 32) and reports them together,
 * either in two calls (report, then dispatch) or in one (a report that asks for the host's next units, since 1.2 of
 * the jobs API; skipped with a note on a build without it).
 */
public final class JobsBench {

    public static void main(String[] args) throws Exception {
        int units = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        batch = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        System.out.print("warm-up (JIT), not counted: ");
        run(Math.min(1_000, units), false, false);
        for (boolean adaptive : new boolean[] { false, true }) {
            run(units, adaptive, false);
            try {
                run(units, adaptive, true);
            } catch (NoSuchMethodError e) {
                System.out.println("(a report that asks for the next units: not in this build)");
            }
        }
    }

    static int batch = 32;

    static void run(int count, boolean adaptive, boolean together) throws Exception {
        Path data = Files.createTempDirectory("jobs-bench");
        ServerHome home = new ServerHome(data);
        JdbcStore store = new JdbcStore(TestConfigs.of(StoreConfig.class, Map.of()), home);
        try {
            BouncyCastleAuthority ca = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()), home, store);
            JdbcAccounts accounts = new JdbcAccounts(store);
            JdbcRepository repository = new JdbcRepository(store, ca);
            Account buyer = accounts.create(AccountKind.BUYER, "Bench").account();
            String app = repository.store(buyer, LeaseFixtures.signedBundle(ca, buyer.id(), "org.acme.bench")).sha256();
            // fixed replication: a trust scale so large that every unit is replicated
            JobsConfig config = TestConfigs.of(JobsConfig.class, adaptive ? Map.of("maxQuota", 1000, "initialQuota", 64)
                    : Map.of("maxQuota", 1000, "initialQuota", 64, "trustScale", Integer.MAX_VALUE, "replicationFloorPercent", 100));
            JdbcJobs jobs = new JdbcJobs(config, store, repository, (h, s) -> true, List.of(new ExactEquivalence()),
                    Clock.systemUTC(), new Random(1));
            List<UnitInput> units = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                units.add(new UnitInput("u" + i, ("unit " + i).getBytes(StandardCharsets.UTF_8), 1, null));
            }
            Job job = jobs.create(buyer, new JobSpec(app, "mersenne", 2, 4, 3600, units, List.of()));
            List<String> hosts = List.of("h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8");
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long cpuStart = os.getProcessCpuTime();
            long start = System.nanoTime();
            long dispatched = 0;
            long calls = 0;
            boolean idle = false;
            Map<String, List<Assignment>> next = new java.util.HashMap<>();
            while (!idle || !jobs.job(buyer, job.id()).done()) {
                idle = true;
                for (String host : hosts) {
                    List<Assignment> got = next.remove(host);
                    if (got == null || got.isEmpty()) {
                        got = jobs.dispatch(buyer, job.id(), host, batch);
                        calls++;
                    }
                    dispatched += got.size();
                    idle &= got.isEmpty();
                    List<Report> reports = new ArrayList<>();
                    for (Assignment a : got) {
                        reports.add(new Report(host, a.replicaId(), ("result of " + new String(a.input(),
                                StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8), null));
                    }
                    if (!reports.isEmpty() && together) {
                        next.put(host, jobs.report(buyer, job.id(), reports, host, batch).next());
                        calls++;
                    } else if (!reports.isEmpty()) {
                        jobs.report(buyer, job.id(), reports);
                        calls++;
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            // CPU time as well as wall time: on a shared machine the wall time mostly measures the other processes
            double cpuMicrosPerUnit = (os.getProcessCpuTime() - cpuStart) / 1e3 / count;
            System.out.printf("batch %d, %s replication, %s: %d calls, %d units, %d replicas dispatched and validated in %.1f s = %.0f replicas/s,"
                    + " %.0f units/s; %.3f replicas per unit (%.1f %% of the work beyond one copy); %.0f us CPU per unit"
                    + " (%.0f units per CPU-second)%n",
                    batch, adaptive ? "adaptive" : "fixed 2", together ? "report+next in one call" : "report and dispatch calls",
                    calls, count, dispatched, seconds, dispatched / seconds, count / seconds,
                    dispatched / (double) count, 100.0 * (dispatched - count) / count, cpuMicrosPerUnit,
                    1e6 / cpuMicrosPerUnit);
        } finally {
            store.close();
        }
    }
}
