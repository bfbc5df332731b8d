package org.isos.kernel.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.isos.kernel.api.Lease;
import org.isos.kernel.host.HostedApp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;

/** Tenants apart; owner activity pauses work; a kernel restart resumes what is leased. */
class IsolationAndRecoveryTest {

    private TestWorld world;
    private byte[] echo;
    private byte[] sneaky;

    @BeforeEach
    void setUp() throws Exception {
        world = TestWorld.get();
        echo = TestWorld.app("isos.testapp.echo");
        sneaky = TestWorld.app("isos.testapp.sneaky");
    }

    @Test
    void twoTenantsCannotSeeEachOthersServicesBundlesOrPackages() throws Exception {
        Lease a = TestWorld.lease("buyer-a", "isos.testapp.echo", Duration.ofMinutes(5));
        Lease b = TestWorld.lease("buyer-b", "isos.testapp.sneaky", Duration.ofMinutes(5));
        HostedApp appA = world.hosting().host(TestWorld.grant(a, echo), echo);
        HostedApp appB = world.hosting().host(TestWorld.grant(b, sneaky), sneaky);
        Bundle bundleA = world.context.getBundle(appA.bundleId());
        Bundle bundleB = world.context.getBundle(appB.bundleId());
        try {
            TestWorld.eventually("echo registered its service", Duration.ofSeconds(10),
                    () -> bundleA.getRegisteredServices() != null && bundleA.getRegisteredServices().length > 0);
            // A sees its own service; B sees neither it nor A's bundle
            assertNotNull(bundleA.getBundleContext().getServiceReference("org.isos.testapp.echo.Echo"));
            assertNull(bundleB.getBundleContext().getServiceReference("org.isos.testapp.echo.Echo"));
            assertTrue(Arrays.stream(bundleB.getBundleContext().getBundles()).noneMatch(x -> x.equals(bundleA)));
            assertNull(bundleB.getBundleContext().getBundle(bundleA.getBundleId()));
            // apps see only the kernel API among platform services
            assertNotNull(bundleB.getBundleContext().getServiceReference("org.isos.kernel.api.Allocation"));
            assertNull(bundleB.getBundleContext().getServiceReference("org.isos.kernel.host.AppHosting"));
            assertNull(bundleB.getBundleContext().getServiceReference("org.osgi.service.cm.ConfigurationAdmin"));
            // a bundle of tenant B that imports A's exported package cannot wire to it
            Bundle probe = world.context.installBundle("isos:app:buyer-b:probe", new ByteArrayInputStream(
                    importer("org.isos.testapp.echo")));
            try {
                BundleException e = assertThrows(BundleException.class, probe::start);
                assertTrue(e.getMessage().contains("org.isos.testapp.echo"), e.getMessage());
            } finally {
                probe.uninstall();
            }
        } finally {
            world.hosting().end(a.id(), "test over");
            world.hosting().end(b.id(), "test over");
        }
    }

    @Test
    void ownerActivityPausesRunningTasksAndResumesThem() throws Exception {
        Lease lease = TestWorld.lease("buyer-a", "isos.testapp.echo", Duration.ofMinutes(5));
        world.hosting().host(TestWorld.grant(lease, echo), echo);
        try (AppClient client = new AppClient(world.peers().localAddress(), world.caCertificate(), "buyer-a",
                "isos.testapp.echo")) {
            client.ask("work long 1000000");
            TestWorld.eventually("task running", Duration.ofSeconds(10), () -> cpu(client) > 20_000_000L);
            world.availability().suspend("owner moved the mouse");
            Thread.sleep(200); // the task parks at its next checkpoint, 2 ms away
            long paused = cpu(client);
            Thread.sleep(600);
            assertEquals(paused, cpu(client), "no CPU is spent while the owner uses the machine");
            assertEquals("owner moved the mouse", client.ask("get event.suspended"));
            world.availability().resume();
            TestWorld.eventually("task runs again", Duration.ofSeconds(10), () -> cpu(client) > paused);
            assertEquals("yes", client.ask("get event.resumed"));
        } finally {
            world.availability().resume();
            world.hosting().end(lease.id(), "test over");
        }
    }

    @Test
    void restartedKernelResumesLeasesAndEndsThoseThatExpiredMeanwhile() throws Exception {
        Lease staying = TestWorld.lease("buyer-a", "isos.testapp.echo", Duration.ofMinutes(5));
        Lease expiring = TestWorld.lease("buyer-b", "isos.testapp.sneaky", Duration.ofSeconds(3));
        world.hosting().host(TestWorld.grant(staying, echo), echo);
        world.hosting().host(TestWorld.grant(expiring, sneaky), sneaky);
        Bundle kernel = Arrays.stream(world.context.getBundles()).filter(b -> "isos.kernel".equals(b.getSymbolicName()))
                .findFirst().orElseThrow();
        kernel.stop();
        try {
            Thread.sleep(3500);
            assertTrue(Files.exists(world.data.resolve("leases").resolve(expiring.id() + ".lease")),
                    "a stopped kernel keeps its leases on disk");
        } finally {
            kernel.start();
        }
        world.awaitKernel();
        TestWorld.eventually("leased app back", Duration.ofSeconds(20), () -> hostedState(staying.id()).equals("ACTIVE"));
        assertEquals("", hostedState(expiring.id()));
        assertEquals(0, world.appBundles(expiring.id()));
        assertFalse(Files.exists(world.storeOf(expiring.id())));
        assertTrue(world.outbox().pending().stream().anyMatch(r -> r.leaseId().equals(expiring.id()) && r.last()));
        try (AppClient client = new AppClient(world.peers().localAddress(), world.caCertificate(), "buyer-a",
                "isos.testapp.echo")) {
            assertEquals("v1", client.ask("version"));
        } finally {
            world.hosting().end(staying.id(), "test over");
        }
    }

    @Test
    void reflectionOnAStringBuiltClassNameIsDeniedAtRunTimeUnderTheSecurityManager() throws Exception {
        Lease lease = TestWorld.lease("buyer-b", "isos.testapp.sneaky", Duration.ofMinutes(5));
        world.hosting().host(TestWorld.grant(lease, sneaky), sneaky);
        try {
            var outcome = world.storeOf(lease.id()).resolve("outcome");
            TestWorld.eventually("sneaky app reported", Duration.ofSeconds(15), () -> Files.exists(outcome));
            String result = Files.readString(outcome, StandardCharsets.UTF_8);
            if (world.secure) {
                assertTrue(result.startsWith("denied:") && result.contains("FilePermission"), result);
            } else {
                // without a SecurityManager only the install-time scan protects, and this path escapes it:
                // the reason the agent runs with Felix security wherever the JVM allows
                assertTrue(result.startsWith("read:"), result);
            }
        } finally {
            world.hosting().end(lease.id(), "test over");
        }
    }

    private String hostedState(String leaseId) {
        try {
            return world.hosting().hosted().stream().filter(h -> h.lease().id().equals(leaseId)).map(HostedApp::state)
                    .findFirst().orElse("");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static long cpu(AppClient client) {
        try {
            String usage = client.ask("usage");
            return Long.parseLong(usage.substring(4, usage.indexOf(' ')));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] importer(String pkg) throws Exception {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", "probe.of.b");
        main.putValue("Import-Package", pkg);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
            // a manifest is all the probe needs
        }
        return bytes.toByteArray();
    }
}
