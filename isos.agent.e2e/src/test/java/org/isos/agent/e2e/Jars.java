package org.isos.agent.e2e;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertPath;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Arrays;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import jdk.security.jarsigner.JarSigner;

/** The signed test apps, and bundles derived from them that an agent must refuse. */
final class Jars {

    private Jars() {
    }

    static byte[] app(String name) throws IOException {
        String apps = System.getProperty("isos.test.apps");
        if (apps == null) {
            throw new IllegalStateException("system property isos.test.apps is not set");
        }
        return Files.readAllBytes(Path.of(apps, name + ".jar"));
    }

    /** Flips one bit of the first class after signing: the signature no longer matches. */
    static byte[] tampered(byte[] signedJar) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean done = false;
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(signedJar));
                ZipOutputStream out = new ZipOutputStream(bytes)) {
            ZipEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                byte[] content = in.readAllBytes();
                if (!done && entry.getName().endsWith(".class")) {
                    content[content.length - 1] ^= 0x01;
                    done = true;
                }
                out.putNextEntry(new ZipEntry(entry.getName()));
                out.write(content);
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** The jar without its signature. */
    static byte[] unsigned(byte[] jar) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            Manifest manifest = new Manifest();
            manifest.getMainAttributes().putAll(in.getManifest().getMainAttributes());
            try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
                JarEntry entry;
                while ((entry = in.getNextJarEntry()) != null) {
                    if (entry.getName().matches("META-INF/[^/]+\\.(SF|EC|RSA|DSA)")) {
                        continue;
                    }
                    out.putNextEntry(new JarEntry(entry.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
        return bytes.toByteArray();
    }

    /** Signs like the JDK's jarsigner, with the key of {@code signer} from the test PKI. */
    static byte[] sign(byte[] jar, String signer, Path scratch) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(AgentProcess.pki().resolve(signer + ".p12"))) {
            ks.load(in, AgentProcess.PASSWORD.toCharArray());
        }
        PrivateKey key = (PrivateKey) ks.getKey(signer, AgentProcess.PASSWORD.toCharArray());
        Certificate[] chain = ks.getCertificateChain(signer);
        CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(Arrays.asList(chain));
        Path unsignedFile = Files.createTempFile(scratch, "unsigned", ".jar");
        Files.write(unsignedFile, jar);
        ByteArrayOutputStream signed = new ByteArrayOutputStream();
        try (ZipFile zip = new ZipFile(unsignedFile.toFile()); OutputStream out = signed) {
            new JarSigner.Builder(key, path).build().sign(zip, out);
        }
        return signed.toByteArray();
    }
}
