package org.isos.kernel.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import org.isos.admission.AdmissionRefused;
import org.isos.admission.BundleAdmission;
import org.isos.kernel.api.Lease;
import org.isos.kernel.wire.LeaseGrant;
import org.isos.testkit.TestClasses;
import org.isos.testkit.TestJars;
import org.isos.testkit.TestPki;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.objectweb.asm.Opcodes;

/** Bundles the kernel must refuse, each with a reason that names the rule; nothing of them stays. */
class RefusalTest {

    private TestWorld world;
    private TestPki pki;
    private byte[] echo;

    @BeforeEach
    void setUp() throws Exception {
        world = TestWorld.get();
        pki = TestPki.load(world.pki);
        echo = TestWorld.app("isos.testapp.echo");
    }

    private void assertRefused(String rule, byte[] bundle, LeaseGrant grant) throws Exception {
        AdmissionRefused refused = assertThrows(AdmissionRefused.class, () -> world.hosting().host(grant, bundle));
        assertTrue(refused.getMessage().startsWith(rule), "expected " + rule + ", got: " + refused.getMessage());
        assertEquals(0, world.appBundles(grant.lease().id()), "nothing of a refused bundle stays installed");
        assertFalse(Files.exists(world.data.resolve("leases").resolve(grant.lease().id() + ".lease")));
        assertFalse(Files.exists(world.storeOf(grant.lease().id())));
        assertTrue(world.hosting().hosted().stream().noneMatch(h -> h.lease().id().equals(grant.lease().id())));
    }

    private void assertRefused(String rule, byte[] bundle) throws Exception {
        Lease lease = TestWorld.lease("buyer-a", "isos.testapp.echo", Duration.ofMinutes(5));
        assertRefused(rule, bundle, TestWorld.grant(lease, bundle));
    }

    @Test
    void unsigned() throws Exception {
        assertRefused("UNSIGNED", TestJars.unsigned(echo));
    }

    @Test
    void signedByAKeyNoIsosCaVouchesFor() throws Exception {
        assertRefused("UNTRUSTED_SIGNER", pki.sign(TestJars.unsigned(echo), "rogue"));
    }

    @Test
    void signedByAnotherTrustedBuyer() throws Exception {
        assertRefused("WRONG_BUYER", pki.sign(TestJars.unsigned(echo), "buyer-b"));
    }

    @Test
    void changedAfterSigning() throws Exception {
        assertRefused("TAMPERED", TestJars.tampered(echo));
    }

    @Test
    void digestNotMatchingTheLease() throws Exception {
        Lease lease = TestWorld.lease("buyer-a", "isos.testapp.echo", Duration.ofMinutes(5));
        byte[] other = pki.sign(TestJars.unsigned(echo, a -> a.putValue("Bundle-Version", "9.9.9"), Map.of()), "buyer-a");
        assertRefused("DIGEST_MISMATCH", echo, new LeaseGrant(lease, TestWorld.HOST, BundleAdmission.sha256Hex(other)));
    }

    @Test
    void fragment() throws Exception {
        assertRefused("FRAGMENT", signedWith(a -> a.putValue("Fragment-Host", "isos.kernel")));
    }

    @Test
    void dynamicImport() throws Exception {
        assertRefused("DYNAMIC_IMPORT", signedWith(a -> a.putValue("DynamicImport-Package", "*")));
    }

    @Test
    void nativeCode() throws Exception {
        assertRefused("NATIVE_CODE", signedWith(a -> a.putValue("Bundle-NativeCode", "lib/evil.so;osname=Linux")));
    }

    @Test
    void exportOfAKernelPackage() throws Exception {
        assertRefused("FOREIGN_EXPORT", signedWith(a -> a.putValue("Export-Package",
                a.getValue("Export-Package") + ",org.isos.kernel.api;version=\"9.0.0\"")));
    }

    @Test
    void importOfAPlatformPackageOutsideTheAllowList() throws Exception {
        assertRefused("IMPORT_NOT_ALLOWED", signedWith(a -> a.putValue("Import-Package",
                a.getValue("Import-Package") + ",org.isos.kernel.host")));
    }

    static Stream<Arguments> forbiddenApis() {
        return Stream.of(
                Arguments.of("FORBIDDEN_FILES", Opcodes.NEW, "java/io/FileInputStream", "", ""),
                Arguments.of("FORBIDDEN_FILES", Opcodes.INVOKESTATIC, "java/nio/file/Files", "readAllBytes",
                        "(Ljava/nio/file/Path;)[B"),
                Arguments.of("FORBIDDEN_SOCKETS", Opcodes.NEW, "java/net/Socket", "", ""),
                Arguments.of("FORBIDDEN_PROCESSES", Opcodes.INVOKEVIRTUAL, "java/lang/Runtime", "exec",
                        "(Ljava/lang/String;)Ljava/lang/Process;"),
                Arguments.of("FORBIDDEN_EXIT", Opcodes.INVOKESTATIC, "java/lang/System", "exit", "(I)V"),
                Arguments.of("FORBIDDEN_CLASSLOADERS", Opcodes.NEW, "java/net/URLClassLoader", "", ""),
                Arguments.of("FORBIDDEN_REFLECTION", Opcodes.INVOKEVIRTUAL, "java/lang/reflect/AccessibleObject",
                        "setAccessible", "(Z)V"),
                Arguments.of("FORBIDDEN_UNSAFE", Opcodes.INVOKESTATIC, "sun/misc/Unsafe", "getUnsafe",
                        "()Lsun/misc/Unsafe;"),
                Arguments.of("FORBIDDEN_NATIVE", Opcodes.INVOKESTATIC, "java/lang/System", "loadLibrary",
                        "(Ljava/lang/String;)V"),
                Arguments.of("FORBIDDEN_THREADS", Opcodes.INVOKESPECIAL, "java/lang/Thread", "<init>", "()V"),
                Arguments.of("FORBIDDEN_THREADS", Opcodes.INVOKESTATIC, "java/util/concurrent/Executors",
                        "newFixedThreadPool", "(I)Ljava/util/concurrent/ExecutorService;"));
    }

    @ParameterizedTest(name = "{0}: {2}.{3}")
    @MethodSource("forbiddenApis")
    void referenceToAForbiddenApi(String rule, int opcode, String owner, String name, String desc) throws Exception {
        byte[] sneaky = TestClasses.callingClass("org/isos/testapp/echo/Sneak", opcode, owner, name, desc);
        byte[] bundle = pki.sign(TestJars.unsigned(echo, a -> {
        }, Map.of("org/isos/testapp/echo/Sneak.class", sneaky)), "buyer-a");
        assertRefused(rule, bundle);
    }

    private byte[] signedWith(java.util.function.Consumer<java.util.jar.Attributes> edit) throws Exception {
        return pki.sign(TestJars.unsigned(echo, edit, Map.of()), "buyer-a");
    }
}
