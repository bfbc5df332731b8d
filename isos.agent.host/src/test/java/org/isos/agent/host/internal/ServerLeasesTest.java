package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import org.isos.admission.AdmissionRefused;
import org.isos.admission.BundleAdmission;
import org.isos.agent.host.internal.HeartbeatMessages.Ended;
import org.isos.agent.host.internal.HeartbeatMessages.Granted;
import org.isos.agent.host.internal.HeartbeatMessages.LeaseReport;
import org.isos.agent.host.internal.LeaseInboxTest.FakeKernel;
import org.isos.kernel.api.Lease;
import org.isos.kernel.host.AppHosting;
import org.isos.kernel.host.HostedApp;
import org.isos.kernel.wire.LeaseGrant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Carrying out the server's leases against a kernel stand-in and a bundle source stand-in. */
class ServerLeasesTest {

    static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");

    @TempDir
    Path data;
    Path file;
    final MutableClock clock = new MutableClock(NOW);
    final FakeKernel kernel = new FakeKernel();
    /** The kernel as the reconciler sees it: refuses app "broken" the way the kernel refuses a lease. */
    final AppHosting hosting = new Refusing(kernel);
    final Map<String, byte[]> repository = new HashMap<>();
    final List<String> fetched = new ArrayList<>();
    final AtomicInteger changes = new AtomicInteger();
    final AtomicInteger endings = new AtomicInteger();
    boolean kernelRunning = true;
    IOException outage;
    ServerLeases leases;

    @BeforeEach
    void setUp() {
        file = data.resolve("agent/server-leases.properties");
        leases = restart();
    }

    ServerLeases restart() {
        return new ServerLeases(file, () -> kernelRunning ? hosting : null, () -> "host-1", sha -> {
            fetched.add(sha);
            if (outage != null) {
                throw outage;
            }
            byte[] jar = repository.get(sha);
            if (jar == null) {
                throw new ServerLeases.BundleUnavailable("HTTP 404: no bundle " + sha);
            }
            return jar;
        }, clock, changes::incrementAndGet, endings::incrementAndGet);
    }

    /** A bundle in the repository; its digest. */
    String upload(String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        String sha = BundleAdmission.sha256Hex(bytes);
        repository.put(sha, bytes);
        return sha;
    }

    static Granted granted(String id, String app, String sha, Instant expiry) {
        return new Granted(id, new Lease(id, "buyer-a", app, expiry, 0.25, 1 << 20, 1 << 20, 1 << 16), sha, null);
    }

    Map<String, String> states() {
        Map<String, String> states = new HashMap<>();
        for (LeaseReport r : leases.report()) {
            states.put(r.id(), r.state() + (r.reason() == null ? "" : " " + r.reason()));
        }
        return states;
    }

    @Test
    void aNewLeaseIsFetchedByDigestAndHostedAsThisHost() throws Exception {
        String sha = upload("good bundle");
        leases.reconcile(List.of(granted("l1", "echo", sha, NOW.plusSeconds(600))), List.of());
        assertEquals(List.of(sha), fetched);
        LeaseGrant grant = kernel.grants.get(0);
        assertEquals("host-1", grant.hostId());
        assertEquals(sha, grant.bundleSha256());
        assertEquals(NOW.plusSeconds(600), grant.lease().expiry());
        assertEquals(Map.of("l1", "ACTIVE"), states());
        assertEquals(1, changes.get(), "an ACTIVE lease calls for a heartbeat at once");

        leases.reconcile(List.of(granted("l1", "echo", sha, NOW.plusSeconds(600))), List.of());
        assertEquals(1, fetched.size(), "hosted already: not fetched again");
        assertEquals(1, changes.get(), "nothing new to tell");
    }

    @Test
    void aMovedExpiryRenewsInPlace() throws Exception {
        String sha = upload("good bundle");
        leases.reconcile(List.of(granted("l1", "echo", sha, NOW.plusSeconds(600))), List.of());
        leases.reconcile(List.of(granted("l1", "echo", sha, NOW.plusSeconds(3600))), List.of());
        assertEquals(NOW.plusSeconds(3600), kernel.hosted().get(0).lease().expiry());
        assertEquals(1, kernel.grants.size(), "renewed, not hosted again");
        assertEquals(1, fetched.size());
        assertEquals(Map.of("l1", "ACTIVE"), states());
    }

    @Test
    void anEndedLeaseIsEndedWithTheServersReason() throws Exception {
        String sha = upload("good bundle");
        leases.reconcile(List.of(granted("l1", "echo", sha, NOW.plusSeconds(600))), List.of());
        leases.reconcile(List.of(), List.of(new Ended("l1", "RELEASED by the buyer"), new Ended("never-here", "x")));
        assertEquals(List.of("l1: RELEASED by the buyer"), kernel.ended);
        assertTrue(kernel.hosted().isEmpty());
        assertEquals(Map.of("l1", "ENDED RELEASED by the buyer"), states(), "a lease never known here is not reported");
        assertEquals(1, endings.get(), "its final usage record is due");
        assertEquals(2, changes.get());
    }

    @Test
    void whatTheServerListsNowhereKeepsRunningUntilItsExpiry() throws Exception {
        String sha = upload("good bundle");
        leases.reconcile(List.of(granted("l1", "echo", sha, NOW.plusSeconds(600))), List.of());
        kernel.host(new LeaseGrant(new Lease("by-hand", "buyer-a", "echo", NOW.plusSeconds(60), 0.5, 0, 0, 1), "host-1",
                sha), "good bundle".getBytes(StandardCharsets.UTF_8));
        leases.reconcile(List.of(), List.of()); // the server lost track, or is catching up
        assertEquals(List.of("l1", "by-hand"), kernel.hosted().stream().map(a -> a.lease().id()).toList());
        assertTrue(kernel.ended.isEmpty());
        assertEquals(Map.of("l1", "ACTIVE"), states(), "the inbox's lease is none of the server's business");

        kernel.end("l1", "expired at " + NOW.plusSeconds(600)); // the kernel's own expiry
        clock.advance(Duration.ofSeconds(601));
        leases.reconcile(List.of(), List.of());
        assertEquals(Map.of("l1", "ENDED expired at " + NOW.plusSeconds(600)), states());
    }

    @Test
    void anAdmissionRefusalIsReportedWithItsRuleAndNotFetchedAgain() throws Exception {
        String sha = upload("bad bundle");
        leases.reconcile(List.of(granted("l1", "echo", sha, NOW.plusSeconds(600))), List.of());
        assertEquals(Map.of("l1", "FAILED TAMPERED: entry x.class does not match its signature"), states());
        assertTrue(kernel.hosted().isEmpty());
        leases.reconcile(List.of(granted("l1", "echo", sha, NOW.plusSeconds(600))), List.of());
        assertEquals(1, fetched.size(), "a FAILED lease is not fetched and refused at every heartbeat");
        assertEquals(1, changes.get());
    }

    @Test
    void otherRefusalsAreReportedToo() throws Exception {
        String sha = upload("good bundle");
        String forged = "ab".repeat(32);
        repository.put(forged, "not what the digest says".getBytes(StandardCharsets.UTF_8));
        Granted badTerms = new Granted("l4", null, sha, "cpuShare 2.0 must be in (0, 1]");
        leases.reconcile(List.of(granted("l1", "broken", sha, NOW.plusSeconds(600)),
                granted("l2", "echo", forged, NOW.plusSeconds(600)),
                granted("l3", "echo", "cd".repeat(32), NOW.plusSeconds(600)), badTerms), List.of());
        Map<String, String> states = states();
        assertEquals("FAILED LEASE_REJECTED: lease l1 is for app broken, not the bundle's echo", states.get("l1"));
        assertTrue(states.get("l2").startsWith("FAILED DIGEST_MISMATCH: the server's bundle " + forged + " hashes to "),
                states.get("l2"));
        assertEquals("FAILED BUNDLE_UNAVAILABLE: bundle " + "cd".repeat(32) + ": HTTP 404: no bundle " + "cd".repeat(32),
                states.get("l3"));
        assertEquals("FAILED BAD_INPUT: cpuShare 2.0 must be in (0, 1]", states.get("l4"));
        assertTrue(kernel.hosted().isEmpty());
    }

    @Test
    void anUnreachableRepositoryIsTriedAgainAndAnExpiredLeaseNotAtAll() throws Exception {
        String sha = upload("good bundle");
        outage = new IOException("connection refused");
        leases.reconcile(List.of(granted("l1", "echo", sha, NOW.plusSeconds(600)),
                granted("old", "echo", sha, NOW.minusSeconds(1))), List.of());
        assertEquals(Map.of(), states(), "nothing to report yet");
        outage = null;
        leases.reconcile(List.of(granted("l1", "echo", sha, NOW.plusSeconds(600))), List.of());
        assertEquals(List.of(sha, sha), fetched);
        assertEquals(Map.of("l1", "ACTIVE"), states());
    }

    @Test
    void whileTheKernelIsDownNothingHappens() throws Exception {
        kernelRunning = false;
        leases.reconcile(List.of(granted("l1", "echo", upload("good bundle"), NOW.plusSeconds(600))),
                List.of(new Ended("l0", "gone")));
        assertTrue(fetched.isEmpty());
        assertEquals(Map.of(), states());
    }

    @Test
    void outcomesSurviveARestartAndAreForgottenOnceTheServerListsThemNoMore() throws Exception {
        String good = upload("good bundle");
        String bad = upload("bad bundle");
        leases.reconcile(List.of(granted("l1", "echo", good, NOW.plusSeconds(600)),
                granted("l2", "echo", bad, NOW.plusSeconds(600))), List.of());
        Properties p = new Properties();
        try (var in = Files.newInputStream(file)) {
            p.load(in);
        }
        assertEquals("FAILED", p.getProperty("l2.state"));
        assertFalse(Files.exists(file.resolveSibling("server-leases.properties.tmp")));

        ServerLeases again = restart();
        assertEquals(leases.report(), again.report(), "a restarted agent reports the same");
        leases = again;
        leases.reconcile(List.of(granted("l1", "echo", good, NOW.plusSeconds(600)),
                granted("l2", "echo", bad, NOW.plusSeconds(600))), List.of());
        assertEquals(2, fetched.size(), "the FAILED lease is not fetched again after a restart");

        // the server took note of the failure: l2 is in its ended list, then in neither
        leases.reconcile(List.of(granted("l1", "echo", good, NOW.plusSeconds(600))),
                List.of(new Ended("l2", "FAILED: TAMPERED")));
        assertTrue(states().get("l2").startsWith("FAILED "), "still reported as this host saw it");
        clock.advance(ServerLeases.FORGET_AFTER.plusSeconds(1));
        leases.reconcile(List.of(granted("l1", "echo", good, NOW.plusSeconds(7200 + 600))), List.of());
        assertEquals(Map.of("l1", "ACTIVE"), states());
        assertNull(restart().outcomes().get("l2"), "forgotten on disk too");
    }

    @Test
    void anotherWantedBundleIsUpdatedInPlaceAndARefusalReportedOnceWhileTheOldVersionRuns() throws Exception {
        String v1 = upload("good bundle");
        leases.reconcile(List.of(granted("l1", "echo", v1, NOW.plusSeconds(600))), List.of());
        assertEquals(v1, only(leases.report()).bundleSha256(), "the running digest is reported");

        String v2 = upload("good bundle, version 2");
        leases.reconcile(List.of(granted("l1", "echo", v2, NOW.plusSeconds(600))), List.of());
        assertEquals(List.of(v1, v2), fetched);
        assertEquals(v2, kernel.hosted().get(0).bundleSha256(), "updated in place");
        assertEquals(1, kernel.grants.size(), "not hosted again");
        LeaseReport updated = only(leases.report());
        assertEquals(new LeaseReport("l1", "ACTIVE", null, v2, null, null), updated);
        assertEquals(2, changes.get(), "the new digest calls for a heartbeat");

        String broken = upload("broken bundle");
        leases.reconcile(List.of(granted("l1", "echo", broken, NOW.plusSeconds(600))), List.of());
        LeaseReport refused = only(leases.report());
        assertEquals("ACTIVE", refused.state(), "the lease stays ACTIVE");
        assertEquals(v2, refused.bundleSha256(), "the old version runs on");
        assertEquals(broken, refused.refusedBundleSha256());
        assertEquals("lease l1: update refused, the previous version runs on: Activator start error", refused.updateRefused());
        leases.reconcile(List.of(granted("l1", "echo", broken, NOW.plusSeconds(600))), List.of());
        assertEquals(3, fetched.size(), "a refused bundle is not fetched and refused again");
        assertEquals(refused, only(restart().report()), "a restarted agent reports the same");

        String gone = "ef".repeat(32);
        leases.reconcile(List.of(granted("l1", "echo", gone, NOW.plusSeconds(600))), List.of());
        assertTrue(only(leases.report()).updateRefused().startsWith("BUNDLE_UNAVAILABLE: "), leases.report().toString());
        String v3 = upload("good bundle, version 3");
        leases.reconcile(List.of(granted("l1", "echo", v3, NOW.plusSeconds(600))), List.of());
        assertEquals(new LeaseReport("l1", "ACTIVE", null, v3, null, null), only(leases.report()));
    }

    private static LeaseReport only(List<LeaseReport> reports) {
        assertEquals(1, reports.size(), reports.toString());
        return reports.get(0);
    }

    /** The kernel's refusal of a lease for another app than the bundle's (an IllegalArgumentException). */
    static final class Refusing implements AppHosting {
        private final FakeKernel kernel;

        Refusing(FakeKernel kernel) {
            this.kernel = kernel;
        }

        @Override
        public HostedApp host(LeaseGrant grant, byte[] bundle) throws AdmissionRefused {
            if (grant.lease().app().equals("broken")) {
                throw new IllegalArgumentException("lease " + grant.lease().id() + " is for app broken, not the bundle's echo");
            }
            return kernel.host(grant, bundle);
        }

        @Override
        public HostedApp renew(String leaseId, Instant newExpiry) {
            return kernel.renew(leaseId, newExpiry);
        }

        @Override
        public HostedApp update(String leaseId, String newBundleSha256, byte[] bundle) {
            if (new String(bundle, StandardCharsets.UTF_8).startsWith("broken")) {
                throw new IllegalStateException("lease " + leaseId + ": update refused, the previous version runs on: "
                        + "Activator start error");
            }
            return kernel.update(leaseId, newBundleSha256, bundle);
        }

        @Override
        public void end(String leaseId, String reason) {
            kernel.end(leaseId, reason);
        }

        @Override
        public List<HostedApp> hosted() {
            return kernel.hosted();
        }
    }
}
