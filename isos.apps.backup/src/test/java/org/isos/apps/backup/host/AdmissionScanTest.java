package org.isos.apps.backup.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.isos.admission.AdmissionRefused;
import org.isos.admission.internal.BytecodeScan;
import org.isos.toolkit.storage.StorageAudit;
import org.junit.jupiter.api.Test;

/**
 * The classes the bundle is made of (this module's and the toolkit's storage packages it embeds) pass the
 * admission's bytecode scan, and only the one storage class the host never loads refers to the erasure codec,
 * which the bundle leaves out. (The built manifest's imports are checked for real by the agent end-to-end test.)
 */
class AdmissionScanTest {

    static Map<String, byte[]> bundleClasses() throws IOException {
        Map<String, byte[]> classes = new TreeMap<>();
        Path own = Path.of("target/classes");
        try (Stream<Path> files = Files.walk(own)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                classes.put(own.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        }
        Path toolkit;
        try {
            toolkit = Path.of(StorageAudit.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
        String prefix = "org/isos/toolkit/storage/";
        if (Files.isDirectory(toolkit)) {
            try (Stream<Path> files = Files.walk(toolkit.resolve(prefix))) {
                for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                    classes.put(toolkit.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
                }
            }
        } else {
            try (JarFile jar = new JarFile(toolkit.toFile())) {
                for (JarEntry e : java.util.Collections.list(jar.entries())) {
                    if (e.getName().startsWith(prefix) && e.getName().endsWith(".class")) {
                        try (InputStream in = jar.getInputStream(e)) {
                            classes.put(e.getName(), in.readAllBytes());
                        }
                    }
                }
            }
        }
        return classes;
    }

    @Test
    void passesTheBytecodeScan() throws Exception {
        Map<String, byte[]> classes = bundleClasses();
        assertTrue(classes.containsKey("org/isos/apps/backup/host/FragmentHost.class"), classes.keySet().toString());
        assertTrue(classes.containsKey("org/isos/toolkit/storage/internal/Merkle.class"), classes.keySet().toString());
        BytecodeScan scan = new BytecodeScan();
        for (Map.Entry<String, byte[]> c : classes.entrySet()) {
            scan.scan(c.getKey(), c.getValue());
        }
        Optional<AdmissionRefused> refusal = scan.refusal();
        assertEquals(Optional.empty(), refusal.map(AdmissionRefused::getMessage));
    }

    @Test
    void onlyFragmentRepairReachesForTheCodec() throws Exception {
        Set<String> referrers = new TreeSet<>();
        byte[] erasure = "org/isos/toolkit/erasure".getBytes(StandardCharsets.UTF_8);
        bundleClasses().forEach((name, bytes) -> {
            if (indexOf(bytes, erasure) >= 0) {
                referrers.add(name);
            }
        });
        assertEquals(Set.of("org/isos/toolkit/storage/FragmentRepair.class"), referrers);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
