package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.io.StringWriter;
import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.Dictionary;
import java.util.HexFormat;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

class HostEnrollmentTest {

    @TempDir
    Path temp;

    @Test
    void theHostIdIsTheServersDerivation() throws Exception {
        KeyPair key = HostEnrollment.newKey();
        assertEquals("EC", key.getPublic().getAlgorithm());
        String expected = "host-" + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(key.getPublic().getEncoded())).substring(0, 32);
        assertEquals(expected, HostEnrollment.hostIdOf(key.getPublic()));
        assertEquals(37, expected.length());
        assertFalse(HostEnrollment.hostIdOf(HostEnrollment.newKey().getPublic()).equals(expected));
    }

    @Test
    void theRequestNamesTheHostAndProvesPossession() throws Exception {
        KeyPair key = HostEnrollment.newKey();
        String hostId = HostEnrollment.hostIdOf(key.getPublic());
        String pem = HostEnrollment.csrPem(key, hostId);
        assertTrue(pem.startsWith("-----BEGIN CERTIFICATE REQUEST-----"), pem);
        PKCS10CertificationRequest csr;
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            csr = (PKCS10CertificationRequest) parser.readObject();
        }
        assertEquals(new X500Name("CN=" + hostId), csr.getSubject());
        assertEquals(key.getPublic(), new JcaPKCS10CertificationRequest(csr).getPublicKey());
        assertTrue(csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key.getPublic())));
        String body = HostEnrollment.enrollmentBody(pem);
        assertEquals(pem, HostEnrollment.stringMember(body, "csr"), "the PEM survives JSON quoting");
    }

    @Test
    void theIssuedChainAndKeyBecomeTheKernelsIdentity() throws Exception {
        KeyPair caKey = HostEnrollment.newKey();
        X509Certificate root = certificate("CN=Test Root,O=ISOS", caKey.getPublic(), "CN=Test Root,O=ISOS", caKey.getPrivate(), true);
        KeyPair key = HostEnrollment.newKey();
        String hostId = HostEnrollment.hostIdOf(key.getPublic());
        X509Certificate leaf = certificate("CN=" + hostId + ",OU=host,O=ISOS", key.getPublic(), "CN=Test Root,O=ISOS",
                caKey.getPrivate(), false);
        String chainPem = pem(leaf) + pem(root);
        List<X509Certificate> chain = HostEnrollment.certificates(chainPem);
        assertEquals(List.of(leaf, root), chain);

        Path store = temp.resolve("agent").resolve("identity.p12");
        char[] password = "isos-host".toCharArray();
        HostEnrollment.writeIdentity(store, password, key, hostId, chain, List.of(root));
        assertFalse(Files.exists(store.resolveSibling("identity.p12.tmp")), "written through a temp file renamed into place");
        assertEquals(hostId, HostEnrollment.hostIdOf(store, password));
        // what the kernel's HostIdentity reads: the first alias, its key and chain
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(store)) {
            keyStore.load(in, password);
        }
        String alias = keyStore.aliases().nextElement();
        assertEquals(key.getPrivate(), keyStore.getKey(alias, password));
        assertEquals(2, keyStore.getCertificateChain(alias).length);

        // a chain for another key, another host id or from another CA is refused; nothing is written
        Path other = temp.resolve("other.p12");
        KeyPair stranger = HostEnrollment.newKey();
        assertThrows(GeneralSecurityException.class,
                () -> HostEnrollment.writeIdentity(other, password, stranger, hostId, chain, List.of(root)));
        assertThrows(GeneralSecurityException.class,
                () -> HostEnrollment.writeIdentity(other, password, key, "host-0", chain, List.of(root)));
        KeyPair otherCa = HostEnrollment.newKey();
        X509Certificate otherRoot = certificate("CN=Other,O=ISOS", otherCa.getPublic(), "CN=Other,O=ISOS", otherCa.getPrivate(), true);
        assertThrows(GeneralSecurityException.class,
                () -> HostEnrollment.writeIdentity(other, password, key, hostId, List.of(leaf), List.of(otherRoot)));
        assertFalse(Files.exists(other));
        // the leaf alone (no root in the chain) chains to the anchor
        HostEnrollment.writeIdentity(other, password, key, hostId, List.of(leaf), List.of(root));
        assertEquals(hostId, HostEnrollment.hostIdOf(other, password));
        assertNotNull(HostEnrollment.trusting(List.of(root)));
        assertThrows(GeneralSecurityException.class, () -> HostEnrollment.trusting(List.of()));
    }

    @Test
    void theServersAnswersAreRead() {
        String answer = "{\"hostId\": \"host-ab\", \"owner\": {\"id\": \"x\", \"n\": [1, \"}\"]}, \"count\": 3, "
                + "\"ok\": true, \"certificate\": \"-----BEGIN\\nA\\/B\\u0041\\\"q\\\"\\n\", \"caPem\": null}";
        assertEquals("host-ab", HostEnrollment.stringMember(answer, "hostId"));
        assertEquals("-----BEGIN\nA/BA\"q\"\n", HostEnrollment.stringMember(answer, "certificate"));
        assertNull(HostEnrollment.stringMember(answer, "caPem"));
        assertNull(HostEnrollment.stringMember(answer, "id"), "only top-level members");
        assertNull(HostEnrollment.stringMember(answer, "missing"));
        assertEquals("only host owners enroll hosts",
                HostEnrollment.stringMember("{\"error\":\"only host owners enroll hosts\",\"status\":403}", "error"));
        assertNull(HostEnrollment.stringMember("[]", "error"));
        assertThrows(IllegalArgumentException.class, () -> HostEnrollment.stringMember("{\"error\": \"cut", "error"));
    }

    @Test
    void launchSettingsAreCheckedBeforeAnyKeyIsMade() throws Exception {
        Path ca = Files.writeString(temp.resolve("root.pem"), "x");
        assertNull(ServerEnrollment.configurationProblem("https://127.0.0.1:8443/", "isos_t", ca.toString()));
        assertTrue(ServerEnrollment.configurationProblem("http://127.0.0.1:8443/", "isos_t", ca.toString())
                .contains("https"));
        assertTrue(ServerEnrollment.configurationProblem("https://127.0.0.1/", null, ca.toString())
                .contains("isos.owner.token"));
        assertTrue(ServerEnrollment.configurationProblem("https://127.0.0.1/", "isos_t", null)
                .contains("out of band"));
        assertTrue(ServerEnrollment.configurationProblem("https://127.0.0.1/", "isos_t", temp.resolve("nope").toString())
                .contains("cannot be read"));
    }

    @Test
    void anEnrolledHostPointsTheKernelAtItsIdentity() throws Exception {
        KeyPair caKey = HostEnrollment.newKey();
        X509Certificate root = certificate("CN=Test Root,O=ISOS", caKey.getPublic(), "CN=Test Root,O=ISOS", caKey.getPrivate(), true);
        KeyPair key = HostEnrollment.newKey();
        String hostId = HostEnrollment.hostIdOf(key.getPublic());
        X509Certificate leaf = certificate("CN=" + hostId, key.getPublic(), "CN=Test Root,O=ISOS", caKey.getPrivate(), false);
        Path agent = Files.createDirectories(temp.resolve("data").resolve("agent"));
        HostEnrollment.writeIdentity(agent.resolve("identity.p12"), "pw".toCharArray(), key, hostId, List.of(leaf, root),
                List.of(root));
        Path ca = Files.writeString(temp.resolve("root.pem"), pem(root));

        AtomicReference<Dictionary<String, Object>> stored = new AtomicReference<>(new Hashtable<>(Map.of("workers", 2)));
        Map<String, String> launch = Map.of("isos.data", temp.resolve("data").toString(), "isos.server.url",
                "https://127.0.0.1:1/", "isos.server.ca", ca.toString(), "isos.identity.password", "pw");
        ServerEnrollment enrollment = new ServerEnrollment(context(launch), configAdmin(stored));
        try {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (stored.get().get("identityKeyStore") == null && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        } finally {
            enrollment.deactivate();
        }
        Dictionary<String, Object> kernel = stored.get();
        assertEquals(agent.resolve("identity.p12").toAbsolutePath().toString(), kernel.get("identityKeyStore"));
        assertEquals("pw", kernel.get("identityPassword"));
        assertEquals(agent.resolve("ca.pem").toAbsolutePath().toString(), kernel.get("trustAnchors"));
        assertEquals(2, kernel.get("workers"), "other settings are kept");
        assertEquals(pem(root), Files.readString(agent.resolve("ca.pem")), "the CA copied next to the identity");
        assertEquals("ENROLLED", ServerEnrollment.state());
        String status = Files.readString(agent.resolve("enrollment.properties"));
        assertTrue(status.contains("enrollment=ENROLLED") && status.contains("hostId=" + hostId), status);
    }

    @Test
    void anUnreachableServerIsRetriedAndNothingIsWritten() throws Exception {
        KeyPair caKey = HostEnrollment.newKey();
        X509Certificate root = certificate("CN=Test Root,O=ISOS", caKey.getPublic(), "CN=Test Root,O=ISOS", caKey.getPrivate(), true);
        Path ca = Files.writeString(temp.resolve("root.pem"), pem(root));
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        AtomicReference<Dictionary<String, Object>> stored = new AtomicReference<>();
        Map<String, String> launch = Map.of("isos.data", temp.resolve("data").toString(), "isos.server.url",
                "https://127.0.0.1:" + closed + "/", "isos.owner.token", "isos_x", "isos.server.ca", ca.toString());
        ServerEnrollment enrollment = new ServerEnrollment(context(launch), configAdmin(stored));
        Path state = temp.resolve("data").resolve("agent").resolve("enrollment.properties");
        try {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!(Files.exists(state) && Files.readString(state).contains("enrollment=RETRYING"))
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        } finally {
            enrollment.deactivate();
        }
        assertTrue(Files.readString(state).contains("enrollment=RETRYING"), Files.readString(state));
        assertFalse(Files.exists(temp.resolve("data").resolve("agent").resolve("identity.p12")));
        assertNull(stored.get(), "the kernel is left alone");
    }

    // --- helpers ---

    private static X509Certificate certificate(String subject, PublicKey key, String issuer, PrivateKey issuerKey,
            boolean ca) throws Exception {
        long now = System.currentTimeMillis();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer),
                BigInteger.valueOf(now).add(BigInteger.valueOf(System.nanoTime() & 0xffff)), new Date(now - 60_000),
                new Date(now + 86_400_000L), new X500Name(subject), key);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    }

    private static String pem(X509Certificate certificate) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(certificate);
        }
        return out.toString();
    }

    private static BundleContext context(Map<String, String> properties) {
        return (BundleContext) Proxy.newProxyInstance(HostEnrollmentTest.class.getClassLoader(),
                new Class<?>[] { BundleContext.class }, (p, m, a) -> {
                    if (m.getName().equals("getProperty")) {
                        return properties.get(a[0]);
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    @SuppressWarnings("unchecked")
    private static ConfigurationAdmin configAdmin(AtomicReference<Dictionary<String, Object>> stored) {
        Configuration kernel = (Configuration) Proxy.newProxyInstance(HostEnrollmentTest.class.getClassLoader(),
                new Class<?>[] { Configuration.class }, (p, m, a) -> switch (m.getName()) {
                    case "getProperties" -> stored.get() == null ? null : copy(stored.get());
                    case "update" -> {
                        stored.set(copy((Dictionary<String, Object>) a[0]));
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        return (ConfigurationAdmin) Proxy.newProxyInstance(HostEnrollmentTest.class.getClassLoader(),
                new Class<?>[] { ConfigurationAdmin.class }, (p, m, a) -> {
                    if (m.getName().equals("getConfiguration") && "org.isos.kernel".equals(a[0]) && "?".equals(a[1])) {
                        return kernel;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    private static Dictionary<String, Object> copy(Dictionary<String, Object> d) {
        Hashtable<String, Object> out = new Hashtable<>();
        for (String k : java.util.Collections.list(d.keys())) {
            out.put(k, d.get(k));
        }
        return out;
    }
}
