package org.isos.kernel.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import org.isos.kernel.api.Lease;
import org.isos.testkit.TestJars;
import org.isos.testkit.TestPki;
import org.junit.jupiter.api.Test;

/** Two leases competing for the workers get CPU in proportion to their granted shares. */
class FairShareTest {

    @Test
    void cpuIsSharedByGrantedShare() throws Exception {
        TestWorld world = TestWorld.get();
        byte[] echoA = TestWorld.app("isos.testapp.echo");
        byte[] echoB = TestPki.load(world.pki).sign(TestJars.unsigned(echoA), "buyer-b");
        Lease big = withShare(TestWorld.lease("buyer-a", "isos.testapp.echo", Duration.ofMinutes(5)), 0.75);
        Lease small = withShare(TestWorld.lease("buyer-b", "isos.testapp.echo", Duration.ofMinutes(5)), 0.25);
        world.hosting().host(TestWorld.grant(big, echoA), echoA);
        world.hosting().host(TestWorld.grant(small, echoB), echoB);
        try (AppClient a = new AppClient(world.peers().localAddress(), world.caCertificate(), "buyer-a",
                "isos.testapp.echo");
                AppClient b = new AppClient(world.peers().localAddress(), world.caCertificate(), "buyer-b",
                        "isos.testapp.echo")) {
            // two busy tasks each, two workers: the workers are always contended
            for (String task : new String[] { "t1", "t2" }) {
                a.ask("work " + task + " 100000000");
                b.ask("work " + task + " 100000000");
            }
            Thread.sleep(500);
            long a0 = cpu(a);
            long b0 = cpu(b);
            Thread.sleep(4000);
            double ratio = (double) (cpu(a) - a0) / Math.max(1, cpu(b) - b0);
            // granted 3:1; the scheduler decides at 20 ms quanta, so a wide band still proves the sharing
            assertTrue(ratio > 2.0 && ratio < 4.5, "CPU ratio of a 0.75 to a 0.25 lease was " + ratio);
        } finally {
            world.hosting().end(big.id(), "test over");
            world.hosting().end(small.id(), "test over");
        }
    }

    private static Lease withShare(Lease l, double share) {
        return new Lease(l.id(), l.buyer(), l.app(), l.expiry(), share, l.memoryBytes(), l.storageQuotaBytes(),
                l.bandwidthBytesPerSecond());
    }

    private static long cpu(AppClient client) throws Exception {
        String usage = client.ask("usage");
        Map<String, String> v = new java.util.HashMap<>();
        for (String part : usage.split(" ")) {
            String[] kv = part.split("=");
            v.put(kv[0], kv[1]);
        }
        return Long.parseLong(v.get("cpu"));
    }

}
