package org.isos.admission;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

import javax.security.auth.x500.X500Principal;

import jdk.security.jarsigner.JarSigner;

import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.isos.testkit.TestClasses;
import org.isos.testkit.TestJars;

/**
 * Builds what admission tests need, from scratch and in memory: an ISOS test PKI, app bundles with
 * generated classes, and signatures made the way buyers make them. Nothing here depends on the
 * admission code under test; the jar and class tooling itself is the shared test kit's
 * ({@link TestJars}, {@link TestClasses}).
 *
 * <pre>{@code
 * TestBundles.Pki pki = TestBundles.pki();
 * byte[] unsigned = TestBundles.bundle("org.acme.app")
 *         .header("Import-Package", "org.isos.kernel.api")
 *         .add(TestClasses.appClass("org/acme/App", run -> TestClasses.call(run, Opcodes.INVOKESTATIC,
 *                 "java/lang/Math", "max", "(II)I")))
 *         .build();
 * byte[] signed = TestBundles.sign(unsigned, pki.buyerA());
 * new BundleAdmission(AdmissionPolicy.defaults(), List.of(pki.root())).admit(signed, null, "buyer-a");
 * }</pre>
 */
public final class TestBundles {

    private TestBundles() {
    }

    // ---------------------------------------------------------------- the test PKI

    /** A signing identity: its key and its chain, leaf first (the root not included). */
    public record Signer(String name, PrivateKey key, List<X509Certificate> chain) {
        public X509Certificate certificate() {
            return chain.get(0);
        }
    }

    /**
     * The ISOS test PKI: root CA → "ISOS buyers CA" → buyer code-signing certificates, plus an
     * unrelated CA issuing a look-alike "buyer-a", and buyer certificates that are wrong in one way each.
     */
    public record Pki(X509Certificate root, Signer buyerA, Signer buyerB, X509Certificate untrustedRoot,
            Signer untrustedBuyerA, Signer expiredBuyer, Signer serverAuthBuyer) {
    }

    private static final class PkiHolder {
        static final Pki PKI = createPki();
    }

    /** The shared test PKI (made once per JVM: key generation is the slow part). */
    public static Pki pki() {
        return PkiHolder.PKI;
    }

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
    private static final String EC_SIGNATURE = "SHA256withECDSA";

    private static Pki createPki() {
        try {
            Instant now = Instant.now();
            Instant from = now.minus(Duration.ofDays(1));
            Instant until = now.plus(Duration.ofDays(365));

            KeyPair rootKeys = ecKeys();
            X509Certificate root = certificate("CN=ISOS Test Root CA,O=ISOS", rootKeys, null, rootKeys.getPrivate(),
                    from, until, Role.CA);
            KeyPair buyersCaKeys = ecKeys();
            X509Certificate buyersCa = certificate("CN=ISOS Buyers CA,O=ISOS", buyersCaKeys, root,
                    rootKeys.getPrivate(), from, until, Role.CA);

            Signer buyerA = buyer("buyer-a", buyersCa, buyersCaKeys.getPrivate(), from, until, Role.CODE_SIGNING);
            Signer buyerB = buyer("buyer-b", buyersCa, buyersCaKeys.getPrivate(), from, until, Role.CODE_SIGNING);
            Signer expired = buyer("buyer-a", buyersCa, buyersCaKeys.getPrivate(), now.minus(Duration.ofDays(30)),
                    now.minus(Duration.ofDays(1)), Role.CODE_SIGNING);
            Signer serverAuth = buyer("buyer-a", buyersCa, buyersCaKeys.getPrivate(), from, until, Role.SERVER_AUTH);

            KeyPair otherRootKeys = ecKeys();
            X509Certificate otherRoot = certificate("CN=Someone Else's CA", otherRootKeys, null,
                    otherRootKeys.getPrivate(), from, until, Role.CA);
            Signer lookAlike = buyer("buyer-a", otherRoot, otherRootKeys.getPrivate(), from, until, Role.CODE_SIGNING);

            return new Pki(root, buyerA, buyerB, otherRoot, lookAlike, expired, serverAuth);
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException("cannot create the test PKI", e);
        }
    }

    private enum Role {
        CA, CODE_SIGNING, SERVER_AUTH
    }

    private static Signer buyer(String cn, X509Certificate issuer, PrivateKey issuerKey, Instant from, Instant until,
            Role role) throws GeneralSecurityException, IOException, org.bouncycastle.operator.OperatorCreationException {
        KeyPair keys = ecKeys();
        X509Certificate leaf = certificate("CN=" + cn + ",O=ISOS buyers", keys, issuer, issuerKey, from, until, role);
        List<X509Certificate> chain = new ArrayList<>(List.of(leaf));
        if (!issuer.getSubjectX500Principal().equals(issuer.getIssuerX500Principal())) {
            chain.add(issuer); // intermediates travel with the signature; the root is the verifier's
        }
        return new Signer(cn, keys.getPrivate(), List.copyOf(chain));
    }

    private static X509Certificate certificate(String subject, KeyPair keys, X509Certificate issuer,
            PrivateKey issuerKey, Instant from, Instant until, Role role)
            throws GeneralSecurityException, IOException, org.bouncycastle.operator.OperatorCreationException {
        X500Principal subjectName = new X500Principal(subject);
        X500Principal issuerName = issuer == null ? subjectName : issuer.getSubjectX500Principal();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName,
                BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(from), Date.from(until), subjectName,
                keys.getPublic());
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.subjectKeyIdentifier, false,
                extensions.createSubjectKeyIdentifier(keys.getPublic()));
        if (issuer != null) {
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    extensions.createAuthorityKeyIdentifier(issuer));
        }
        if (role == Role.CA) {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    role == Role.CODE_SIGNING ? KeyPurposeId.id_kp_codeSigning : KeyPurposeId.id_kp_serverAuth));
        }
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder(EC_SIGNATURE).build(issuerKey)));
    }

    private static KeyPair ecKeys() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    // ---------------------------------------------------------------- bundles

    /** A bundle with the headers every app needs; add classes and entries, then {@link BundleJar#build()}. */
    public static BundleJar bundle(String symbolicName) {
        return new BundleJar().header("Bundle-ManifestVersion", "2").header("Bundle-SymbolicName", symbolicName)
                .header("Bundle-Version", "1.0.0");
    }

    /** A jar under construction: manifest headers first, then entries in the order added. */
    public static final class BundleJar {
        private final Map<String, String> headers = new LinkedHashMap<>();
        private final Map<String, byte[]> entries = new LinkedHashMap<>();

        public BundleJar header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        public BundleJar withoutHeader(String name) {
            headers.remove(name);
            return this;
        }

        /** Adds a class under the entry name its bytecode declares. */
        public BundleJar add(byte[] classFile) {
            return entry(TestClasses.entryName(classFile), classFile);
        }

        public BundleJar entry(String name, byte[] content) {
            entries.put(name, content);
            return this;
        }

        public BundleJar entry(String name, String content) {
            return entry(name, content.getBytes(StandardCharsets.UTF_8));
        }

        /** The unsigned jar: the manifest first, as jar tools write it. */
        public byte[] build() {
            return TestJars.jar(headers, entries);
        }
    }

    // ---------------------------------------------------------------- signing

    /** Signs with the JDK's {@code jdk.security.jarsigner} API, as the ISOS toolkit does for buyers. */
    public static byte[] sign(byte[] jar, Signer signer) {
        return sign(jar, signer, Map.of());
    }

    /**
     * Signs with {@link JarSigner.Builder#setProperty JarSigner properties}, e.g. {@code sectionsonly}
     * to leave the manifest's main section out of the signature.
     */
    public static byte[] sign(byte[] jar, Signer signer, Map<String, String> properties) {
        return TestJars.sign(jar, signer.key(), signer.chain(), builder -> {
            builder.digestAlgorithm("SHA-256").signatureAlgorithm(EC_SIGNATURE)
                    .signerName(signer.name().replaceAll("[^A-Za-z0-9]", "_"));
            properties.forEach(builder::setProperty);
        });
    }

    /**
     * Signs with the {@code jarsigner} command-line tool of the running JDK, from a PKCS12 keystore
     * written for the occasion, to show that buyers' everyday tooling produces admissible bundles.
     */
    public static byte[] signWithJarsignerTool(byte[] jar, Signer signer, Path workDir)
            throws IOException, GeneralSecurityException {
        char[] password = "changeit".toCharArray();
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(null, null);
        keyStore.setKeyEntry("buyer", signer.key(), password, signer.chain().toArray(new X509Certificate[0]));
        Path keyStoreFile = workDir.resolve("buyer.p12");
        try (OutputStream out = Files.newOutputStream(keyStoreFile)) {
            keyStore.store(out, password);
        }
        return TestJars.signWithJarsignerTool(jar, keyStoreFile, "buyer", new String(password), workDir);
    }

    /**
     * Rewrites the signature file of a jar signed by {@code signer} and signs the new one again
     * (detached CMS, as jarsigner does), to make signatures the JDK tools would never write.
     */
    public static byte[] withEditedSignatureFile(byte[] signedJar, Signer signer, UnaryOperator<String> edit) {
        String base = "META-INF/" + signer.name().replaceAll("[^A-Za-z0-9]", "_").toUpperCase(java.util.Locale.ROOT);
        Map<String, byte[]> entries = TestJars.entries(signedJar);
        byte[] signatureFile = edit.apply(new String(entries.get(base + ".SF"), StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8);
        try {
            CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
            generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(
                    new JcaDigestCalculatorProviderBuilder().build())
                    .build(new JcaContentSignerBuilder(EC_SIGNATURE).build(signer.key()), signer.certificate()));
            generator.addCertificates(new JcaCertStore(signer.chain()));
            byte[] block = generator.generate(new CMSProcessableByteArray(signatureFile), false).getEncoded();
            return TestJars.withReplacedEntry(TestJars.withReplacedEntry(signedJar, base + ".SF", signatureFile),
                    base + ".EC", block);
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException
                | org.bouncycastle.cms.CMSException e) {
            throw new IllegalStateException("cannot re-sign the signature file", e);
        }
    }

    /** Removes a header, with its continuation lines, from manifest-style text. */
    public static String withoutHeader(String manifestText, String header) {
        return manifestText.replaceAll("(?m)^" + java.util.regex.Pattern.quote(header) + ": .*\\r\\n( .*\\r\\n)*", "");
    }

    // ---------------------------------------------------------------- bytes

    /** Replaces every occurrence of {@code from} by the same-length {@code to}, headers and directory alike. */
    public static byte[] patchBytes(byte[] data, String from, String to) {
        byte[] a = from.getBytes(StandardCharsets.UTF_8);
        byte[] b = to.getBytes(StandardCharsets.UTF_8);
        if (a.length != b.length) {
            throw new IllegalArgumentException("patches must keep the length");
        }
        byte[] copy = data.clone();
        outer:
        for (int i = 0; i <= copy.length - a.length; i++) {
            for (int j = 0; j < a.length; j++) {
                if (copy[i + j] != a[j]) {
                    continue outer;
                }
            }
            System.arraycopy(b, 0, copy, i, b.length);
        }
        return copy;
    }
}
