package org.isos.kernel.tests;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.isos.kernel.api.Lease;
import org.junit.jupiter.api.Test;

/** The owner's CPU share caps how many cores app work uses, whatever the leases ask for. */
class CpuShareTest {

    @Test
    void halfTheCoresMeansOneBusyWorkerOnTwoCores() throws Exception {
        TestWorld world = TestWorld.get();
        int cores = Runtime.getRuntime().availableProcessors();
        byte[] echo = TestWorld.app("isos.testapp.echo");
        Lease lease = TestWorld.lease("buyer-a", "isos.testapp.echo", Duration.ofMinutes(5));
        world.hosting().host(TestWorld.grant(lease, echo), echo);
        assertThrows(IllegalArgumentException.class, () -> world.availability().cpuShare(1.5));
        world.availability().cpuShare(1.0 / cores); // one worker
        try (AppClient client = new AppClient(world.peers().localAddress(), world.caCertificate(), "buyer-a",
                "isos.testapp.echo")) {
            client.ask("work a 100000000");
            client.ask("work b 100000000");
            Thread.sleep(500);
            long cpu0 = cpu(client);
            long wall0 = System.nanoTime();
            Thread.sleep(2000);
            double coresUsed = (double) (cpu(client) - cpu0) / (System.nanoTime() - wall0);
            // two busy tasks, one worker allowed: at most one core's worth of CPU (plus metering slack)
            assertTrue(coresUsed < 1.25, "app work used " + coresUsed + " cores under a one-worker share");
        } finally {
            world.availability().cpuShare(1.0);
            world.hosting().end(lease.id(), "test over");
        }
    }

    private static long cpu(AppClient client) throws Exception {
        String usage = client.ask("usage");
        return Long.parseLong(usage.substring(4, usage.indexOf(' ')));
    }
}
