package org.isos.testkit;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertPath;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import jdk.security.jarsigner.JarSigner;

/**
 * Jars in memory, for tests: read them, write them, copy them unsigned with an edited manifest, sign them
 * as the JDK's jarsigner does, and alter them after signing the way a host or a man in the middle could.
 * Every method throws unchecked exceptions.
 */
public final class TestJars {

    private TestJars() {
    }

    // ---------------------------------------------------------------- reading

    /** The jar's manifest as {@link JarInputStream} finds it (null when it has none). */
    public static Manifest manifest(byte[] jar) {
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            return in.getManifest();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** All entries of a jar, in order, with their content; the manifest and signature files included. */
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

    /** Whether {@code name} is a signature file or signature block of a signed jar. */
    public static boolean isSignatureFile(String name) {
        return name.matches("META-INF/[^/]+\\.(SF|EC|RSA|DSA)");
    }

    // ---------------------------------------------------------------- writing

    /** A plain zip of {@code entries} in order, no manifest handling at all (for jars wrong on purpose too). */
    public static byte[] zip(Map<String, byte[]> entries) {
        return write(ZipOutputStream::new, entries);
    }

    /** A jar as jar tools write it: the manifest first, then {@code entries} in order. */
    public static byte[] jar(Manifest manifest, Map<String, byte[]> entries) {
        return write(out -> new JarOutputStream(out, manifest), entries);
    }

    private interface ZipOpener {
        ZipOutputStream open(OutputStream out) throws IOException;
    }

    private static byte[] write(ZipOpener opener, Map<String, byte[]> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = opener.open(out)) {
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(entry.getKey()));
                zip.write(entry.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A jar whose manifest has {@code Manifest-Version: 1.0} and {@code headers} in order, then {@code entries}. */
    public static byte[] jar(Map<String, String> headers, Map<String, byte[]> entries) {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        headers.forEach(main::putValue);
        return jar(manifest, entries);
    }

    // ---------------------------------------------------------------- unsigned copies

    /**
     * The jar without its signature: the manifest's main section only, edited by {@code edit}, the
     * entries but the signature files, then {@code extra} entries.
     */
    public static byte[] unsigned(byte[] jar, Consumer<Attributes> edit, Map<String, byte[]> extra) {
        Manifest manifest = new Manifest();
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            manifest.getMainAttributes().putAll(in.getManifest().getMainAttributes());
            JarEntry entry;
            while ((entry = in.getNextJarEntry()) != null) { // the manifest is not among them
                if (!isSignatureFile(entry.getName())) {
                    entries.put(entry.getName(), in.readAllBytes());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        edit.accept(manifest.getMainAttributes());
        entries.putAll(extra);
        return jar(manifest, entries);
    }

    /** The jar without its signature, otherwise the same. */
    public static byte[] unsigned(byte[] jar) {
        return unsigned(jar, attributes -> {
        }, Map.of());
    }

    // ---------------------------------------------------------------- signing

    /** Settings for a {@link JarSigner.Builder} before it builds the signer. */
    @FunctionalInterface
    public interface SignerOptions {
        void apply(JarSigner.Builder builder) throws GeneralSecurityException;
    }

    /** Signs like the JDK's jarsigner with its default algorithms. */
    public static byte[] sign(byte[] jar, PrivateKey key, List<? extends Certificate> chain) {
        return sign(jar, key, chain, builder -> {
        });
    }

    /**
     * Signs with the JDK's {@code jdk.security.jarsigner} API; {@code options} may set algorithms, the
     * signer name or {@link JarSigner.Builder#setProperty properties} before the signer is built.
     */
    public static byte[] sign(byte[] jar, PrivateKey key, List<? extends Certificate> chain,
            SignerOptions options) {
        try {
            CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(chain);
            JarSigner.Builder builder = new JarSigner.Builder(key, path);
            options.apply(builder);
            JarSigner signer = builder.build();
            Path unsigned = Files.createTempFile("isos-unsigned", ".jar");
            try {
                Files.write(unsigned, jar);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (ZipFile zip = new ZipFile(unsigned.toFile())) {
                    signer.sign(zip, out);
                }
                return out.toByteArray();
            } finally {
                Files.deleteIfExists(unsigned);
            }
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot sign the test jar", e);
        }
    }

    /** Signs with the key and chain under {@code alias} in a PKCS12 key store. */
    public static byte[] sign(byte[] jar, Path keyStore, String alias, String password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keyStore)) {
                store.load(in, password.toCharArray());
            }
            PrivateKey key = (PrivateKey) store.getKey(alias, password.toCharArray());
            Certificate[] chain = store.getCertificateChain(alias);
            if (key == null || chain == null) {
                throw new IllegalArgumentException(keyStore + " has no key entry " + alias);
            }
            return sign(jar, key, Arrays.asList(chain));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot use key store " + keyStore, e);
        }
    }

    /**
     * Signs with the {@code jarsigner} command-line tool of the running JDK (SHA-256 digests), with the
     * key under {@code alias} in a PKCS12 key store; {@code workDir} takes the jar files.
     */
    public static byte[] signWithJarsignerTool(byte[] jar, Path keyStore, String alias, String password,
            Path workDir) {
        try {
            Path in = Files.createTempFile(workDir, "unsigned", ".jar");
            Path out = workDir.resolve(in.getFileName().toString().replace("unsigned", "signed"));
            Files.write(in, jar);
            Path tool = Path.of(System.getProperty("java.home"), "bin", "jarsigner");
            List<String> command = new ArrayList<>(List.of(tool.toString(), "-keystore", keyStore.toString(),
                    "-storetype", "PKCS12", "-storepass", password, "-keypass", password, "-digestalg", "SHA-256",
                    "-signedjar", out.toString(), in.toString(), alias));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("jarsigner failed: " + output);
            }
            return Files.readAllBytes(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for jarsigner", e);
        }
    }

    // ---------------------------------------------------------------- altered after signing

    /** Flips one bit in the last byte of the first class: the signature no longer matches. */
    public static byte[] tampered(byte[] signedJar) {
        Map<String, byte[]> entries = entries(signedJar);
        for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
            if (entry.getKey().endsWith(".class")) {
                byte[] content = entry.getValue();
                content[content.length - 1] ^= 0x01;
                return zip(entries);
            }
        }
        throw new IllegalArgumentException("the jar has no class to tamper with");
    }

    /** The jar re-zipped with one entry's content replaced (signature files kept as they were). */
    public static byte[] withReplacedEntry(byte[] jar, String name, byte[] content) {
        Map<String, byte[]> entries = entries(jar);
        if (entries.replace(name, content) == null) {
            throw new IllegalArgumentException("the jar has no entry " + name);
        }
        return zip(entries);
    }

    /** The jar re-zipped with one more entry at the end, which no signature covers. */
    public static byte[] withExtraEntry(byte[] jar, String name, byte[] content) {
        Map<String, byte[]> entries = entries(jar);
        if (entries.putIfAbsent(name, content) != null) {
            throw new IllegalArgumentException("the jar has an entry " + name + " already");
        }
        return zip(entries);
    }

    /** The jar re-zipped without one entry. */
    public static byte[] withoutEntry(byte[] jar, String name) {
        Map<String, byte[]> entries = entries(jar);
        entries.remove(name);
        return zip(entries);
    }
}
