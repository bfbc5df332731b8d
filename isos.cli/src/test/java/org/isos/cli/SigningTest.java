package org.isos.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.isos.admission.AdmissionPolicy;
import org.isos.admission.AdmissionRefused;
import org.isos.admission.AdmittedBundle;
import org.isos.admission.BundleAdmission;
import org.isos.admission.Rule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Keys and signatures: what {@code sign} makes passes the JDK's {@code jarsigner -verify} and ISOS
 * admission (the test PKI's CA as the only anchor); what {@code keys new} stores is a key store the
 * JDK's {@code jarsigner} signs with; the certificate request carries the account id and the key.
 */
class SigningTest {

    private static final Path PKI = Path.of(System.getProperty("isos.root", "..")).resolve("cnf/test-pki");
    private static final Path ECHO = Path.of(System.getProperty("isos.test.apps", "target/test-apps")).resolve("echo.jar");
    private static final String JARSIGNER = Path.of(System.getProperty("java.home"), "bin", "jarsigner").toString();

    private static X509Certificate testCa;

    @TempDir
    Path temp;

    @BeforeAll
    static void testPki() throws Exception {
        assertTrue(Files.isRegularFile(ECHO), "the echo test app at " + ECHO);
        try (InputStream in = Files.newInputStream(PKI.resolve("ca.pem"))) {
            testCa = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    @Test
    void aJarSignedBySignPassesJarsignerAndAdmission() throws Exception {
        Path unsigned = temp.resolve("echo-unsigned.jar");
        BundleSigner.writeUnsigned(ECHO, unsigned);
        assertTrue(BundleSigner.signatureFiles(unsigned).isEmpty());
        assertAdmissionRefuses(unsigned, Rule.UNSIGNED);

        Path signed = temp.resolve("out/echo-signed.jar");
        CliRun run = CliRun.run("sign", unsigned.toString(), "--key", PKI.resolve("buyer-a.p12").toString(), "--password",
                "isos-test", "-o", signed.toString());
        assertEquals(0, run.exit(), run::toString);
        assertTrue(run.out().contains("signed " + signed + " as CN=buyer-a,OU=buyer,O=ISOS"), run::toString);
        assertEquals(List.of("META-INF/ISOS.SF", "META-INF/ISOS.EC"), BundleSigner.signatureFiles(signed));

        assertJarsignerVerifies(signed);
        AdmittedBundle admitted = admission().admit(Files.readAllBytes(signed), null, "buyer-a");
        assertEquals("buyer-a", admitted.buyer());
        assertEquals("isos.testapp.echo", admitted.symbolicName());
        assertEquals(BundleAdmission.sha256Hex(Files.readAllBytes(signed)), admitted.sha256Hex());
    }

    @Test
    void aSignedJarIsReSignedOnlyWhenAsked() throws Exception {
        Path out = temp.resolve("again.jar");
        CliRun refused = CliRun.run("sign", ECHO.toString(), "--key", PKI.resolve("buyer-b.p12").toString(), "--password",
                "isos-test", "-o", out.toString());
        assertEquals(1, refused.exit(), refused::toString);
        assertTrue(refused.err().startsWith("isos sign: " + ECHO + " is signed already (META-INF/"), refused::toString);
        assertTrue(refused.err().contains("--replace-signatures"), refused::toString);
        assertFalse(Files.exists(out));

        CliRun replaced = CliRun.run("sign", ECHO.toString(), "--key", PKI.resolve("buyer-b.p12").toString(), "--password",
                "isos-test", "-o", out.toString(), "--replace-signatures");
        assertEquals(0, replaced.exit(), replaced::toString);
        assertEquals(2, BundleSigner.signatureFiles(out).size(), "one signer: buyer-a's signature is gone");
        assertJarsignerVerifies(out);
        assertEquals("buyer-b", admission().admit(Files.readAllBytes(out), null, null).buyer());
        AdmissionRefused other = assertThrows(AdmissionRefused.class,
                () -> admission().admit(Files.readAllBytes(out), null, "buyer-a"));
        assertEquals(Rule.WRONG_BUYER, other.rule(), other.getMessage());
    }

    @Test
    void aStoredKeyIsOneTheJdksJarsignerSignsWith() throws Exception {
        // what `keys new` stores: key + chain as PKCS#12, alias = the name, the default password
        SigningKey buyerA = SigningKey.load(PKI.resolve("buyer-a.p12"), "buyer-a", "isos-test".toCharArray());
        Path home = temp.resolve("home");
        new SigningKey("mine", buyerA.privateKey(), buyerA.chain()).store(home.resolve("mine.p12"), "isos-key".toCharArray());
        assertEquals(List.of("rw-------"), List.of(java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(home.resolve("mine.p12")))));

        Path unsigned = temp.resolve("unsigned.jar");
        BundleSigner.writeUnsigned(ECHO, unsigned);
        Path byJdk = temp.resolve("by-jdk.jar");
        Result signing = exec(JARSIGNER, "-keystore", home.resolve("mine.p12").toString(), "-storetype", "PKCS12",
                "-storepass", "isos-key", "-digestalg", "SHA-256", "-signedjar", byJdk.toString(), unsigned.toString(), "mine");
        assertEquals(0, signing.exit(), signing.output());
        assertJarsignerVerifies(byJdk);
        assertEquals("buyer-a", admission().admit(Files.readAllBytes(byJdk), null, "buyer-a").buyer());

        // and `sign --key NAME` finds it in the home, with the default password
        Path byIsos = temp.resolve("by-isos.jar");
        CliRun run = CliRun.run(Map.of("ISOS_HOME", home.toString()), "sign", unsigned.toString(), "--key", "mine", "-o",
                byIsos.toString());
        assertEquals(0, run.exit(), run::toString);
        assertEquals("buyer-a", admission().admit(Files.readAllBytes(byIsos), null, "buyer-a").buyer());

        CliRun wrongPassword = CliRun.run(Map.of("ISOS_HOME", home.toString(), "ISOS_KEY_PASSWORD", "not-it"), "sign",
                unsigned.toString(), "--key", "mine", "-o", temp.resolve("x.jar").toString());
        assertEquals(1, wrongPassword.exit(), wrongPassword::toString);
        assertTrue(wrongPassword.err().startsWith("isos sign: cannot open the key store"), wrongPassword::toString);

        CliRun noKey = CliRun.run(Map.of("ISOS_HOME", home.toString()), "sign", unsigned.toString(), "--key", "other", "-o",
                temp.resolve("x.jar").toString());
        assertEquals(1, noKey.exit(), noKey::toString);
        assertTrue(noKey.err().contains("make one with `isos keys new other`"), noKey::toString);

        CliRun notAJar = CliRun.run(Map.of("ISOS_HOME", home.toString()), "sign", PKI.resolve("ca.pem").toString(), "--key",
                "mine", "-o", temp.resolve("x.jar").toString());
        assertEquals(1, notAJar.exit(), notAJar::toString);
        assertTrue(notAJar.err().contains("is not a jar"), notAJar::toString);
    }

    @Test
    void theCertificateRequestNamesTheAccountAndCarriesTheKey() throws Exception {
        KeyPair keys = SigningKey.newKeyPair();
        assertEquals(256, ((ECPublicKey) keys.getPublic()).getParams().getCurve().getField().getFieldSize());
        String pem = SigningKey.certificateRequest(keys, "buyer-0123456789abcdef0123456789abcdef");
        assertTrue(pem.startsWith("-----BEGIN CERTIFICATE REQUEST-----"), pem);
        PKCS10CertificationRequest csr;
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            csr = (PKCS10CertificationRequest) parser.readObject();
        }
        assertEquals("CN=buyer-0123456789abcdef0123456789abcdef", csr.getSubject().toString());
        assertEquals(keys.getPublic(), new JcaPKCS10CertificationRequest(csr).getPublicKey());
        assertTrue(csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(keys.getPublic())),
                "signed with the key it carries");
        assertEquals("1.2.840.10045.4.3.2", csr.getSignatureAlgorithm().getAlgorithm().getId(), "SHA256withECDSA");

        assertThrows(IllegalArgumentException.class, () -> SigningKey.certificateRequest(keys, "CN=x,O=evil"));
        assertThrows(IllegalArgumentException.class, () -> SigningKey.certificateRequest(keys, ""));
    }

    @Test
    void theIssuedChainIsReadInEitherShape() throws Exception {
        SigningKey buyerA = SigningKey.load(PKI.resolve("buyer-a.p12"), null, "isos-test".toCharArray());
        X509Certificate leaf = buyerA.certificate();
        String leafPem = pem(leaf);
        String caPem = pem(testCa);

        ObjectNode asText = ServerConnection.object().put("certificate", leafPem).put("chain", leafPem + caPem)
                .put("caPem", caPem);
        assertEquals(List.of(leaf, testCa), SigningKey.chainFrom(asText));
        ObjectNode asList = ServerConnection.object().put("certificate", leafPem).put("caPem", caPem);
        asList.putArray("chain").add(caPem);
        assertEquals(List.of(leaf, testCa), SigningKey.chainFrom(asList));
        ObjectNode leafOnly = ServerConnection.object().put("certificate", leafPem).put("caPem", caPem);
        assertEquals(List.of(leaf, testCa), SigningKey.chainFrom(leafOnly));
        assertThrows(CliFailure.class, () -> SigningKey.chainFrom(ServerConnection.object().put("caPem", caPem)));
        assertThrows(CliFailure.class, () -> SigningKey.chainFrom(ServerConnection.object().put("certificate", "junk")));
    }

    // ------------------------------------------------------------------ helpers

    private static BundleAdmission admission() {
        return new BundleAdmission(AdmissionPolicy.defaults(), List.of(testCa));
    }

    private static void assertAdmissionRefuses(Path jar, Rule rule) throws IOException {
        AdmissionRefused refused = assertThrows(AdmissionRefused.class, () -> admission().admit(Files.readAllBytes(jar), null, null));
        assertEquals(rule, refused.rule(), refused.getMessage());
    }

    private static void assertJarsignerVerifies(Path jar) throws Exception {
        Result verify = exec(JARSIGNER, "-verify", "-verbose", "-certs", jar.toString());
        assertEquals(0, verify.exit(), verify.output());
        assertTrue(verify.output().contains("jar verified."), verify.output());
        assertFalse(verify.output().contains("unsigned entries"), verify.output());
    }

    private record Result(int exit, String output) {
    }

    private static Result exec(String... command) throws Exception {
        Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), output);
    }

    private static String pem(X509Certificate c) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(c.getEncoded()) + "\n-----END CERTIFICATE-----\n";
    }
}
