package org.isos.admission.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.CodeSigner;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import org.isos.admission.AdmissionRefused;
import org.isos.admission.Rule;

/**
 * One full read of a bundle with signature verification on. {@link JarInputStream} verifies an
 * entry's digest only once the entry has been read to its end, and only reports signers then, so
 * every entry is read completely here; nothing relies on the JVM checking later, when a class loads.
 * Classes (and classes of nested jars on {@code Bundle-ClassPath}) go to the {@link BytecodeScan} as
 * they pass, so the jar is never held expanded in memory.
 */
public final class SignedJar {

    /** Larger than any class javac writes; keeps one entry from taking the heap. */
    static final int MAX_CLASS_BYTES = 16 * 1024 * 1024;

    /** An entry as read: who signed it, or why its signature failed. */
    public record Entry(String name, boolean directory, CodeSigner[] signers, String tampered) {
        public boolean signed() {
            return signers != null && signers.length > 0;
        }
    }

    private final Manifest manifest;
    private final BundleManifest bundleManifest;
    private final byte[] rawManifest;
    private final List<Entry> entries;
    private final Map<String, byte[]> signatureFiles;

    private SignedJar(Manifest manifest, BundleManifest bundleManifest, byte[] rawManifest, List<Entry> entries,
            Map<String, byte[]> signatureFiles) {
        this.manifest = manifest;
        this.bundleManifest = bundleManifest;
        this.rawManifest = rawManifest;
        this.entries = List.copyOf(entries);
        this.signatureFiles = Map.copyOf(signatureFiles);
    }

    public Manifest manifest() {
        return manifest;
    }

    public BundleManifest bundleManifest() {
        return bundleManifest;
    }

    /** The manifest exactly as stored, for digests over it. */
    public byte[] rawManifest() {
        return rawManifest.clone();
    }

    /** Every entry but the manifest (and a leading {@code META-INF/} directory), in jar order. */
    public List<Entry> entries() {
        return entries;
    }

    /** The {@code META-INF/*.SF} files, by entry name. */
    public Map<String, byte[]> signatureFiles() {
        return signatureFiles;
    }

    /**
     * Reads the whole jar.
     *
     * @param directoryNames the entry names from {@link ZipLayout}, to prove both readings agree
     */
    public static SignedJar read(byte[] jar, List<String> directoryNames, long maxExpandedBytes, int maxNestedJarBytes,
            BytecodeScan scan) throws AdmissionRefused {
        Budget budget = new Budget(maxExpandedBytes);
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar), true)) {
            Manifest manifest = in.getManifest();
            if (manifest == null || !directoryNames.contains(JarFile.MANIFEST_NAME)) {
                throw malformed("no " + JarFile.MANIFEST_NAME + " at the start of the jar");
            }
            BundleManifest bundleManifest = BundleManifest.of(manifest);
            List<String> readNames = new ArrayList<>();
            List<Entry> entries = new ArrayList<>();
            Map<String, byte[]> signatureFiles = new LinkedHashMap<>();
            JarEntry entry;
            while ((entry = in.getNextJarEntry()) != null) {
                String name = entry.getName();
                readNames.add(name);
                boolean nestedJar = !entry.isDirectory() && bundleManifest.classPath().contains(name);
                boolean keep = isClass(name) || nestedJar || isSignatureFile(name);
                int limit = nestedJar ? maxNestedJarBytes : MAX_CLASS_BYTES;
                byte[] content;
                String tampered = null;
                try {
                    content = drain(in, keep, limit, name, budget);
                } catch (SecurityException e) {
                    // the verifier found the content (or a signature block) disagreeing with its digest
                    content = null;
                    tampered = e.getMessage();
                }
                entries.add(new Entry(name, entry.isDirectory(), entry.getCodeSigners(), tampered));
                if (content == null) {
                    continue;
                }
                if (isClass(name)) {
                    scan.scan(name, content);
                }
                if (nestedJar) {
                    scanNestedJar(name, content, budget, scan);
                }
                if (isSignatureFile(name)) {
                    signatureFiles.put(name, content);
                }
            }
            if (!readNames.equals(afterManifest(directoryNames))) {
                throw malformed("the entries read in order differ from the central directory");
            }
            return new SignedJar(manifest, bundleManifest, rawManifest(jar), entries, signatureFiles);
        } catch (SecurityException e) {
            throw new AdmissionRefused(Rule.TAMPERED, "the jar's signature cannot be processed: " + e.getMessage(), e);
        } catch (IOException | IllegalArgumentException e) {
            // ZipException (bad CRC, bad deflate data), a manifest that does not parse, undecodable names
            throw malformed("the jar cannot be read: " + e.getMessage());
        }
    }

    /** Whether the JDK treats {@code name} as part of a signature rather than as signed content. */
    public static boolean isSignatureRelated(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        if (!upper.startsWith("META-INF/") || upper.indexOf('/', "META-INF/".length()) >= 0) {
            return false;
        }
        return upper.endsWith(".SF") || upper.endsWith(".DSA") || upper.endsWith(".RSA") || upper.endsWith(".EC")
                || upper.startsWith("META-INF/SIG-");
    }

    private static boolean isSignatureFile(String name) {
        return isSignatureRelated(name) && name.toUpperCase(Locale.ROOT).endsWith(".SF");
    }

    static boolean isClass(String name) {
        return name.endsWith(".class");
    }

    /** {@link JarInputStream} consumes {@code META-INF/} and the manifest before the first entry it returns. */
    private static List<String> afterManifest(List<String> names) {
        int skip = 0;
        if (skip < names.size() && names.get(skip).equalsIgnoreCase("META-INF/")) {
            skip++;
        }
        if (skip < names.size() && names.get(skip).equalsIgnoreCase(JarFile.MANIFEST_NAME)) {
            skip++;
        }
        return names.subList(skip, names.size());
    }

    private static void scanNestedJar(String name, byte[] nested, Budget budget, BytecodeScan scan)
            throws AdmissionRefused, IOException {
        // the framework extracts nested jars and opens them by their central directory, too
        ZipLayout.entryNames(nested, "nested jar " + name);
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(nested))) {
            ZipEntry inner;
            while ((inner = in.getNextEntry()) != null) {
                String origin = name + "!/" + inner.getName();
                byte[] content = drain(in, isClass(inner.getName()), MAX_CLASS_BYTES, origin, budget);
                if (content != null) {
                    scan.scan(origin, content);
                }
            }
        }
    }

    private static byte[] rawManifest(byte[] jar) throws IOException, AdmissionRefused {
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar))) {
            ZipEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                if (entry.getName().equals(JarFile.MANIFEST_NAME)) {
                    return drain(in, true, MAX_CLASS_BYTES, entry.getName(), new Budget(MAX_CLASS_BYTES));
                }
            }
        }
        throw malformed("no " + JarFile.MANIFEST_NAME);
    }

    /** Reads an entry to its end (which is when the verifier checks it), keeping the bytes if asked. */
    private static byte[] drain(InputStream in, boolean keep, int limit, String name, Budget budget)
            throws IOException, AdmissionRefused {
        ByteArrayOutputStream kept = keep ? new ByteArrayOutputStream() : null;
        byte[] buffer = new byte[16 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            total += n;
            budget.spend(n);
            if (kept != null) {
                if (total > limit) {
                    throw malformed(name + " is larger than " + limit + " bytes");
                }
                kept.write(buffer, 0, n);
            }
        }
        return kept == null ? null : kept.toByteArray();
    }

    /** The expanded bytes still allowed: a few kilobytes of zip must not cost gigabytes of reading. */
    private static final class Budget {
        private final long max;
        private long spent;

        Budget(long max) {
            this.max = max;
        }

        void spend(int bytes) throws AdmissionRefused {
            spent += bytes;
            if (spent > max) {
                throw malformed("the entries expand to more than " + max + " bytes");
            }
        }
    }

    private static AdmissionRefused malformed(String detail) {
        return new AdmissionRefused(Rule.MALFORMED, detail);
    }
}
