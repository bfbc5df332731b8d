package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.isos.admission.BundleAdmission;
import org.isos.agent.host.internal.HeartbeatMessages.LeaseReport;
import org.isos.agent.host.internal.LeaseInboxTest.FakeKernel;
import org.isos.agent.host.internal.ServerLeasesTest.Refusing;
import org.isos.kernel.host.AppHosting;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leases ended for a revoked signer, against the kernel stand-in, with the server's lease reconciler. */
class SignerRevocationsTest {

    static final Instant NOW = ServerLeasesTest.NOW;

    @TempDir
    Path data;
    final FakeKernel kernel = new FakeKernel();
    final AppHosting hosting = new Refusing(kernel);
    final Map<String, byte[]> repository = new HashMap<>();
    /** Bundle digest → its signer's serial, as the signature blocks would say. */
    final Map<String, String> signerOf = new HashMap<>();
    final AtomicInteger changes = new AtomicInteger();
    ServerLeases leases;
    String byA;
    String byB;

    @BeforeEach
    void setUp() throws Exception {
        leases = new ServerLeases(data.resolve("server-leases.properties"), () -> hosting, () -> "host-1",
                sha -> repository.get(sha), new MutableClock(NOW), changes::incrementAndGet, () -> { });
        byA = upload("echo signed by A", "a1b2");
        byB = upload("echo signed by B", "beef");
        leases.reconcile(List.of(ServerLeasesTest.granted("l1", "echo", byA, NOW.plusSeconds(600)),
                ServerLeasesTest.granted("l2", "echo", byB, NOW.plusSeconds(600))), List.of());
        assertEquals(Map.of("l1", "ACTIVE", "l2", "ACTIVE"), states());
    }

    String upload(String content, String signer) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        String sha = BundleAdmission.sha256Hex(bytes);
        repository.put(sha, bytes);
        signerOf.put(sha, signer);
        return sha;
    }

    SignerRevocations revocations() {
        return new SignerRevocations(data.resolve("revoked-serials"), () -> hosting,
                app -> Optional.ofNullable(signerOf.get(app.bundleSha256())), leases::failedHere);
    }

    Map<String, String> states() {
        Map<String, String> states = new HashMap<>();
        for (LeaseReport r : leases.report()) {
            states.put(r.id(), r.state() + (r.reason() == null ? "" : " " + r.reason()));
        }
        return states;
    }

    @Test
    void aRevokedSignerEndsItsLeasesOnlyAndTheServerHearsWhy() throws Exception {
        SignerRevocations revocations = revocations();
        int before = changes.get();
        revocations.revoked(List.of("0A1B2", "77")); // the server's spelling may differ in case and leading zeros

        String reason = "REVOKED_SIGNER: the certificate a1b2 that signed bundle " + byA + " (echo 1.0.0) is revoked";
        assertEquals(List.of("l1: " + reason), kernel.ended);
        assertEquals(Map.of("l1", "FAILED " + reason, "l2", "ACTIVE"), states());
        assertTrue(changes.get() > before, "the next heartbeat goes at once");

        // the server still lists l1 until it hears: it is not hosted again
        leases.reconcile(List.of(ServerLeasesTest.granted("l1", "echo", byA, NOW.plusSeconds(600)),
                ServerLeasesTest.granted("l2", "echo", byB, NOW.plusSeconds(600))), List.of());
        assertEquals(1, kernel.grants.stream().filter(g -> g.lease().id().equals("l1")).count());
        assertEquals(List.of(), revocations.check(), "nothing more to end");
    }

    @Test
    void aRevocationHeardEarlierEndsALeaseHandedOverLaterAndSurvivesARestart() throws Exception {
        revocations().revoked(List.of("beef"));
        assertEquals(Map.of("l1", "ACTIVE", "l2", "FAILED REVOKED_SIGNER: the certificate beef that signed bundle "
                + byB + " (echo 1.0.0) is revoked"), states());

        SignerRevocations restarted = revocations();
        assertEquals(java.util.Set.of("beef"), restarted.known());
        String another = upload("another echo signed by B", "beef");
        leases.reconcile(List.of(ServerLeasesTest.granted("l3", "echo", another, NOW.plusSeconds(600))), List.of());
        assertEquals(List.of("l3"), restarted.check());
        assertTrue(states().get("l3").startsWith("FAILED REVOKED_SIGNER: the certificate beef"), states().get("l3"));
        assertEquals("ACTIVE", states().get("l1"));
    }

    @Test
    void withoutTheKernelNothingHappensAndAnUnreadableSignerIsLeftAlone() throws Exception {
        SignerRevocations noKernel = new SignerRevocations(data.resolve("revoked-serials"), () -> null,
                app -> Optional.of("a1b2"), leases::failedHere);
        noKernel.revoked(List.of("a1b2"));
        assertEquals(List.of(), kernel.ended);
        SignerRevocations unreadable = new SignerRevocations(data.resolve("revoked-serials"), () -> hosting,
                app -> Optional.empty(), leases::failedHere);
        assertEquals(List.of(), unreadable.check());
        assertEquals(Map.of("l1", "ACTIVE", "l2", "ACTIVE"), states());
        assertEquals(List.of("l1"), revocations().check(), "known from the file, read with the signatures");
    }

    @Test
    void theSignerIsTheEndEntityCertificateOfTheJarsSignatureBlock() throws Exception {
        // a key and self-signed certificate from the JDK's keytool, a jar signed with the JDK's jarsigner API
        Path store = data.resolve("signer.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "secret-pw",
                "-alias", "buyer", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=buyer-1", "-validity", "2")
                .redirectErrorStream(true).start();
        assertEquals(0, keytool.waitFor(), new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(store)) {
            keys.load(in, "secret-pw".toCharArray());
        }
        java.security.cert.X509Certificate certificate = (java.security.cert.X509Certificate) keys.getCertificate("buyer");
        var chain = java.security.cert.CertificateFactory.getInstance("X.509").generateCertPath(List.of(certificate));
        var jar = new java.io.ByteArrayOutputStream();
        try (var out = new java.util.jar.JarOutputStream(jar, new java.util.jar.Manifest())) {
            out.putNextEntry(new java.util.jar.JarEntry("a.txt"));
            out.write("hello".getBytes(StandardCharsets.UTF_8));
        }
        Path unsigned = data.resolve("app.jar");
        java.nio.file.Files.write(unsigned, jar.toByteArray());
        var signed = new java.io.ByteArrayOutputStream();
        try (var zip = new java.util.zip.ZipFile(unsigned.toFile())) {
            jdk.security.jarsigner.JarSigner.Builder builder = new jdk.security.jarsigner.JarSigner.Builder(
                    (java.security.PrivateKey) keys.getKey("buyer", "secret-pw".toCharArray()), chain);
            builder.signerName("BUYER").build().sign(zip, signed);
        }
        byte[] block = null;
        try (var in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(signed.toByteArray()))) {
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                if (e.getName().equals("META-INF/BUYER.EC")) {
                    block = in.readAllBytes();
                }
            }
        }
        assertEquals(Optional.of(certificate.getSerialNumber().toString(16)), SignerRevocations.endEntitySerial(block));
    }
}
