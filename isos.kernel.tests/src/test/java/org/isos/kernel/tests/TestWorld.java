package org.isos.kernel.tests;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.isos.kernel.api.Lease;
import org.isos.kernel.host.AppHosting;
import org.isos.kernel.host.Availability;
import org.isos.kernel.host.PeerDirectory;
import org.isos.kernel.host.UsageOutbox;
import org.isos.kernel.wire.LeaseGrant;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The kernel under test, configured as test host "host-1" of the test PKI (cnf/test-pki), with its
 * data in a fresh directory. Shared by the test classes of one framework run.
 */
final class TestWorld {

    static final String HOST = "host-1";
    static final String PASSWORD = "isos-test";
    private static TestWorld world;

    final BundleContext context = FrameworkUtil.getBundle(TestWorld.class).getBundleContext();
    final Path root;
    final Path data;
    final Path pki;
    final boolean secure = "on".equals(context.getProperty("isos.test.security"));

    private TestWorld() throws Exception {
        root = Files.createTempDirectory("isos-kernel-test");
        data = root.resolve("kernel");
        pki = root.resolve("pki");
        Files.createDirectories(pki);
        for (String f : new String[] { "ca.pem", "ca.p12", "host-1.p12", "buyer-a.p12", "buyer-b.p12", "rogue.p12" }) {
            try (InputStream in = resource("/pki/" + f)) {
                Files.copy(in, pki.resolve(f));
            }
        }
        ConfigurationAdmin admin = service(ConfigurationAdmin.class);
        Configuration config = admin.getConfiguration("org.isos.kernel", "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("dataDirectory", data.toString());
        props.put("identityKeyStore", pki.resolve("host-1.p12").toString());
        props.put("identityPassword", PASSWORD);
        props.put("trustAnchors", pki.resolve("ca.pem").toString());
        props.put("checkpointGraceMillis", 500L);
        props.put("usagePeriodSeconds", 3600L);
        props.put("workers", 2);
        config.update(props);
        awaitKernel();
    }

    static synchronized TestWorld get() throws Exception {
        if (world == null) {
            world = new TestWorld();
        }
        return world;
    }

    /** Waits until the kernel runs with the test configuration (it restarts when configured). */
    void awaitKernel() throws Exception {
        eventually("kernel configured as " + HOST, Duration.ofSeconds(30), () -> {
            PeerDirectory peers = serviceNow(PeerDirectory.class);
            return peers != null && peers.hostId().equals(HOST) && serviceNow(AppHosting.class) != null;
        });
    }

    AppHosting hosting() throws Exception {
        return service(AppHosting.class);
    }

    Availability availability() throws Exception {
        return service(Availability.class);
    }

    UsageOutbox outbox() throws Exception {
        return service(UsageOutbox.class);
    }

    PeerDirectory peers() throws Exception {
        return service(PeerDirectory.class);
    }

    /** Trackers stay open: a service object handed out by a tracker is valid only while it is. */
    private final java.util.Map<Class<?>, ServiceTracker<?, ?>> trackers = new java.util.concurrent.ConcurrentHashMap<>();

    <T> T service(Class<T> type) throws Exception {
        @SuppressWarnings("unchecked")
        ServiceTracker<T, T> tracker = (ServiceTracker<T, T>) trackers.computeIfAbsent(type, t -> {
            ServiceTracker<T, T> opened = new ServiceTracker<>(context, type, null);
            opened.open();
            return opened;
        });
        T found = tracker.waitForService(TimeUnit.SECONDS.toMillis(20));
        if (found == null) {
            fail("no " + type.getName() + " service within 20 s");
        }
        return found;
    }

    <T> T serviceNow(Class<T> type) {
        try {
            return serviceOrNull(type);
        } catch (Exception e) {
            return null;
        }
    }

    private <T> T serviceOrNull(Class<T> type) {
        @SuppressWarnings("unchecked")
        ServiceTracker<T, T> tracker = (ServiceTracker<T, T>) trackers.computeIfAbsent(type, t -> {
            ServiceTracker<T, T> opened = new ServiceTracker<>(context, type, null);
            opened.open();
            return opened;
        });
        return tracker.getService();
    }

    static InputStream resource(String name) throws IOException {
        InputStream in = TestWorld.class.getResourceAsStream(name);
        if (in == null) {
            throw new IOException("test bundle lacks " + name);
        }
        return in;
    }

    static byte[] app(String name) throws IOException {
        try (InputStream in = resource("/apps/" + name + ".jar")) {
            return in.readAllBytes();
        }
    }

    KeyStore keyStore(String name) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(pki.resolve(name + ".p12"))) {
            ks.load(in, PASSWORD.toCharArray());
        }
        return ks;
    }

    X509Certificate caCertificate() throws Exception {
        return (X509Certificate) keyStore("ca").getCertificate("ca");
    }

    static Lease lease(String buyer, String app, Duration life) {
        return new Lease("lease-" + UUID.randomUUID().toString().substring(0, 8), buyer, app, Instant.now().plus(life),
                0.5, 64L << 20, 1L << 20, 1L << 20);
    }

    static Lease lease(String buyer, String app, Duration life, long quota) {
        Lease l = lease(buyer, app, life);
        return new Lease(l.id(), buyer, app, l.expiry(), l.cpuShare(), l.memoryBytes(), quota,
                l.bandwidthBytesPerSecond());
    }

    static LeaseGrant grant(Lease lease, byte[] bundle) {
        return new LeaseGrant(lease, HOST, org.isos.admission.BundleAdmission.sha256Hex(bundle));
    }

    /** Installed bundles at app locations: after a refusal or an end there must be none left for the lease. */
    long appBundles(String leaseId) {
        long n = 0;
        for (Bundle b : context.getBundles()) {
            if (b.getLocation().startsWith("isos:app:") && b.getLocation().endsWith(":" + leaseId)) {
                n++;
            }
        }
        return n;
    }

    Path storeOf(String leaseId) {
        return data.resolve("stores").resolve(leaseId);
    }

    static void eventually(String what, Duration within, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                // not yet
            }
            Thread.sleep(25);
        }
        fail("not within " + within.toMillis() + " ms: " + what);
    }
}
