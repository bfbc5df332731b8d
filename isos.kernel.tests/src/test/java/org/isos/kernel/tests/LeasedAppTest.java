package org.isos.kernel.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.isos.kernel.api.Lease;
import org.isos.kernel.host.HostedApp;
import org.isos.kernel.wire.UsageRecord;
import org.isos.testkit.TestJars;
import org.isos.testkit.TestPki;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;

/** A signed app under a lease: all four services, quota, expiry, renewal, in-place update. */
class LeasedAppTest {

    private TestWorld world;
    private byte[] echo;

    @BeforeEach
    void setUp() throws Exception {
        world = TestWorld.get();
        echo = TestWorld.app("isos.testapp.echo");
    }

    private AppClient client() throws Exception {
        return new AppClient(world.peers().localAddress(), world.caCertificate(), "buyer-a", "isos.testapp.echo");
    }

    @Test
    void appUsesAllFourServicesThroughTheKernel() throws Exception {
        Lease lease = TestWorld.lease("buyer-a", "isos.testapp.echo", Duration.ofMinutes(5));
        HostedApp hosted = world.hosting().host(TestWorld.grant(lease, echo), echo);
        assertEquals("ACTIVE", hosted.state());
        try (AppClient client = client()) {
            // Allocation: the lease and the private store
            assertTrue(client.ask("lease").startsWith(lease.id() + " buyer-a "));
            assertEquals("ok", client.ask("put greeting hello world"));
            assertEquals("hello world", client.ask("get greeting"));
            // Scheduling: a task that checkpoints as it goes
            assertEquals("submitted w1", client.ask("work w1 25"));
            TestWorld.eventually("task w1 done", Duration.ofSeconds(20),
                    () -> ask(client, "get event.w1.done").equals("25"));
            // Communication: to the same app on a host (here: this one, over TLS) and a stream to the client
            assertTrue(client.ask("ping-self").startsWith("pinging host-1"));
            TestWorld.eventually("ping delivered host to host", Duration.ofSeconds(10),
                    () -> ask(client, "get event.pinged-by").equals("host-1"));
            assertEquals("streamed 100000", client.ask("stream 100000"));
            var stream = client.session.acceptStream(Duration.ofSeconds(10));
            assertEquals("numbers", stream.channel());
            byte[] streamed = stream.in().readAllBytes();
            assertEquals(100000, streamed.length);
            for (int i = 0; i < streamed.length; i++) {
                assertEquals((byte) i, streamed[i], "stream byte " + i);
            }
            // Metering: what the app consumed, as the kernel counted it
            Map<String, Long> usage = usage(client.ask("usage"));
            assertTrue(usage.get("cpu") >= 25 * 2_000_000L, "25 steps of 2 ms CPU each: " + usage);
            assertTrue(usage.get("in") > 0 && usage.get("out") >= 100000, usage.toString());
            assertEquals("echo:anything else", client.ask("anything else"));
        } finally {
            world.hosting().end(lease.id(), "test over");
        }
        // usage records add up to what the app consumed, and are signed by the host key
        List<UsageRecord> records = world.outbox().pending().stream().filter(r -> r.leaseId().equals(lease.id())).toList();
        assertFalse(records.isEmpty());
        assertTrue(records.get(records.size() - 1).last(), "the end writes a final record");
        long cpu = records.stream().mapToLong(r -> r.usage().cpuNanos()).sum();
        long out = records.stream().mapToLong(r -> r.usage().bytesOut()).sum();
        assertTrue(cpu >= 25 * 2_000_000L, "records hold the task's CPU: " + cpu);
        assertTrue(out >= 100000, "records hold the bytes sent: " + out);
        var verifier = java.security.Signature.getInstance("SHA256withECDSA");
        for (UsageRecord r : records) {
            verifier.initVerify(world.keyStore("host-1").getCertificate("host-1").getPublicKey());
            verifier.update(r.signedBytes());
            assertTrue(verifier.verify(java.util.Base64.getDecoder().decode(r.signature())), "signature of " + r);
            world.outbox().delivered(r.leaseId(), r.sequence());
        }
    }

    @Test
    void quotaOverflowIsRefusedAndNothingIsWritten() throws Exception {
        Lease lease = TestWorld.lease("buyer-a", "isos.testapp.echo", Duration.ofMinutes(5), 4096);
        world.hosting().host(TestWorld.grant(lease, echo), echo);
        try (AppClient client = client()) {
            assertEquals("ok", client.ask("put first " + "x".repeat(2000)));
            String refused = client.ask("put second " + "y".repeat(3000));
            assertTrue(refused.startsWith("quota: ") && refused.contains("quota of 4096"), refused);
            assertEquals("missing", client.ask("get second"));
            assertEquals(2000, client.ask("get first").length());
        } finally {
            world.hosting().end(lease.id(), "test over");
        }
    }

    @Test
    void expiryUninstallsTheAppAndDeletesItsStore() throws Exception {
        Lease lease = TestWorld.lease("buyer-a", "isos.testapp.echo", Duration.ofSeconds(3));
        world.hosting().host(TestWorld.grant(lease, echo), echo);
        TestWorld.eventually("store written", Duration.ofSeconds(10),
                () -> Files.exists(world.storeOf(lease.id()).resolve("event.started")));
        assertEquals(1, world.appBundles(lease.id()));
        TestWorld.eventually("lease expired and ended", Duration.ofSeconds(15),
                () -> world.appBundles(lease.id()) == 0 && !Files.exists(world.storeOf(lease.id())));
        assertTrue(hosted(lease.id()) == null);
        assertTrue(world.outbox().pending().stream().anyMatch(r -> r.leaseId().equals(lease.id()) && r.last()));
    }

    @Test
    void renewalKeepsTheAppRunning() throws Exception {
        Lease lease = TestWorld.lease("buyer-a", "isos.testapp.echo", Duration.ofSeconds(2));
        HostedApp before = world.hosting().host(TestWorld.grant(lease, echo), echo);
        Instant later = Instant.now().plusSeconds(60);
        world.hosting().renew(lease.id(), later);
        Thread.sleep(2500);
        HostedApp after = hosted(lease.id());
        try {
            assertEquals("ACTIVE", after.state());
            assertEquals(before.bundleId(), after.bundleId());
            assertEquals(later, after.lease().expiry());
        } finally {
            world.hosting().end(lease.id(), "test over");
        }
    }

    @Test
    void updateSwapsTheBundleInPlaceKeepingLeaseAndStore() throws Exception {
        Lease lease = TestWorld.lease("buyer-a", "isos.testapp.echo", Duration.ofMinutes(5));
        HostedApp before = world.hosting().host(TestWorld.grant(lease, echo), echo);
        byte[] v2 = TestPki.load(world.pki).sign(TestJars.unsigned(echo,
                a -> a.putValue("Bundle-Version", "1.0.1"), Map.of()), "buyer-a");
        try (AppClient client = client()) {
            assertEquals("ok", client.ask("put kept across update"));
        }
        HostedApp after = world.hosting().update(lease.id(), org.isos.admission.BundleAdmission.sha256Hex(v2), v2);
        try {
            assertEquals(before.bundleId(), after.bundleId());
            assertEquals("1.0.1", after.version());
            assertEquals("ACTIVE", after.state());
            assertEquals(lease.id(), after.lease().id());
            try (AppClient client = client()) {
                assertEquals("across update", client.ask("get kept"));
            }
            // a bad update is refused and the running version stays
            byte[] unsigned = TestJars.unsigned(v2);
            try {
                world.hosting().update(lease.id(), org.isos.admission.BundleAdmission.sha256Hex(unsigned), unsigned);
            } catch (org.isos.admission.AdmissionRefused expected) {
                assertTrue(expected.getMessage().startsWith("UNSIGNED"), expected.getMessage());
            }
            assertEquals("1.0.1", hosted(lease.id()).version());
            assertEquals(Bundle.ACTIVE, world.context.getBundle(after.bundleId()).getState());
        } finally {
            world.hosting().end(lease.id(), "test over");
        }
    }

    private HostedApp hosted(String leaseId) throws Exception {
        return world.hosting().hosted().stream().filter(h -> h.lease().id().equals(leaseId)).findFirst().orElse(null);
    }

    private static String ask(AppClient client, String text) {
        try {
            return client.ask(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Long> usage(String reply) {
        Map<String, Long> values = new java.util.HashMap<>();
        for (String part : reply.split(" ")) {
            String[] kv = part.split("=");
            values.put(kv[0], Long.parseLong(kv[1]));
        }
        return values;
    }
}
