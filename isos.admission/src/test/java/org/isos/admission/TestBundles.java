package org.isos.admission;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertPath;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

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
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Builds what admission tests need, from scratch and in memory: an ISOS test PKI, app bundles with
 * generated classes, and signatures made the way buyers make them. Copy freely; nothing here depends
 * on the admission code under test.
 *
 * <pre>{@code
 * TestBundles.Pki pki = TestBundles.pki();
 * byte[] unsigned = TestBundles.bundle("org.acme.app")
 *         .header("Import-Package", "org.isos.kernel.api")
 *         .add(TestBundles.appClass("org/acme/App", run -> TestBundles.call(run, Opcodes.INVOKESTATIC,
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
            return entry(new org.objectweb.asm.ClassReader(classFile).getClassName() + ".class", classFile);
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
            Manifest manifest = new Manifest();
            Attributes main = manifest.getMainAttributes();
            main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
            headers.forEach(main::putValue);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (JarOutputStream jar = new JarOutputStream(out, manifest)) {
                for (var entry : entries.entrySet()) {
                    jar.putNextEntry(new ZipEntry(entry.getKey()));
                    jar.write(entry.getValue());
                    jar.closeEntry();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toByteArray();
        }
    }

    /** A plain zip (no manifest handling at all), for jars that are wrong on purpose. */
    public static byte[] zip(Map<String, byte[]> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (var entry : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(entry.getKey()));
                zip.write(entry.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    // ---------------------------------------------------------------- classes

    /**
     * A public class with a no-argument constructor and {@code public void run()} whose body
     * {@code run} writes (the final RETURN is added). Straight-line bodies need no stack map frames.
     */
    public static byte[] appClass(String internalName, Consumer<MethodVisitor> run) {
        return appClass(internalName, "java/lang/Object", new String[0], run);
    }

    /** Like {@link #appClass(String, Consumer)} with a chosen superclass and interfaces. */
    public static byte[] appClass(String internalName, String superName, String[] interfaces,
            Consumer<MethodVisitor> run) {
        ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        writer.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, internalName, null, superName, interfaces);
        MethodVisitor init = writer.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, superName, "<init>", "()V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        MethodVisitor method = writer.visitMethod(Opcodes.ACC_PUBLIC, "run", "()V", null, null);
        method.visitCode();
        run.accept(method);
        method.visitInsn(Opcodes.RETURN);
        method.visitMaxs(0, 0);
        method.visitEnd();
        writer.visitEnd();
        return writer.toByteArray();
    }

    /** A class declaring {@code public native void call()}. */
    public static byte[] classWithNativeMethod(String internalName) {
        ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        writer.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, internalName, null, "java/lang/Object", null);
        writer.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_NATIVE, "call", "()V", null, null).visitEnd();
        writer.visitEnd();
        return writer.toByteArray();
    }

    /**
     * Emits a well-typed call: a null receiver for instance methods, zero or null for each argument,
     * and a POP of the result, so the method stays verifiable. For constructors it emits NEW/DUP first.
     */
    public static void call(MethodVisitor mv, int opcode, String owner, String name, String desc) {
        boolean isInterface = opcode == Opcodes.INVOKEINTERFACE;
        if (name.equals("<init>")) {
            mv.visitTypeInsn(Opcodes.NEW, owner);
            mv.visitInsn(Opcodes.DUP);
        } else if (opcode != Opcodes.INVOKESTATIC) {
            mv.visitInsn(Opcodes.ACONST_NULL); // null passes the verifier as any receiver type
        }
        for (Type argument : Type.getArgumentTypes(desc)) {
            pushDefault(mv, argument);
        }
        mv.visitMethodInsn(opcode, owner, name, desc, isInterface);
        Type result = name.equals("<init>") ? Type.getObjectType(owner) : Type.getReturnType(desc);
        if (result.getSize() == 2) {
            mv.visitInsn(Opcodes.POP2);
        } else if (result.getSize() == 1) {
            mv.visitInsn(Opcodes.POP);
        }
    }

    private static void pushDefault(MethodVisitor mv, Type type) {
        switch (type.getSort()) {
            case Type.LONG -> mv.visitInsn(Opcodes.LCONST_0);
            case Type.FLOAT -> mv.visitInsn(Opcodes.FCONST_0);
            case Type.DOUBLE -> mv.visitInsn(Opcodes.DCONST_0);
            case Type.OBJECT, Type.ARRAY -> mv.visitInsn(Opcodes.ACONST_NULL);
            default -> mv.visitInsn(Opcodes.ICONST_0);
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
        try {
            CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(signer.chain());
            JarSigner.Builder builder = new JarSigner.Builder(signer.key(), path).digestAlgorithm("SHA-256")
                    .signatureAlgorithm(EC_SIGNATURE).signerName(signer.name().replaceAll("[^A-Za-z0-9]", "_"));
            properties.forEach(builder::setProperty);
            JarSigner jarSigner = builder.build();
            Path unsigned = Files.createTempFile("isos-unsigned", ".jar");
            try {
                Files.write(unsigned, jar);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (ZipFile zip = new ZipFile(unsigned.toFile())) {
                    jarSigner.sign(zip, out);
                }
                return out.toByteArray();
            } finally {
                Files.deleteIfExists(unsigned);
            }
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot sign the test jar", e);
        }
    }

    /**
     * Signs with the {@code jarsigner} command-line tool of the running JDK, from a PKCS12 keystore
     * written for the occasion, to show that buyers' everyday tooling produces admissible bundles.
     */
    public static byte[] signWithJarsignerTool(byte[] jar, Signer signer, Path workDir)
            throws IOException, GeneralSecurityException, InterruptedException {
        char[] password = "changeit".toCharArray();
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(null, null);
        keyStore.setKeyEntry("buyer", signer.key(), password, signer.chain().toArray(new X509Certificate[0]));
        Path keyStoreFile = workDir.resolve("buyer.p12");
        try (OutputStream out = Files.newOutputStream(keyStoreFile)) {
            keyStore.store(out, password);
        }
        Path in = workDir.resolve("unsigned.jar");
        Path out = workDir.resolve("signed.jar");
        Files.write(in, jar);
        Path tool = Path.of(System.getProperty("java.home"), "bin", "jarsigner");
        Process process = new ProcessBuilder(tool.toString(), "-keystore", keyStoreFile.toString(), "-storetype",
                "PKCS12", "-storepass", "changeit", "-keypass", "changeit", "-digestalg", "SHA-256", "-signedjar",
                out.toString(), in.toString(), "buyer").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("jarsigner failed: " + output);
        }
        return Files.readAllBytes(out);
    }

    /**
     * Rewrites the signature file of a jar signed by {@code signer} and signs the new one again
     * (detached CMS, as jarsigner does), to make signatures the JDK tools would never write.
     */
    public static byte[] withEditedSignatureFile(byte[] signedJar, Signer signer, UnaryOperator<String> edit) {
        String base = "META-INF/" + signer.name().replaceAll("[^A-Za-z0-9]", "_").toUpperCase(java.util.Locale.ROOT);
        Map<String, byte[]> entries = entries(signedJar);
        byte[] signatureFile = edit.apply(new String(entries.get(base + ".SF"), StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8);
        try {
            CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
            generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(
                    new JcaDigestCalculatorProviderBuilder().build())
                    .build(new JcaContentSignerBuilder(EC_SIGNATURE).build(signer.key()), signer.certificate()));
            generator.addCertificates(new JcaCertStore(signer.chain()));
            byte[] block = generator.generate(new CMSProcessableByteArray(signatureFile), false).getEncoded();
            return withReplacedEntry(withReplacedEntry(signedJar, base + ".SF", signatureFile), base + ".EC", block);
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException
                | org.bouncycastle.cms.CMSException e) {
            throw new IllegalStateException("cannot re-sign the signature file", e);
        }
    }

    /** Removes a header, with its continuation lines, from manifest-style text. */
    public static String withoutHeader(String manifestText, String header) {
        return manifestText.replaceAll("(?m)^" + java.util.regex.Pattern.quote(header) + ": .*\\r\\n( .*\\r\\n)*", "");
    }

    // ---------------------------------------------------------------- what a host could do to a jar

    /** The jar re-zipped with one entry's content replaced (signature files kept as they were). */
    public static byte[] withReplacedEntry(byte[] jar, String name, byte[] content) {
        return rezip(jar, name, content, false);
    }

    /** The jar re-zipped with one more entry at the end, which no signature covers. */
    public static byte[] withExtraEntry(byte[] jar, String name, byte[] content) {
        return rezip(jar, name, content, true);
    }

    /** The jar re-zipped without one entry. */
    public static byte[] withoutEntry(byte[] jar, String name) {
        return rezip(jar, name, null, false);
    }

    private static byte[] rezip(byte[] jar, String target, byte[] content, boolean append) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar));
                ZipOutputStream zip = new ZipOutputStream(out)) {
            ZipEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                byte[] bytes = in.readAllBytes();
                if (entry.getName().equals(target) && !append) {
                    if (content == null) {
                        continue;
                    }
                    bytes = content;
                }
                zip.putNextEntry(new ZipEntry(entry.getName()));
                zip.write(bytes);
                zip.closeEntry();
            }
            if (append) {
                zip.putNextEntry(new ZipEntry(target));
                zip.write(content);
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The entries of a jar, in order, with their content. */
    public static Map<String, byte[]> entries(byte[] jar) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar))) {
            ZipEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                entries.put(entry.getName(), in.readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return entries;
    }

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
