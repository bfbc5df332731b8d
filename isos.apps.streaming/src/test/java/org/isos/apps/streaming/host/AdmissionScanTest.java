package org.isos.apps.streaming.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.isos.admission.AdmissionRefused;
import org.isos.admission.Rule;
import org.isos.admission.internal.BytecodeScan;
import org.junit.jupiter.api.Test;

/**
 * The classes the bundle is made of (only this module's: it embeds nothing) pass the admission's bytecode scan, and
 * refer to no other ISOS package than the kernel's API and their own. (The built manifest's imports are checked for
 * real by the agent end-to-end test.)
 */
class AdmissionScanTest {

    static Map<String, byte[]> classesUnder(Path root) throws IOException {
        Map<String, byte[]> classes = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                classes.put(root.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        }
        return classes;
    }

    static Map<String, byte[]> bundleClasses() throws IOException {
        return classesUnder(Path.of("target/classes"));
    }

    @Test
    void passesTheBytecodeScan() throws Exception {
        Map<String, byte[]> classes = bundleClasses();
        assertTrue(classes.containsKey("org/isos/apps/streaming/host/SegmentServer.class"), classes.keySet().toString());
        assertTrue(classes.containsKey("org/isos/apps/streaming/protocol/SegmentMessage.class"),
                classes.keySet().toString());
        BytecodeScan scan = new BytecodeScan();
        for (Map.Entry<String, byte[]> c : classes.entrySet()) {
            scan.scan(c.getKey(), c.getValue());
        }
        Optional<AdmissionRefused> refusal = scan.refusal();
        assertEquals(Optional.empty(), refusal.map(AdmissionRefused::getMessage));
    }

    @Test
    void theScanBites() throws Exception {
        // the fake kernel of SegmentServerTest starts a thread of its own: an app bundle may not
        BytecodeScan scan = new BytecodeScan();
        String kernel = "org/isos/apps/streaming/host/SegmentServerTest$Kernel.class";
        byte[] fake = classesUnder(Path.of("target/test-classes")).get(kernel);
        assertTrue(fake != null, kernel);
        scan.scan(kernel, fake);
        Set<Rule> broken = new TreeSet<>();
        scan.refusal().ifPresent(r -> broken.add(r.rule()));
        assertEquals(Set.of(Rule.FORBIDDEN_THREADS), broken, scan.refusal().map(AdmissionRefused::getMessage).orElse(""));
    }

    @Test
    void refersOnlyToTheKernelApiAndItsOwnPackages() throws Exception {
        Set<String> isosPackages = new TreeSet<>();
        byte[] isos = "org/isos/".getBytes(StandardCharsets.UTF_8);
        bundleClasses().forEach((name, bytes) -> {
            for (int at = indexOf(bytes, isos, 0); at >= 0; at = indexOf(bytes, isos, at + 1)) {
                int end = at;
                while (end < bytes.length && (Character.isLetterOrDigit(bytes[end]) || bytes[end] == '/'
                        || bytes[end] == '_' || bytes[end] == '$')) {
                    end++;
                }
                String ref = new String(bytes, at, end - at, StandardCharsets.US_ASCII);
                int slash = ref.lastIndexOf('/');
                isosPackages.add(ref.substring(0, slash));
            }
        });
        assertEquals(Set.of("org/isos/kernel/api", "org/isos/apps/streaming", "org/isos/apps/streaming/host",
                "org/isos/apps/streaming/protocol"), isosPackages);
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i + needle.length <= hay.length; i++) {
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
