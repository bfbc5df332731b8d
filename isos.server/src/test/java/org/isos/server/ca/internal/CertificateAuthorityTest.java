package org.isos.server.ca.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.isos.admission.AdmissionPolicy;
import org.isos.admission.AdmissionRefused;
import org.isos.admission.AdmittedBundle;
import org.isos.admission.BundleAdmission;
import org.isos.admission.Rule;
import org.isos.server.TestConfigs;
import org.isos.server.ca.CertificateKind;
import org.isos.server.ca.CertificateRecord;
import org.isos.server.ca.CertificateRefused;
import org.isos.server.ca.IssuedCertificate;
import org.isos.server.ca.Revocation;
import org.isos.server.ca.TlsCredentials;
import org.isos.server.internal.ServerHome;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;
import org.isos.testkit.TestJars;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CA over a real H2 file store in a temporary data directory. */
class CertificateAuthorityTest {

    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String CODE_SIGNING = "1.3.6.1.5.5.7.3.3";

    @TempDir
    Path data;
    private ServerHome home;
    private JdbcStore store;
    private BouncyCastleAuthority ca;

    @BeforeEach
    void start() throws Exception {
        home = new ServerHome(data);
        store = new JdbcStore(TestConfigs.of(StoreConfig.class, Map.of()), home);
        ca = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()), home, store);
    }

    @AfterEach
    void stop() {
        store.close();
    }

    @Test
    void theRootIsMadeOnceKeptAndRecorded() throws Exception {
        X509Certificate root = ca.root();
        root.verify(root.getPublicKey());
        assertEquals(0, root.getBasicConstraints(), "a CA that issues only leaves");
        assertTrue(root.getKeyUsage()[5], "keyCertSign");
        assertEquals("EC", root.getPublicKey().getAlgorithm());
        assertTrue(Files.exists(data.resolve("ca/ca.p12")));
        X509Certificate fromPem = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(Files.readAllBytes(data.resolve("ca/root.pem"))));
        assertEquals(root, fromPem);
        assertEquals(ca.rootPem(), Files.readString(data.resolve("ca/root.pem")));

        BouncyCastleAuthority restarted = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()), home, store);
        assertEquals(root, restarted.root(), "the same root after a restart");
        assertEquals(1, count("SELECT COUNT(*) FROM certificates WHERE kind = 'root'"));
        CertificateRecord record = ca.record(root.getSerialNumber().toString(16)).orElseThrow();
        assertEquals(CertificateKind.ROOT, record.kind());
        assertEquals("ISOS Root CA", record.commonName());

        IllegalStateException wrongPassword = assertThrows(IllegalStateException.class, () -> {
            try {
                new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of("keyStorePassword", "nope")), home, store);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e.getMessage());
            }
        });
        assertTrue(wrongPassword.getMessage().contains("wrong keyStorePassword"), wrongPassword.getMessage());
    }

    @Test
    void aHostCertificateFromACsrChainsToTheRootWithTheHostIdAndTlsUsages() throws Exception {
        KeyPair host = ecKeys();
        IssuedCertificate issued = ca.issueHostCertificate("host-42", pem(csr("CN=host-42", host)));
        X509Certificate cert = issued.certificate();

        assertEquals(CertificateKind.HOST, issued.kind());
        assertEquals(List.of(cert, ca.root()), issued.chain());
        assertEquals(host.getPublic(), cert.getPublicKey());
        assertEquals("host-42", commonName(cert), "the kernel's host id is the certificate's CN");
        assertEquals(List.of(SERVER_AUTH, CLIENT_AUTH), cert.getExtendedKeyUsage());
        assertEquals(-1, cert.getBasicConstraints(), "not a CA");
        assertTrue(cert.getKeyUsage()[0], "digitalSignature");
        pkix(cert);

        // what the kernel does with it: a PKCS12 identity (key + chain) it can load, and TLS trust both ways
        KeyStore identity = KeyStore.getInstance("PKCS12");
        identity.load(null, null);
        identity.setKeyEntry("host", host.getPrivate(), "pw".toCharArray(), issued.chain().toArray(new X509Certificate[0]));
        ByteArrayOutputStream p12 = new ByteArrayOutputStream();
        identity.store(p12, "pw".toCharArray());
        KeyStore reloaded = KeyStore.getInstance("PKCS12");
        reloaded.load(new ByteArrayInputStream(p12.toByteArray()), "pw".toCharArray());
        assertEquals("host-42", commonName((X509Certificate) reloaded.getCertificateChain("host")[0]));
        X509TrustManager tls = trustManager();
        X509Certificate[] chain = issued.chain().toArray(new X509Certificate[0]);
        tls.checkServerTrusted(chain, "ECDHE_ECDSA");
        tls.checkClientTrusted(chain, "ECDHE_ECDSA");

        CertificateRecord record = ca.record(issued.serial()).orElseThrow();
        assertEquals(CertificateKind.HOST, record.kind());
        assertEquals("host-42", record.commonName());
        assertEquals(cert.getNotAfter().toInstant(), record.expires());
        assertFalse(record.revoked());
    }

    @Test
    void aDerRequestWorksAndRsaKeysToo() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        KeyPair keys = rsa.generateKeyPair();
        IssuedCertificate issued = ca.issueHostCertificate("host-rsa", csr("CN=host-rsa,O=Mary", keys).getEncoded());
        assertEquals("host-rsa", commonName(issued.certificate()));
        pkix(issued.certificate());
    }

    @Test
    void requestsForAnotherNameForgedOrWeakAreRefusedWithTheReason() throws Exception {
        KeyPair keys = ecKeys();
        int before = count("SELECT COUNT(*) FROM certificates");

        CertificateRefused wrongCn = assertThrows(CertificateRefused.class,
                () -> ca.issueHostCertificate("host-1", pem(csr("CN=host-2", keys))));
        assertEquals("the certificate request is for CN=host-2 but the host id assigned by the server is host-1; "
                + "make the request with CN=host-1", wrongCn.getMessage());

        CertificateRefused noCn = assertThrows(CertificateRefused.class,
                () -> ca.issueHostCertificate("host-1", pem(csr("O=ISOS", keys))));
        assertTrue(noCn.getMessage().contains("has no CN"), noCn.getMessage());

        CertificateRefused twoCns = assertThrows(CertificateRefused.class,
                () -> ca.issueHostCertificate("host-1", pem(csr("CN=host-1,CN=host-2", keys))));
        assertTrue(twoCns.getMessage().contains("more than one CN"), twoCns.getMessage());

        // the request carries one key but is signed with another: no proof of possession
        KeyPair other = ecKeys();
        PKCS10CertificationRequest forged = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=host-1"),
                keys.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(other.getPrivate()));
        CertificateRefused badSignature = assertThrows(CertificateRefused.class,
                () -> ca.issueHostCertificate("host-1", forged.getEncoded()));
        assertTrue(badSignature.getMessage().contains("signature does not verify"), badSignature.getMessage());

        // a request altered after signing
        byte[] altered = csr("CN=host-1", keys).getEncoded();
        altered[altered.length - 20] ^= 0x01;
        CertificateRefused tampered = assertThrows(CertificateRefused.class,
                () -> ca.issueHostCertificate("host-1", altered));
        assertTrue(tampered.getMessage().contains("signature"), tampered.getMessage());

        CertificateRefused garbage = assertThrows(CertificateRefused.class,
                () -> ca.issueHostCertificate("host-1", "hello".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(garbage.getMessage().startsWith("the certificate request is not a PKCS#10 request"), garbage.getMessage());

        CertificateRefused certificateNotRequest = assertThrows(CertificateRefused.class,
                () -> ca.issueHostCertificate("host-1", ca.rootPem().getBytes(StandardCharsets.US_ASCII)));
        assertTrue(certificateNotRequest.getMessage().contains("not a PKCS#10 certificate request"),
                certificateNotRequest.getMessage());

        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(1024);
        CertificateRefused weak = assertThrows(CertificateRefused.class,
                () -> ca.issueHostCertificate("host-1", csr("CN=host-1", rsa.generateKeyPair()).getEncoded()));
        assertEquals("the RSA key has 1024 bits; at least 2048 are required", weak.getMessage());

        CertificateRefused badId = assertThrows(CertificateRefused.class,
                () -> ca.issueHostCertificate("host-1,O=Evil", pem(csr("CN=host-1", keys))));
        assertTrue(badId.getMessage().contains("is not a valid host id"), badId.getMessage());

        assertThrows(CertificateRefused.class, () -> ca.issueHostCertificate("host-1", new byte[0]));
        assertThrows(CertificateRefused.class, () -> ca.issueHostCertificate("host-1", new byte[20_000]));

        assertEquals(before, count("SELECT COUNT(*) FROM certificates"), "nothing refused was recorded");
    }

    @Test
    void aBuyerCertificateSignsJarsThatTheAdmissionRulesAccept() throws Exception {
        KeyPair buyer = ecKeys();
        IssuedCertificate issued = ca.issueBuyerCertificate("buyer-acme", pem(csr("CN=buyer-acme", buyer)));
        X509Certificate cert = issued.certificate();
        assertEquals(List.of(CODE_SIGNING), cert.getExtendedKeyUsage());
        assertEquals("buyer-acme", commonName(cert));
        assertEquals(CertificateKind.BUYER, ca.record(issued.serial()).orElseThrow().kind());
        pkix(cert);

        BundleAdmission admission = new BundleAdmission(AdmissionPolicy.defaults(), List.of(ca.root()));
        byte[] bundle = bundle();
        // signed like the JDK's jarsigner, with the chain as `./isos keys new` will keep it (leaf and root)
        AdmittedBundle admitted = admission.admit(TestJars.sign(bundle, buyer.getPrivate(), issued.chain()), null,
                "buyer-acme");
        assertEquals("buyer-acme", admitted.buyer());

        // a host certificate is not for signing code
        KeyPair host = ecKeys();
        IssuedCertificate hostCert = ca.issueHostCertificate("host-7", pem(csr("CN=host-7", host)));
        AdmissionRefused refused = assertThrows(AdmissionRefused.class,
                () -> admission.admit(TestJars.sign(bundle, host.getPrivate(), hostCert.chain()), null, null));
        assertEquals(Rule.UNTRUSTED_SIGNER, refused.rule());
        assertTrue(refused.getMessage().contains("not a code-signing certificate"), refused.getMessage());
    }

    @Test
    void theServersTlsCredentialsAreKeptAndRenewedWhenTheNamesChange() throws Exception {
        TlsCredentials first = ca.serverCredentials(List.of("localhost", "127.0.0.1"));
        X509Certificate leaf = first.chain().get(0);
        assertEquals("localhost", commonName(leaf));
        assertEquals(List.of(SERVER_AUTH), leaf.getExtendedKeyUsage());
        List<Object> names = new ArrayList<>();
        leaf.getSubjectAlternativeNames().forEach(n -> names.add(n.get(1)));
        assertEquals(List.of("localhost", "127.0.0.1"), names);
        trustManager().checkServerTrusted(first.chain().toArray(new X509Certificate[0]), "ECDHE_ECDSA");
        assertEquals(CertificateKind.SERVER, ca.record(leaf.getSerialNumber().toString(16)).orElseThrow().kind());

        BouncyCastleAuthority restarted = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()), home, store);
        TlsCredentials again = restarted.serverCredentials(List.of("localhost", "127.0.0.1"));
        assertEquals(leaf, again.chain().get(0), "kept in the data directory and reused");
        assertEquals(first.key(), again.key());

        TlsCredentials renamed = restarted.serverCredentials(List.of("isos.example", "127.0.0.1"));
        assertNotEquals(leaf.getSerialNumber(), renamed.chain().get(0).getSerialNumber());
        assertEquals("isos.example", commonName(renamed.chain().get(0)));

        assertThrows(CertificateRefused.class, () -> ca.serverCredentials(List.of()));
        assertThrows(CertificateRefused.class, () -> ca.serverCredentials(List.of("bad name/with slash")));
    }

    @Test
    void revocationsAreRecordedOnceAndListedSinceATime() throws Exception {
        Instant start = Instant.now().minusMillis(1);
        IssuedCertificate a = ca.issueHostCertificate("host-a", pem(csr("CN=host-a", ecKeys())));
        IssuedCertificate b = ca.issueBuyerCertificate("buyer-b", pem(csr("CN=buyer-b", ecKeys())));
        IssuedCertificate c = ca.issueHostCertificate("host-c", pem(csr("CN=host-c", ecKeys())));
        assertEquals(List.of(), ca.revokedSince(start));

        assertTrue(ca.revoke(a.serial(), "host retired by its owner"));
        Thread.sleep(5);
        Instant between = Instant.now();
        Thread.sleep(5);
        assertTrue(ca.revoke("0x" + b.serial().toUpperCase(), "key compromised"));
        assertFalse(ca.revoke(a.serial(), "again"), "the first revocation stands");

        List<Revocation> all = ca.revokedSince(start);
        assertEquals(List.of(a.serial(), b.serial()), all.stream().map(Revocation::serial).toList());
        Revocation first = all.get(0);
        assertEquals("host-a", first.commonName());
        assertEquals(CertificateKind.HOST, first.kind());
        assertEquals("host retired by its owner", first.reason());
        assertEquals(List.of(b.serial()), ca.revokedSince(between).stream().map(Revocation::serial).toList());
        assertEquals(List.of(), ca.revokedSince(Instant.now().plus(1, ChronoUnit.MINUTES)));

        CertificateRecord record = ca.record(a.serial()).orElseThrow();
        assertTrue(record.revoked());
        assertEquals(first.revokedAt(), record.revokedAt());
        assertFalse(ca.record(c.serial()).orElseThrow().revoked());

        CertificateRefused unknown = assertThrows(CertificateRefused.class, () -> ca.revoke("abc123", "?"));
        assertEquals("no certificate with serial abc123 was issued by this CA", unknown.getMessage());
        CertificateRefused root = assertThrows(CertificateRefused.class,
                () -> ca.revoke(ca.root().getSerialNumber().toString(16), "?"));
        assertTrue(root.getMessage().contains("root certificate cannot be revoked"), root.getMessage());
        assertThrows(CertificateRefused.class, () -> ca.revoke("not hex!", "?"));
    }

    /**
     * Records and revocations are answered from memory: a revocation made here is refused here at once; one made
     * by another instance over the same database (a second authority on the same store) once the list is read
     * again, although this instance had the certificate's record cached as not revoked.
     */
    @Test
    void revocationsReachTheCachesAtOnceHereAndAfterTheRefreshElsewhere() throws Exception {
        Instant start = Instant.now().minusMillis(1);
        BouncyCastleAuthority other = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class,
                Map.of("revocationRefreshMillis", 200)), home, store);
        IssuedCertificate a = ca.issueHostCertificate("host-a", pem(csr("CN=host-a", ecKeys())));
        IssuedCertificate b = other.issueHostCertificate("host-b", pem(csr("CN=host-b", ecKeys())));
        for (BouncyCastleAuthority each : List.of(ca, other)) { // records cached, lists loaded
            assertFalse(each.record(a.serial()).orElseThrow().revoked());
            assertFalse(each.record(b.serial()).orElseThrow().revoked());
            assertEquals(List.of(), each.revokedSince(start));
        }

        assertTrue(ca.revoke(a.serial(), "key compromised"));
        assertTrue(ca.record(a.serial()).orElseThrow().revoked(), "refused here at once");
        assertEquals("key compromised", ca.record(a.serial()).orElseThrow().revocationReason());
        assertEquals(List.of(a.serial()), ca.revokedSince(start).stream().map(Revocation::serial).toList());
        assertFalse(ca.record(b.serial()).orElseThrow().revoked());

        Thread.sleep(300);
        assertTrue(other.record(a.serial()).orElseThrow().revoked(), "the other instance after its refresh");
        assertEquals(List.of(a.serial()), other.revokedSince(start).stream().map(Revocation::serial).toList());
        assertTrue(other.revoke(b.serial(), "retired"));
        assertTrue(other.record(b.serial()).orElseThrow().revoked());
        assertFalse(ca.revoke(b.serial(), "again"), "the store holds the first revocation");
        assertEquals(List.of(a.serial(), b.serial()),
                other.revokedSince(start).stream().map(Revocation::serial).toList());
    }

    @Test
    void issuingJoinsTheCallersTransaction() throws Exception {
        byte[] request = pem(csr("CN=host-tx", ecKeys()));
        assertThrows(IllegalStateException.class, () -> store.transaction(tx -> {
            try {
                ca.issueHostCertificate("host-tx", request);
            } catch (CertificateRefused e) {
                throw new AssertionError(e);
            }
            throw new IllegalStateException("enrollment failed after the certificate was made");
        }));
        assertEquals(0, count("SELECT COUNT(*) FROM certificates WHERE common_name = 'host-tx'"),
                "the record rolled back with the enrollment");
    }

    // ------------------------------------------------------------------ helpers

    private void pkix(X509Certificate leaf) throws Exception {
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(ca.root(), null)));
        parameters.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX")
                .validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), parameters);
    }

    private X509TrustManager trustManager() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("isos-root", ca.root());
        TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        factory.init(trust);
        return (X509TrustManager) factory.getTrustManagers()[0];
    }

    private static KeyPair ecKeys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static PKCS10CertificationRequest csr(String subject, KeyPair keys) throws Exception {
        String algorithm = keys.getPrivate().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        return new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), keys.getPublic())
                .build(new JcaContentSignerBuilder(algorithm).build(keys.getPrivate()));
    }

    private static byte[] pem(PKCS10CertificationRequest request) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(request);
        }
        return out.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static String commonName(X509Certificate certificate) throws Exception {
        List<String> names = new ArrayList<>();
        for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
            if (rdn.getType().equalsIgnoreCase("CN")) {
                names.add(rdn.getValue().toString());
            }
        }
        assertEquals(1, names.size(), "exactly one CN");
        return names.get(0);
    }

    private static byte[] bundle() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Bundle-ManifestVersion", "2");
        headers.put("Bundle-SymbolicName", "org.acme.hello");
        headers.put("Bundle-Version", "1.0.0");
        return TestJars.jar(headers, Map.of("org/acme/hello/readme.txt", "hello".getBytes(StandardCharsets.UTF_8)));
    }

    private int count(String sql) throws SQLException {
        try (Connection c = store.connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
