package org.isos.world.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4's "real agents: job wall time with 1 and 2 agent processes": the same Mersenne job (p in 2..3000, no
 * replication, no spot checks, so both worlds do the same work) on {@code ./isos dev --hosts 1} and then
 * {@code --hosts 2}, timed from submit to results; prints the speedup. Not a test (speed is never asserted): run with
 * {@code mvn -B -o -pl isos.world.e2e test -Dtest=JobWallTimeBench -Disos.bench=true}.
 */
@EnabledIfSystemProperty(named = "isos.bench", matches = "true")
class JobWallTimeBench {

    @TempDir
    Path root;

    @Test
    void oneAndTwoAgentProcesses() throws Exception {
        List<Double> seconds = new ArrayList<>();
        for (int hosts = 1; hosts <= 2; hosts++) {
            try (World world = World.start(root.resolve("dev-" + hosts), hosts)) {
                World.Run keys = world.isos("keys", "new", "jobs");
                assertEquals(0, keys.exit(), keys::toString);
                // the hosts leased and the app running on them before the clock starts
                World.Run warm = world.isos("job", "submit", "--app", "mersenne", "--range", "2..200", "--replicas", "1",
                        "--spot-checks", "0", "--hosts", Integer.toString(hosts), "--lease", "30m", "--wait", "--json");
                assertEquals(0, warm.exit(), warm::toString);
                long start = System.nanoTime();
                World.Run run = world.isos("job", "submit", "--app", "mersenne", "--range", "2..3000", "--unit-size", "40",
                        "--replicas", "1", "--spot-checks", "0", "--hosts", Integer.toString(hosts), "--wait", "--json");
                double s = (System.nanoTime() - start) / 1e9;
                assertEquals(0, run.exit(), run::toString);
                assertEquals(JobWorldE2ETest.KNOWN_TO_3000.size(), run.json().get("primes").size(), run::toString);
                seconds.add(s);
                System.out.printf("bench: Mersenne p <= 3000 (75 units, no replication) on %d agent process%s: %.1f s%n",
                        hosts, hosts == 1 ? "" : "es", s);
                world.close();
                world.await("dev stopped", Duration.ofSeconds(60), world::allStopped);
            }
        }
        System.out.printf("bench: speedup with 2 agent processes over 1: %.2f x (%d cores, load %.1f)%n",
                seconds.get(0) / seconds.get(1), Runtime.getRuntime().availableProcessors(),
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
}
