package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import org.isos.admission.AdmissionRefused;
import org.isos.admission.BundleAdmission;
import org.isos.admission.Rule;
import org.isos.agent.host.OwnerActivity;
import org.isos.agent.host.OwnerPolicy;
import org.isos.kernel.api.Lease;
import org.isos.kernel.host.AppHosting;
import org.isos.kernel.host.Availability;
import org.isos.kernel.host.HostedApp;
import org.isos.kernel.host.PeerDirectory;
import org.isos.kernel.wire.LeaseGrant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The inbox against a kernel stand-in: what reaches the kernel, where files go, what the status says. */
class LeaseInboxTest {

    @TempDir
    Path data;
    Path inbox;
    Path status;
    final MutableClock clock = new MutableClock(InboxRequestTest.NOW);
    final FakeKernel kernel = new FakeKernel();
    final FakeOwner owner = new FakeOwner();
    LeaseInbox box;

    @BeforeEach
    void setUp() throws IOException {
        inbox = data.resolve("inbox");
        status = data.resolve("agent/status.properties");
        box = new LeaseInbox(inbox, status, kernel, kernel, kernel, () -> owner, clock, null);
    }

    private void drop(String name, String content) throws IOException {
        Files.writeString(inbox.resolve(name), content);
    }

    private String reason(String base) throws IOException {
        return Files.readString(inbox.resolve("refused/" + base + ".reason")).strip();
    }

    private Properties status() throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(status)) {
            p.load(in);
        }
        return p;
    }

    @Test
    void aLeaseFileHostsTheJarWithTheHostsIdAndTheJarsDigest() throws Exception {
        drop("echo.jar", "good bundle");
        drop("a.lease", InboxRequestTest.HOST);
        box.poll();
        assertEquals(1, kernel.grants.size());
        LeaseGrant grant = kernel.grants.get(0);
        assertEquals("host-1", grant.hostId());
        assertEquals(BundleAdmission.sha256Hex("good bundle".getBytes(StandardCharsets.UTF_8)), grant.bundleSha256());
        assertEquals("lease-1", grant.lease().id());
        assertTrue(Files.exists(inbox.resolve("done/a.lease")));
        assertTrue(Files.exists(inbox.resolve("done/echo.jar")), "the jar goes with its lease file");
        assertFalse(Files.exists(inbox.resolve("a.lease")));

        Properties s = status();
        assertEquals("true", s.getProperty("running"));
        assertEquals("host-1", s.getProperty("hostId"));
        assertEquals("127.0.0.1:4711", s.getProperty("transport"));
        assertEquals("false", s.getProperty("suspended"));
        assertEquals("lease-1", s.getProperty("apps"));
        assertEquals("ACTIVE", s.getProperty("app.lease-1.state"));
        assertEquals("isos.testapp.echo", s.getProperty("app.lease-1.app"));
        assertEquals(InboxRequestTest.NOW.plusSeconds(60).toString(), s.getProperty("app.lease-1.expiry"));
        assertEquals(Long.toString(ProcessHandle.current().pid()), s.getProperty("agent.pid"));
    }

    @Test
    void anAdmissionRefusalIsFiledWithTheRuleAndTheJar() throws Exception {
        drop("echo.jar", "bad bundle");
        drop("a.lease", InboxRequestTest.HOST);
        box.poll();
        assertTrue(Files.exists(inbox.resolve("refused/a.lease")));
        assertTrue(Files.exists(inbox.resolve("refused/echo.jar")));
        assertTrue(reason("a").startsWith("TAMPERED: "), reason("a"));
        assertEquals("", status().getProperty("apps"));
    }

    @Test
    void badInputIsRefusedAndTheNextFileStillRuns() throws Exception {
        drop("echo.jar", "good bundle");
        drop("1-bad.lease", InboxRequestTest.HOST.replace("cpuShare=0.5", "cpuShare=lots").replace("bundle=echo.jar",
                "bundle=other.jar"));
        drop("2-good.lease", InboxRequestTest.HOST);
        box.poll();
        assertTrue(reason("1-bad").startsWith("BAD_INPUT: ") && reason("1-bad").contains("cpuShare 'lots'"), reason("1-bad"));
        assertTrue(Files.exists(inbox.resolve("done/2-good.lease")));
        assertEquals(1, kernel.grants.size());
    }

    @Test
    void aKernelRejectionIsFiledToo() throws Exception {
        drop("echo.jar", "good bundle");
        drop("a.lease", InboxRequestTest.HOST);
        drop("b.lease", InboxRequestTest.HOST); // same id again: the kernel says it is hosted already
        box.poll();
        assertTrue(reason("b").startsWith("LEASE_REJECTED: lease lease-1 is already hosted"), reason("b"));
        assertTrue(Files.exists(inbox.resolve("done/a.lease")));
        assertTrue(Files.exists(inbox.resolve("refused/echo.jar")), "the jar leaves with the last lease file naming it");
    }

    @Test
    void aMissingJarIsAwaitedForAWhile() throws Exception {
        drop("a.lease", InboxRequestTest.HOST);
        box.poll();
        assertTrue(Files.exists(inbox.resolve("a.lease")), "still waiting for the jar");
        clock.advance(Duration.ofSeconds(2));
        drop("echo.jar", "good bundle");
        box.poll();
        assertTrue(Files.exists(inbox.resolve("done/a.lease")));

        drop("b.lease", InboxRequestTest.HOST.replace("lease-1", "lease-2"));
        box.poll();
        clock.advance(LeaseInbox.BUNDLE_WAIT);
        box.poll();
        assertTrue(reason("b").contains("bundle echo.jar is not in the inbox"), reason("b"));
    }

    @Test
    void renewUpdateAndEndReachTheKernel() throws Exception {
        drop("echo.jar", "good bundle");
        drop("1.lease", InboxRequestTest.HOST);
        drop("2.lease", "action=renew\nid=lease-1\nexpiry=2026-11-29T00:00:00Z\n");
        drop("echo-2.jar", "good bundle v2");
        drop("3.lease", "action=update\nid=lease-1\nbundle=echo-2.jar\n");
        box.poll();
        HostedApp app = kernel.hosted().get(0);
        assertEquals(Instant.parse("2026-11-29T00:00:00Z"), app.lease().expiry());
        assertEquals(BundleAdmission.sha256Hex("good bundle v2".getBytes(StandardCharsets.UTF_8)), app.bundleSha256());
        drop("4.lease", "action=end\nid=lease-1\nreason=revoked by the buyer\n");
        box.poll();
        assertEquals(List.of("lease-1: revoked by the buyer"), kernel.ended);
        assertTrue(kernel.hosted().isEmpty());
        drop("5.lease", "action=end\nid=lease-1\n");
        box.poll();
        assertTrue(reason("5").startsWith("LEASE_REJECTED: no lease lease-1"), reason("5"));
    }

    @Test
    void anActivityFileReportsTheOwnerBusyAndTheStatusSaysWhy() throws Exception {
        drop("now.activity", "typing in the editor\nmore\n");
        box.poll();
        assertEquals(List.of("typing in the editor"), owner.reports);
        assertTrue(Files.exists(inbox.resolve("done/now.activity")));
        Properties s = status();
        assertEquals("true", s.getProperty("suspended"));
        assertEquals("typing in the editor", s.getProperty("suspendedReason"));
    }

    @Test
    void theStatusFileIsRewrittenOnChangeOnly() throws Exception {
        box.poll();
        String first = status().getProperty("updated");
        clock.advance(Duration.ofSeconds(1));
        box.poll();
        assertEquals(first, status().getProperty("updated"), "nothing changed");
        kernel.suspend("test");
        box.poll();
        assertEquals("true", status().getProperty("suspended"));
        clock.advance(Duration.ofSeconds(LeaseInbox.STATUS_REFRESH_SECONDS));
        box.poll();
        assertEquals(clock.instant().toString(), status().getProperty("updated"), "refreshed now and then");
        assertFalse(Files.exists(status.resolveSibling("status.properties.tmp")));
    }

    /** AppHosting, PeerDirectory and Availability as the kernel would answer. */
    static final class FakeKernel implements AppHosting, PeerDirectory, Availability {
        final List<LeaseGrant> grants = new ArrayList<>();
        final List<String> ended = new ArrayList<>();
        final Map<String, HostedApp> apps = new LinkedHashMap<>();
        volatile boolean suspended;

        @Override
        public HostedApp host(LeaseGrant grant, byte[] bundle) throws AdmissionRefused {
            if (new String(bundle, StandardCharsets.UTF_8).startsWith("bad")) {
                throw new AdmissionRefused(Rule.TAMPERED, "entry x.class does not match its signature");
            }
            if (apps.containsKey(grant.lease().id())) {
                throw new IllegalStateException("lease " + grant.lease().id() + " is already hosted here");
            }
            grants.add(grant);
            HostedApp app = new HostedApp(grant.lease(), grant.bundleSha256(), 42, grant.lease().app(), "1.0.0", "ACTIVE");
            apps.put(grant.lease().id(), app);
            return app;
        }

        @Override
        public HostedApp renew(String leaseId, Instant newExpiry) {
            HostedApp a = running(leaseId);
            HostedApp renewed = new HostedApp(a.lease().renewedUntil(newExpiry), a.bundleSha256(), a.bundleId(),
                    a.symbolicName(), a.version(), a.state());
            apps.put(leaseId, renewed);
            return renewed;
        }

        @Override
        public HostedApp update(String leaseId, String sha256, byte[] bundle) {
            HostedApp a = running(leaseId);
            HostedApp updated = new HostedApp(a.lease(), sha256, a.bundleId(), a.symbolicName(), "1.0.1", a.state());
            apps.put(leaseId, updated);
            return updated;
        }

        @Override
        public void end(String leaseId, String reason) {
            running(leaseId);
            apps.remove(leaseId);
            ended.add(leaseId + ": " + reason);
        }

        private HostedApp running(String leaseId) {
            HostedApp a = apps.get(leaseId);
            if (a == null) {
                throw new IllegalArgumentException("no lease " + leaseId + " on this host");
            }
            return a;
        }

        @Override
        public List<HostedApp> hosted() {
            return List.copyOf(apps.values());
        }

        @Override
        public void put(String hostId, InetSocketAddress address) {
        }

        @Override
        public Optional<InetSocketAddress> find(String hostId) {
            return Optional.empty();
        }

        @Override
        public String hostId() {
            return "host-1";
        }

        @Override
        public InetSocketAddress localAddress() {
            return new InetSocketAddress("127.0.0.1", 4711);
        }

        @Override
        public void suspend(String reason) {
            suspended = true;
        }

        @Override
        public void resume() {
            suspended = false;
        }

        @Override
        public boolean suspended() {
            return suspended;
        }

        @Override
        public boolean awaitPaused(Duration timeout) {
            return true;
        }

        @Override
        public void cpuShare(double share) {
            // the inbox never limits the CPU
        }
    }

    final class FakeOwner implements OwnerActivity {
        final List<String> reports = new ArrayList<>();
        String reason = "";

        @Override
        public void ownerActive(String why) {
            reports.add(why);
            reason = why;
            kernel.suspend(why);
        }

        @Override
        public boolean holding() {
            return !reason.isEmpty();
        }

        @Override
        public String reason() {
            return reason;
        }

        @Override
        public Optional<OwnerPolicy> policy() {
            return Optional.empty();
        }
    }
}
