package org.isos.kernel.tests;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.isos.kernel.api.Lease;
import org.isos.kernel.host.AppHosting;
import org.isos.kernel.host.Availability;
import org.isos.kernel.host.PeerDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * The owner's CPU share caps how many cores app work uses, whatever the leases ask for. (Services
 * come by OSGi Test's injection; the kernel is configured before the instance is made.)
 */
@ExtendWith(ServiceExtension.class)
class CpuShareTest {

    @InjectService(timeout = 20_000)
    AppHosting hosting;
    @InjectService(timeout = 20_000)
    Availability availability;
    @InjectService(timeout = 20_000)
    PeerDirectory peers;

    @BeforeAll
    static void configuredKernel() throws Exception {
        TestWorld.get();
    }

    @Test
    void halfTheCoresMeansOneBusyWorkerOnTwoCores() throws Exception {
        TestWorld world = TestWorld.get();
        int cores = Runtime.getRuntime().availableProcessors();
        byte[] echo = TestWorld.app("isos.testapp.echo");
        Lease lease = TestWorld.lease("buyer-a", "isos.testapp.echo", Duration.ofMinutes(5));
        hosting.host(TestWorld.grant(lease, echo), echo);
        assertThrows(IllegalArgumentException.class, () -> availability.cpuShare(1.5));
        availability.cpuShare(1.0 / cores); // one worker
        try (AppClient client = new AppClient(peers.localAddress(), world.caCertificate(), "buyer-a",
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
            availability.cpuShare(1.0);
            hosting.end(lease.id(), "test over");
        }
    }

    private static long cpu(AppClient client) throws Exception {
        String usage = client.ask("usage");
        return Long.parseLong(usage.substring(4, usage.indexOf(' ')));
    }
}
