package org.isos.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import jdk.security.jarsigner.JarSigner;

/**
 * Signs a bundle the way ISOS admission wants it: one signer, SHA-256 digests, the whole certificate
 * chain in the signature block. The JDK's {@link JarSigner} does the signing, so the result is what
 * {@code jarsigner} would make.
 */
final class BundleSigner {

    private BundleSigner() {
    }

    /**
     * Signs {@code in} into {@code out} (written to a temporary file and moved into place, so
     * {@code out} may be {@code in}).
     *
     * @param replaceSignatures drop signatures {@code in} already has; without it a signed jar is refused,
     *                          since a second signer would make the bundle inadmissible
     */
    static void sign(Path in, Path out, SigningKey key, boolean replaceSignatures) {
        List<String> signatures = signatureFiles(in);
        if (!signatures.isEmpty() && !replaceSignatures) {
            throw new CliFailure(in + " is signed already (" + String.join(", ", signatures) + "); ISOS admits bundles"
                    + " with one signer: sign an unsigned jar, or pass --replace-signatures");
        }
        Path dir = out.toAbsolutePath().getParent();
        Path unsigned = null;
        Path temp = null;
        try {
            Files.createDirectories(dir);
            Path source = in;
            if (!signatures.isEmpty()) {
                unsigned = Files.createTempFile(dir, ".unsigned", ".jar");
                writeUnsigned(in, unsigned);
                source = unsigned;
            }
            JarSigner signer = new JarSigner.Builder(key.privateKey(),
                    CertificateFactory.getInstance("X.509").generateCertPath(key.chain()))
                    .digestAlgorithm("SHA-256").signatureAlgorithm(SigningKey.signatureAlgorithm(key.privateKey()))
                    .signerName("ISOS").build();
            temp = Files.createTempFile(dir, "." + out.getFileName(), ".tmp");
            try (ZipFile zip = new ZipFile(source.toFile()); OutputStream signed = Files.newOutputStream(temp)) {
                signer.sign(zip, signed);
            }
            try {
                Files.move(temp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, out, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (ZipException e) {
            throw new CliFailure(in + " is not a jar (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new CliFailure("cannot sign " + in + " into " + out + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new CliFailure("cannot sign with key '" + key.alias() + "': " + e.getMessage(), e);
        } catch (jdk.security.jarsigner.JarSignerException e) {
            throw new CliFailure("cannot sign " + in + ": " + (e.getCause() == null ? e.getMessage() : e.getCause()), e);
        } finally {
            deleteQuietly(unsigned);
            deleteQuietly(temp);
        }
    }

    /** The signature files of a jar ({@code META-INF/*.SF} and the blocks), by name. */
    static List<String> signatureFiles(Path jar) {
        List<String> found = new ArrayList<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements();) {
                String name = e.nextElement().getName();
                if (isSignatureFile(name)) {
                    found.add(name);
                }
            }
        } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException e) {
            throw new CliFailure("no such jar: " + jar, e);
        } catch (ZipException e) {
            throw new CliFailure(jar + " is not a jar (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new CliFailure("cannot read " + jar + ": " + e.getMessage(), e);
        }
        return found;
    }

    private static boolean isSignatureFile(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        if (!upper.startsWith("META-INF/") || upper.indexOf('/', "META-INF/".length()) >= 0) {
            return false;
        }
        return upper.endsWith(".SF") || upper.endsWith(".RSA") || upper.endsWith(".DSA") || upper.endsWith(".EC")
                || upper.startsWith("META-INF/SIG-");
    }

    /** A copy of {@code in} without signature files and without the manifest's per-entry digests. */
    static void writeUnsigned(Path in, Path out) throws IOException {
        try (ZipFile zip = new ZipFile(in.toFile());
                ZipOutputStream copy = new ZipOutputStream(Files.newOutputStream(out))) {
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements();) {
                ZipEntry entry = e.nextElement();
                if (isSignatureFile(entry.getName())) {
                    continue;
                }
                ZipEntry target = new ZipEntry(entry.getName());
                target.setTime(entry.getTime());
                copy.putNextEntry(target);
                try (InputStream data = zip.getInputStream(entry)) {
                    if (entry.getName().equalsIgnoreCase(JarFile.MANIFEST_NAME)) {
                        copy.write(withoutDigests(new Manifest(data)));
                    } else {
                        data.transferTo(copy);
                    }
                }
                copy.closeEntry();
            }
        }
    }

    private static byte[] withoutDigests(Manifest manifest) throws IOException {
        for (Iterator<Map.Entry<String, Attributes>> i = manifest.getEntries().entrySet().iterator(); i.hasNext();) {
            Attributes attributes = i.next().getValue();
            attributes.keySet().removeIf(k -> k.toString().toUpperCase(Locale.ROOT).endsWith("-DIGEST"));
            if (attributes.isEmpty()) {
                i.remove();
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        manifest.write(bytes);
        return bytes.toByteArray();
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a stray temporary file in the output directory is no reason to fail
            }
        }
    }
}
