package org.isos.agent.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's footprint, printed as figures: CPU and resident memory of a real agent process idle
 * with no lease and with one idle app. Run by {@code ./isos bench} ({@code -Disos.bench=true});
 * skipped in test runs. Linux /proc only.
 */
class AgentBench {

    private static final Duration WARMUP = Duration.ofSeconds(10);
    private static final Duration WINDOW = Duration.ofSeconds(20);
    private static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux

    @TempDir
    Path root;

    @Test
    void idleFootprintWithoutAndWithALease() throws Exception {
        assumeTrue(Boolean.getBoolean("isos.bench"), "benchmarks run only with ./isos bench");
        try (AgentProcess agent = new AgentProcess(root.resolve("agent"), Map.of()).start()) {
            agent.awaitReady(Duration.ofSeconds(60));
            Thread.sleep(WARMUP.toMillis());
            System.out.printf(Locale.ROOT, "%nbench: agent process footprint (%d s windows after %d s warm-up)%n",
                    WINDOW.toSeconds(), WARMUP.toSeconds());
            report("idle, no lease", agent.pid());
            agent.drop("bench.jar", Jars.app("isos.testapp.echo"));
            agent.dropLease("bench", AgentProcess.hostLease("bench", "buyer-a", "isos.testapp.echo", 3600, "bench.jar"));
            agent.awaitStatus("bench ACTIVE", Duration.ofSeconds(30),
                    s -> "ACTIVE".equals(s.getProperty("app.bench.state")));
            Thread.sleep(WARMUP.toMillis());
            report("idle, one leased app (echo, no work)", agent.pid());
        }
    }

    private static void report(String what, long pid) throws IOException, InterruptedException {
        long cpu0 = cpuTicks(pid);
        long t0 = System.nanoTime();
        Thread.sleep(WINDOW.toMillis());
        long cpu1 = cpuTicks(pid);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpuPercent = 100.0 * (cpu1 - cpu0) / TICKS_PER_SECOND / seconds;
        System.out.printf(Locale.ROOT, "  %-40s CPU %5.2f %% of one core   RSS %6.1f MiB%n", what, cpuPercent,
                rssKib(pid) / 1024.0);
    }

    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
    }

    private static long rssKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
