package org.isos.admission;

import static org.isos.admission.TestBundles.bundle;
import static org.isos.admission.TestBundles.pki;
import static org.isos.admission.TestBundles.sign;
import static org.isos.testkit.TestClasses.appClass;
import static org.isos.testkit.TestClasses.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.isos.testkit.TestJars;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.objectweb.asm.Opcodes;

class BundleAdmissionTest {

    static final BundleAdmission ADMISSION = new BundleAdmission(AdmissionPolicy.defaults(), List.of(pki().root()));

    /** The headers of a small, well-behaved app. */
    static TestBundles.BundleJar appHeaders() {
        return bundle("org.acme.app")
                .header("Import-Package", "org.isos.kernel.api;version=\"[1.0,2)\",org.osgi.framework;version=\"[1.10,2)\"")
                .header("Export-Package", "org.acme.app.api;version=\"1.0.0\"");
    }

    /** A small, well-behaved app: what a buyer is expected to upload. */
    static TestBundles.BundleJar cleanApp() {
        return appHeaders()
                .add(appClass("org/acme/app/App", run -> {
                    call(run, Opcodes.INVOKESTATIC, "java/lang/Math", "max", "(II)I");
                    call(run, Opcodes.INVOKESPECIAL, "java/lang/StringBuilder", "<init>", "()V");
                    call(run, Opcodes.INVOKESTATIC, "java/lang/Thread", "currentThread", "()Ljava/lang/Thread;");
                }))
                .add(appClass("org/acme/app/api/Greeting", run -> {
                }))
                .entry("OSGI-INF/app.xml", "<component/>");
    }

    static AdmissionRefused refused(byte[] jar) {
        return refused(jar, null, null);
    }

    static AdmissionRefused refused(byte[] jar, String sha256, String buyer) {
        return assertThrows(AdmissionRefused.class, () -> ADMISSION.admit(jar, sha256, buyer));
    }

    static void assertRefused(Rule rule, String detailPart, byte[] jar) {
        AdmissionRefused refusal = refused(jar);
        assertEquals(rule, refusal.rule(), refusal.getMessage());
        assertTrue(refusal.detail().contains(detailPart), () -> "'" + detailPart + "' not in: " + refusal.getMessage());
        assertEquals(rule.name() + ": " + refusal.detail(), refusal.getMessage());
    }

    @Test
    void cleanSignedBundleIsAdmitted() throws AdmissionRefused {
        byte[] jar = sign(cleanApp().build(), pki().buyerA());

        AdmittedBundle admitted = ADMISSION.admit(jar, BundleAdmission.sha256Hex(jar), "buyer-a");

        assertEquals("org.acme.app", admitted.symbolicName());
        assertEquals("1.0.0", admitted.version());
        assertEquals("buyer-a", admitted.buyer());
        assertEquals(BundleAdmission.sha256Hex(jar), admitted.sha256Hex());
        assertEquals(pki().buyerA().certificate(), admitted.signer());
        assertEquals(pki().buyerA().chain(), admitted.signerChain());
    }

    @Test
    void digestAndBuyerChecksAreOptional() throws AdmissionRefused {
        byte[] jar = sign(cleanApp().build(), pki().buyerB());
        assertEquals("buyer-b", ADMISSION.admit(jar, null, null).buyer());
    }

    @Test
    void sha256HexIsLowercaseHex() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                BundleAdmission.sha256Hex("abc".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void versionIsNormalised() throws AdmissionRefused {
        byte[] jar = sign(cleanApp().header("Bundle-Version", "2.1").build(), pki().buyerA());
        assertEquals("2.1.0", ADMISSION.admit(jar, null, null).version());
        byte[] none = sign(cleanApp().withoutHeader("Bundle-Version").build(), pki().buyerA());
        assertEquals("0.0.0", ADMISSION.admit(none, null, null).version());
    }

    @Test
    void symbolicNameDirectivesAreDropped() throws AdmissionRefused {
        byte[] jar = sign(cleanApp().header("Bundle-SymbolicName", "org.acme.app;singleton:=true").build(),
                pki().buyerA());
        assertEquals("org.acme.app", ADMISSION.admit(jar, null, null).symbolicName());
    }

    @Nested
    class Malformed {

        @Test
        void notAJar() {
            assertRefused(Rule.MALFORMED, "not a zip archive", "hello".getBytes(StandardCharsets.UTF_8));
            assertRefused(Rule.MALFORMED, "not a zip archive", new byte[0]);
        }

        @Test
        void noManifest() {
            byte[] zip = TestJars.zip(Map.of("org/acme/App.class", appClass("org/acme/App", run -> {
            })));
            assertRefused(Rule.MALFORMED, "no META-INF/MANIFEST.MF", zip);
        }

        @Test
        void manifestNotFirst() {
            Map<String, byte[]> entries = new LinkedHashMap<>();
            entries.put("org/acme/App.class", appClass("org/acme/App", run -> {
            }));
            entries.put("META-INF/MANIFEST.MF",
                    "Manifest-Version: 1.0\r\nBundle-ManifestVersion: 2\r\nBundle-SymbolicName: a\r\n\r\n"
                            .getBytes(StandardCharsets.UTF_8));
            assertRefused(Rule.MALFORMED, "no META-INF/MANIFEST.MF at the start", TestJars.zip(entries));
        }

        @Test
        void noSymbolicName() {
            assertRefused(Rule.MALFORMED, "no Bundle-SymbolicName",
                    sign(cleanApp().withoutHeader("Bundle-SymbolicName").build(), pki().buyerA()));
        }

        @Test
        void badSymbolicName() {
            assertRefused(Rule.MALFORMED, "not a symbolic name",
                    sign(cleanApp().header("Bundle-SymbolicName", "org acme").build(), pki().buyerA()));
        }

        @ParameterizedTest
        @ValueSource(strings = { "1", "3", "" })
        void manifestVersionMustBe2(String version) {
            TestBundles.BundleJar app = version.isEmpty() ? cleanApp().withoutHeader("Bundle-ManifestVersion")
                    : cleanApp().header("Bundle-ManifestVersion", version);
            assertRefused(Rule.MALFORMED, "Bundle-ManifestVersion", sign(app.build(), pki().buyerA()));
        }

        @Test
        void badVersion() {
            assertRefused(Rule.MALFORMED, "not an OSGi version",
                    sign(cleanApp().header("Bundle-Version", "1.0-SNAPSHOT").build(), pki().buyerA()));
        }

        @Test
        void oversized() {
            byte[] jar = sign(cleanApp().build(), pki().buyerA());
            BundleAdmission small = new BundleAdmission(AdmissionPolicy.defaults().withMaxBundleBytes(jar.length - 1),
                    List.of(pki().root()));
            AdmissionRefused refusal = assertThrows(AdmissionRefused.class, () -> small.admit(jar, null, null));
            assertEquals(Rule.MALFORMED, refusal.rule());
            assertTrue(refusal.detail().contains("more than the " + (jar.length - 1) + " allowed"), refusal.getMessage());
        }

        @Test
        void zipBombIsStoppedByTheExpansionLimit() {
            byte[] jar = sign(cleanApp().entry("data/zeros.bin", new byte[4 * 1024 * 1024]).build(), pki().buyerA());
            BundleAdmission small = new BundleAdmission(AdmissionPolicy.defaults().withMaxBundleBytes(64 * 1024),
                    List.of(pki().root()));
            AdmissionRefused refusal = assertThrows(AdmissionRefused.class, () -> small.admit(jar, null, null));
            assertEquals(Rule.MALFORMED, refusal.rule());
            assertTrue(refusal.detail().contains("expand to more than"), refusal.getMessage());
        }

        @Test
        void entryClimbingOutOfTheBundle() {
            assertRefused(Rule.MALFORMED, "climbs out of the bundle: org/../../evil.class",
                    cleanApp().entry("org/../../evil.class", new byte[] { 1 }).build());
        }

        @Test
        void absoluteEntry() {
            assertRefused(Rule.MALFORMED, "absolute", cleanApp().entry("/etc/evil.class", new byte[] { 1 }).build());
            assertRefused(Rule.MALFORMED, "absolute", cleanApp().entry("C:/evil.class", new byte[] { 1 }).build());
        }

        @Test
        void duplicateEntry() {
            byte[] jar = cleanApp().entry("org/acme/A.txt", "one").entry("org/acme/B.txt", "two").build();
            assertRefused(Rule.MALFORMED, "duplicate entry org/acme/A.txt",
                    TestBundles.patchBytes(jar, "org/acme/B.txt", "org/acme/A.txt"));
        }

        @Test
        void manifestsDifferingInCase() {
            byte[] jar = cleanApp().entry("META-INF/manifest.mf", "Manifest-Version: 1.0\r\n\r\n").build();
            assertRefused(Rule.MALFORMED, "differing only in case", jar);
        }

        @Test
        void bytesBeforeTheFirstEntry() {
            byte[] jar = sign(cleanApp().build(), pki().buyerA());
            byte[] prefixed = new byte[jar.length + 4];
            System.arraycopy(jar, 0, prefixed, 4, jar.length);
            assertRefused(Rule.MALFORMED, "4 bytes of unaccounted data", prefixed);
        }

        @Test
        void bytesHiddenBeforeTheCentralDirectory() {
            byte[] jar = sign(cleanApp().build(), pki().buyerA());
            // shift the central directory 3 bytes up, fixing the end record's pointer: a gap only
            // a directory-driven reader skips
            int end = jar.length - 22;
            long directory = (jar[end + 16] & 0xFFL) | (jar[end + 17] & 0xFFL) << 8 | (jar[end + 18] & 0xFFL) << 16
                    | (jar[end + 19] & 0xFFL) << 24;
            byte[] gapped = new byte[jar.length + 3];
            System.arraycopy(jar, 0, gapped, 0, (int) directory);
            System.arraycopy(jar, (int) directory, gapped, (int) directory + 3, jar.length - (int) directory);
            long moved = directory + 3;
            for (int i = 0; i < 4; i++) {
                gapped[end + 3 + 16 + i] = (byte) (moved >>> (8 * i));
            }
            assertRefused(Rule.MALFORMED, "3 bytes between its last entry and its central directory", gapped);
        }

        @Test
        void unparseableHeader() {
            assertRefused(Rule.MALFORMED, "Import-Package cannot be parsed", sign(
                    cleanApp().header("Import-Package", "org.osgi.framework;version=\"[1,2)").build(), pki().buyerA()));
        }

        @Test
        void classPathOutsideTheBundle() {
            assertRefused(Rule.MALFORMED, "points outside the bundle", sign(
                    cleanApp().header("Bundle-ClassPath", ".,external:/opt/lib.jar").build(), pki().buyerA()));
            assertRefused(Rule.MALFORMED, "climbs out of the bundle",
                    sign(cleanApp().header("Bundle-ClassPath", ".,../lib.jar").build(), pki().buyerA()));
        }

        @Test
        void classThatIsNotAClass() {
            assertRefused(Rule.MALFORMED, "class file org/acme/Broken.class cannot be read",
                    sign(cleanApp().entry("org/acme/Broken.class", "not a class").build(), pki().buyerA()));
        }
    }

    @Test
    void digestMismatch() {
        byte[] jar = sign(cleanApp().build(), pki().buyerA());
        String other = BundleAdmission.sha256Hex(new byte[] { 42 });
        AdmissionRefused refusal = refused(jar, other, "buyer-a");
        assertEquals(Rule.DIGEST_MISMATCH, refusal.rule());
        assertEquals("DIGEST_MISMATCH: expected SHA-256 " + other + " but the jar has " + BundleAdmission.sha256Hex(jar),
                refusal.getMessage());
    }

    @Test
    void digestIsComparedIgnoringCase() throws AdmissionRefused {
        byte[] jar = sign(cleanApp().build(), pki().buyerA());
        ADMISSION.admit(jar, BundleAdmission.sha256Hex(jar).toUpperCase(), "buyer-a");
    }

    @Nested
    class Signatures {

        @Test
        void unsigned() {
            assertRefused(Rule.UNSIGNED, "the jar carries no signature", cleanApp().build());
        }

        @Test
        void partlySigned() {
            byte[] jar = TestJars.withExtraEntry(sign(cleanApp().build(), pki().buyerA()), "org/acme/app/Extra.class",
                    appClass("org/acme/app/Extra", run -> {
                    }));
            AdmissionRefused refusal = refused(jar);
            assertEquals("UNSIGNED: org/acme/app/Extra.class is not signed", refusal.getMessage());
        }

        @Test
        void unsignedMavenMetadataIsTolerated() throws AdmissionRefused {
            byte[] jar = TestJars.withExtraEntry(sign(cleanApp().build(), pki().buyerA()),
                    "META-INF/maven/org.acme/app/pom.properties", "version=1".getBytes(StandardCharsets.UTF_8));
            assertEquals("buyer-a", ADMISSION.admit(jar, null, "buyer-a").buyer());
        }

        @Test
        void unsignedCodeUnderMetaInfIsNot() {
            byte[] signed = sign(cleanApp().build(), pki().buyerA());
            assertRefused(Rule.UNSIGNED, "META-INF/versions/11/org/acme/app/App.class is not signed",
                    TestJars.withExtraEntry(signed, "META-INF/versions/11/org/acme/app/App.class",
                            appClass("org/acme/app/App", run -> {
                            })));
        }

        @Test
        void unsignedJarOnTheBundleClassPathIsNot() {
            byte[] signed = sign(cleanApp().header("Bundle-ClassPath", ".,META-INF/lib/helper.jar").build(),
                    pki().buyerA());
            byte[] helper = TestJars.zip(Map.of("org/acme/Helper.class", appClass("org/acme/Helper", run -> {
            })));
            assertRefused(Rule.UNSIGNED, "META-INF/lib/helper.jar is not signed",
                    TestJars.withExtraEntry(signed, "META-INF/lib/helper.jar", helper));
        }

        @Test
        void tamperedClass() {
            byte[] signed = sign(cleanApp().build(), pki().buyerA());
            byte[] evil = appClass("org/acme/app/App", run -> call(run, Opcodes.INVOKESTATIC, "java/lang/Math", "min",
                    "(II)I"));
            AdmissionRefused refusal = refused(TestJars.withReplacedEntry(signed, "org/acme/app/App.class", evil));
            assertEquals(Rule.TAMPERED, refusal.rule(), refusal.getMessage());
            assertTrue(refusal.detail().startsWith("org/acme/app/App.class does not match its signature"),
                    refusal.getMessage());
        }

        @Test
        void tamperedManifestHeaders() throws Exception {
            byte[] signed = sign(cleanApp().build(), pki().buyerA());
            String manifest = new String(TestJars.entries(signed).get("META-INF/MANIFEST.MF"), StandardCharsets.UTF_8);
            // the OSGi headers are signed content too: widening an import after signing must show
            byte[] widened = manifest.replace("Import-Package: ", "Import-Package: org.acme.more,")
                    .getBytes(StandardCharsets.UTF_8);
            AdmissionRefused refusal = refused(TestJars.withReplacedEntry(signed, "META-INF/MANIFEST.MF", widened));
            assertEquals(Rule.TAMPERED, refusal.rule(), refusal.getMessage());
            assertTrue(refusal.detail().contains("Manifest main attributes"), refusal.getMessage());
        }

        @Test
        void entrySlippedInWithAManifestDigest() {
            // a host adds a class and its digest to the manifest, hoping the signature is judged by the manifest
            byte[] signed = sign(cleanApp().build(), pki().buyerA());
            byte[] extra = appClass("org/acme/app/Extra", run -> {
            });
            String manifest = new String(TestJars.entries(signed).get("META-INF/MANIFEST.MF"), StandardCharsets.UTF_8)
                    + "Name: org/acme/app/Extra.class\r\nSHA-256-Digest: " + java.util.Base64.getEncoder()
                            .encodeToString(java.util.HexFormat.of().parseHex(BundleAdmission.sha256Hex(extra)))
                    + "\r\n\r\n";
            byte[] jar = TestJars.withExtraEntry(TestJars.withReplacedEntry(signed, "META-INF/MANIFEST.MF",
                    manifest.getBytes(StandardCharsets.UTF_8)), "org/acme/app/Extra.class", extra);
            assertRefused(Rule.TAMPERED, "org/acme/app/Extra.class has a manifest digest that the signature no longer vouches for",
                    jar);
        }

        @Test
        void signatureThatLeavesTheOsgiHeadersOut() {
            // the JDK accepts a signature file vouching only for the entries' sections; then anyone
            // could rewrite Import-Package without breaking the signature
            byte[] sectionsOnly = sign(cleanApp().build(), pki().buyerA(), Map.of("sectionsonly", "true"));
            byte[] jar = TestBundles.withEditedSignatureFile(sectionsOnly, pki().buyerA(),
                    sf -> TestBundles.withoutHeader(sf, "SHA-256-Digest-Manifest-Main-Attributes"));
            assertRefused(Rule.UNSIGNED, "META-INF/BUYER_A.SF does not cover the manifest's main headers", jar);
        }

        @Test
        void wholeManifestDigestCoversTheOsgiHeaders() throws AdmissionRefused {
            byte[] signed = sign(cleanApp().build(), pki().buyerA());
            byte[] jar = TestBundles.withEditedSignatureFile(signed, pki().buyerA(),
                    sf -> TestBundles.withoutHeader(sf, "SHA-256-Digest-Manifest-Main-Attributes"));
            assertEquals("buyer-a", ADMISSION.admit(jar, null, null).buyer());
        }

        @Test
        void signedEntryRemoved() {
            byte[] signed = sign(cleanApp().build(), pki().buyerA());
            assertRefused(Rule.TAMPERED, "OSGI-INF/app.xml is signed in the manifest but missing from the jar",
                    TestJars.withoutEntry(signed, "OSGI-INF/app.xml"));
        }

        @Test
        void twoSignersOnEveryEntry() {
            byte[] twice = sign(sign(cleanApp().build(), pki().buyerA()), pki().buyerB());
            AdmissionRefused refusal = refused(twice);
            assertEquals(Rule.MULTIPLE_SIGNERS, refusal.rule(), refusal.getMessage());
            assertTrue(refusal.detail().contains("is signed by 2 signers"), refusal.getMessage());
            assertTrue(refusal.detail().contains("CN=buyer-a") && refusal.detail().contains("CN=buyer-b"),
                    refusal.getMessage());
        }

        @Test
        void differentSignersForDifferentEntries() {
            // buyer-a signs the app, buyer-b signs a jar of one more class; a host splices the two
            byte[] byA = sign(cleanApp().build(), pki().buyerA());
            byte[] byB = sign(appHeaders().add(appClass("org/acme/app/Extra", run -> {
            })).build(), pki().buyerB());
            Map<String, byte[]> a = TestJars.entries(byA);
            Map<String, byte[]> b = TestJars.entries(byB);
            String manifestA = new String(a.get("META-INF/MANIFEST.MF"), StandardCharsets.UTF_8);
            String manifestB = new String(b.get("META-INF/MANIFEST.MF"), StandardCharsets.UTF_8);
            String sectionsOfB = manifestB.substring(manifestB.indexOf("\r\n\r\n") + 4);

            Map<String, byte[]> spliced = new LinkedHashMap<>();
            spliced.put("META-INF/MANIFEST.MF", (manifestA + sectionsOfB).getBytes(StandardCharsets.UTF_8));
            b.forEach((name, content) -> {
                if (name.startsWith("META-INF/BUYER")) {
                    spliced.put(name, content);
                }
            });
            a.forEach(spliced::putIfAbsent);
            spliced.put("org/acme/app/Extra.class", b.get("org/acme/app/Extra.class"));

            AdmissionRefused refusal = refused(TestJars.zip(spliced));
            assertEquals(Rule.MULTIPLE_SIGNERS, refusal.rule(), refusal.getMessage());
            assertTrue(refusal.detail().matches("org/acme/app/Extra.class is signed by CN=buyer-b.* but .* by CN=buyer-a.*"),
                    refusal.getMessage());
        }

        @Test
        void untrustedCa() {
            AdmissionRefused refusal = refused(sign(cleanApp().build(), pki().untrustedBuyerA()), null, "buyer-a");
            assertEquals(Rule.UNTRUSTED_SIGNER, refusal.rule(), refusal.getMessage());
            assertTrue(refusal.detail().contains("does not chain to an ISOS trust anchor"), refusal.getMessage());
        }

        @Test
        void expiredCertificate() {
            assertRefused(Rule.UNTRUSTED_SIGNER, "expired on", sign(cleanApp().build(), pki().expiredBuyer()));
        }

        @Test
        void notACodeSigningCertificate() {
            assertRefused(Rule.UNTRUSTED_SIGNER, "is not a code-signing certificate",
                    sign(cleanApp().build(), pki().serverAuthBuyer()));
        }

        @Test
        void noTrustAnchorsTrustNobody() {
            BundleAdmission distrustful = new BundleAdmission(AdmissionPolicy.defaults(), List.of());
            byte[] jar = sign(cleanApp().build(), pki().buyerA());
            assertEquals(Rule.UNTRUSTED_SIGNER,
                    assertThrows(AdmissionRefused.class, () -> distrustful.admit(jar, null, null)).rule());
        }

        @Test
        void wrongBuyer() {
            AdmissionRefused refusal = refused(sign(cleanApp().build(), pki().buyerB()), null, "buyer-a");
            assertEquals("WRONG_BUYER: signed by buyer 'buyer-b', expected 'buyer-a'", refusal.getMessage());
        }

        @Test
        void jarSignedByTheJarsignerToolIsAdmitted(@TempDir Path dir) throws Exception {
            byte[] jar = TestBundles.signWithJarsignerTool(cleanApp().build(), pki().buyerA(), dir);
            AdmittedBundle admitted = ADMISSION.admit(jar, BundleAdmission.sha256Hex(jar), "buyer-a");
            assertEquals("buyer-a", admitted.buyer());
            assertEquals("org.acme.app", admitted.symbolicName());
        }
    }

    @Nested
    class ManifestRules {

        @Test
        void fragment() {
            assertRefused(Rule.FRAGMENT, "Fragment-Host: org.isos.kernel",
                    sign(cleanApp().header("Fragment-Host", "org.isos.kernel").build(), pki().buyerA()));
        }

        @Test
        void dynamicImport() {
            assertRefused(Rule.DYNAMIC_IMPORT, "DynamicImport-Package: *",
                    sign(cleanApp().header("DynamicImport-Package", "*").build(), pki().buyerA()));
        }

        @Test
        void nativeCode() {
            assertRefused(Rule.NATIVE_CODE, "Bundle-NativeCode: lib/libevil.so", sign(cleanApp()
                    .header("Bundle-NativeCode", "lib/libevil.so;osname=Linux;processor=x86-64").build(),
                    pki().buyerA()));
        }

        @ParameterizedTest
        @ValueSource(strings = { "org.isos.kernel.api", "org.isos.kernel", "java.lang.evil", "org.osgi.framework",
                "io.netty.buffer", "org.objectweb.asm.tree", "org.isos.admission.internal" })
        void foreignExport(String pkg) {
            assertRefused(Rule.FOREIGN_EXPORT, "exports " + pkg + ", which belongs to the platform", sign(
                    cleanApp().header("Export-Package", "org.acme.app.api;version=\"1.0\"," + pkg).build(),
                    pki().buyerA()));
        }

        @Test
        void exportOfALookAlikePackageIsFine() throws AdmissionRefused {
            ADMISSION.admit(sign(cleanApp().header("Export-Package", "org.isos.kernelish").build(), pki().buyerA()),
                    null, null);
        }

        @Test
        void importNotAllowed() {
            assertRefused(Rule.IMPORT_NOT_ALLOWED, "imports org.apache.commons.io,", sign(cleanApp()
                    .header("Import-Package", "org.osgi.framework;version=\"[1.10,2)\",org.apache.commons.io").build(),
                    pki().buyerA()));
        }

        @Test
        void quotedCommasDoNotSplitClauses() throws AdmissionRefused {
            // a naive split on ',' would see a package named 2)"
            byte[] jar = sign(cleanApp().header("Import-Package",
                    "org.osgi.framework;version=\"[1.10,2)\", org.osgi.util.promise;version=\"[1.1,2)\";resolution:=optional")
                    .build(), pki().buyerA());
            ADMISSION.admit(jar, null, null);
        }

        @Test
        void everyPackageOfAClauseIsChecked() {
            assertRefused(Rule.IMPORT_NOT_ALLOWED, "imports org.acme.sneaky,", sign(cleanApp()
                    .header("Import-Package", "org.osgi.util.function;org.acme.sneaky;org.osgi.util.promise;version=\"[1,2)\"")
                    .build(), pki().buyerA()));
        }

        @Test
        void importOfOwnExportIsAllowed() throws AdmissionRefused {
            byte[] jar = sign(cleanApp().header("Import-Package", "org.acme.app.api;version=\"[1,2)\",org.osgi.framework")
                    .build(), pki().buyerA());
            ADMISSION.admit(jar, null, null);
        }

        @Test
        void wildcardAllowedImports() throws AdmissionRefused {
            AdmissionPolicy policy = AdmissionPolicy.defaults().withAllowedImports(Set.of("org.acme.shared.*"));
            BundleAdmission admission = new BundleAdmission(policy, List.of(pki().root()));
            admission.admit(sign(cleanApp().header("Import-Package", "org.acme.shared,org.acme.shared.util").build(),
                    pki().buyerA()), null, null);
            AdmissionRefused refusal = assertThrows(AdmissionRefused.class, () -> admission.admit(sign(
                    cleanApp().header("Import-Package", "org.acme.sharedx").build(), pki().buyerA()), null, null));
            assertEquals(Rule.IMPORT_NOT_ALLOWED, refusal.rule());
        }

        @Test
        void requireBundle() {
            assertRefused(Rule.IMPORT_NOT_ALLOWED, "Require-Bundle: org.isos.kernel",
                    sign(cleanApp().header("Require-Bundle", "org.isos.kernel").build(), pki().buyerA()));
        }

        @Test
        void requireCapabilityInTheWiringNamespace() {
            assertRefused(Rule.IMPORT_NOT_ALLOWED, "osgi.wiring.package", sign(cleanApp().header("Require-Capability",
                    "osgi.wiring.package;filter:=\"(osgi.wiring.package=sun.misc)\"").build(), pki().buyerA()));
        }

        @Test
        void extenderRequirementsAreFine() throws AdmissionRefused {
            ADMISSION.admit(sign(cleanApp().header("Require-Capability",
                    "osgi.extender;filter:=\"(&(osgi.extender=osgi.component)(version>=1.5)(!(version>=2)))\"").build(),
                    pki().buyerA()), null, null);
        }
    }

    @Nested
    class RuleOrder {

        private final byte[] exitingClass = appClass("org/acme/app/Exit",
                run -> call(run, Opcodes.INVOKESTATIC, "java/lang/System", "exit", "(I)V"));

        @Test
        void signatureRulesComeBeforeBytecodeRules() {
            assertRefused(Rule.UNSIGNED, "no signature", cleanApp().add(exitingClass).build());
        }

        @Test
        void manifestRulesComeBeforeBytecodeRules() {
            assertRefused(Rule.FRAGMENT, "Fragment-Host",
                    sign(cleanApp().header("Fragment-Host", "x").add(exitingClass).build(), pki().buyerA()));
        }

        @Test
        void digestComesBeforeSignature() {
            AdmissionRefused refusal = refused(cleanApp().build(), "00", null);
            assertEquals(Rule.DIGEST_MISMATCH, refusal.rule());
        }

        @Test
        void earlierBytecodeRuleWinsAcrossClasses() {
            byte[] threads = appClass("org/acme/app/A", run -> call(run, Opcodes.INVOKESTATIC,
                    "java/util/concurrent/Executors", "newCachedThreadPool", "()Ljava/util/concurrent/ExecutorService;"));
            byte[] files = appClass("org/acme/app/B", run -> call(run, Opcodes.INVOKESPECIAL, "java/io/File", "<init>",
                    "(Ljava/lang/String;)V"));
            assertRefused(Rule.FORBIDDEN_FILES, "org/acme/app/B.run()V calls java/io/File.<init>(Ljava/lang/String;)V",
                    sign(cleanApp().add(threads).add(files).build(), pki().buyerA()));
        }
    }
}
