package org.isos.apps.compute.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.isos.admission.AdmissionRefused;
import org.isos.admission.internal.BytecodeScan;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;

/** The workload classes pass the admission scan, and touch nothing beyond java.lang, java.util, java.math and the kernel API. */
class AdmissionScanTest {

    private static final List<String> ALLOWED = List.of("java/lang/", "java/util/", "java/math/", "org/isos/apps/compute/",
            "org/isos/kernel/api/", "org/osgi/annotation/");

    private static List<Path> classes() throws IOException {
        Path root = Path.of("target/classes/org/isos/apps/compute/work");
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(p -> p.toString().endsWith(".class")).sorted().toList();
        }
    }

    private static String utf8(byte[] b, int offset) {
        int length = ((b[offset] & 0xFF) << 8) | (b[offset + 1] & 0xFF);
        return new String(b, offset + 2, length, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void passesTheBytecodeScan() throws Exception {
        BytecodeScan scan = new BytecodeScan();
        List<Path> classes = classes();
        assertTrue(classes.size() > 20, "classes: " + classes.size());
        for (Path c : classes) {
            scan.scan(c.toString(), Files.readAllBytes(c));
        }
        Optional<AdmissionRefused> refusal = scan.refusal();
        assertEquals(Optional.empty(), refusal.map(AdmissionRefused::getMessage));
    }

    @Test
    void referencesOnlyAllowedPackages() throws Exception {
        Set<String> outside = new TreeSet<>();
        Set<String> seen = new TreeSet<>();
        Pattern inDescriptor = Pattern.compile("L([A-Za-z_$][\\w$/]*);");
        for (Path c : classes()) {
            ClassReader reader = new ClassReader(Files.readAllBytes(c));
            char[] buf = new char[reader.getMaxStringLength()];
            byte[] b = reader.b;
            for (int i = 1; i < reader.getItemCount(); i++) {
                int offset = reader.getItem(i);
                if (offset == 0) {
                    continue; // the second slot of a long or double
                }
                List<String> names = new java.util.ArrayList<>();
                int tag = b[offset - 1];
                if (tag == 7) { // CONSTANT_Class
                    names.add(reader.readUTF8(offset, buf)); // its content is the index of the name
                } else if (tag == 1) { // CONSTANT_Utf8: descriptors and signatures name types as Lpkg/Name;
                    Matcher m = inDescriptor.matcher(utf8(b, offset));
                    while (m.find()) {
                        names.add(m.group(1));
                    }
                }
                for (String name : names) {
                    String type = name.replaceFirst("^\\[+L?", "").replaceFirst(";$", "");
                    seen.add(type);
                    if (type.contains("/") && ALLOWED.stream().noneMatch(type::startsWith)) {
                        outside.add(type + " (in " + c.getFileName() + ")");
                    }
                }
            }
        }
        // java/lang/invoke: records' toString/equals/hashCode and string concatenation bootstrap there
        outside.removeIf(s -> s.startsWith("java/lang/invoke/"));
        assertEquals(Set.of(), outside);
        assertTrue(seen.containsAll(Set.of("java/math/BigInteger", "org/isos/kernel/api/TaskContext", "java/util/List")),
                "the check sees class and descriptor references: " + seen);
    }
}
