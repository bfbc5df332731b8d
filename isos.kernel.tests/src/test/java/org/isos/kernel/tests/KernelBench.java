package org.isos.kernel.tests;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import org.isos.kernel.api.Lease;
import org.isos.kernel.host.HostedApp;
import org.isos.testkit.TestJars;
import org.isos.testkit.TestPki;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * The kernel's benchmarks, printed as figures (never asserted): run by {@code ./isos bench}, which
 * launches this class alone in a framework with {@code isos.bench=true}. Skipped in test runs.
 */
class KernelBench {

    private static final int WARMUP = 10;
    private static final int RUNS = 60;

    @Test
    void leaseToActiveAndEndAgainstPlainInstall() throws Exception {
        TestWorld world = benchWorld();
        byte[] unsigned = benchBundle();
        byte[] signed = TestPki.load(world.pki).sign(unsigned, "buyer-a");
        List<Long> plainStart = new ArrayList<>();
        List<Long> plainStop = new ArrayList<>();
        List<Long> leaseStart = new ArrayList<>();
        List<Long> leaseEnd = new ArrayList<>();
        FrameworkWiring wiring = world.context.getBundle(0).adapt(FrameworkWiring.class);
        for (int i = 0; i < WARMUP + RUNS; i++) {
            boolean measured = i >= WARMUP;
            // baseline: plain Felix, the same bundle unsigned, at a platform location
            long t0 = System.nanoTime();
            Bundle plain = world.context.installBundle("bench:plain:" + i, new ByteArrayInputStream(unsigned));
            plain.start();
            long t1 = System.nanoTime();
            plain.uninstall();
            refresh(wiring, plain);
            long t2 = System.nanoTime();
            // the kernel: lease + signed bundle handed over, to ACTIVE; then ended
            Lease lease = TestWorld.lease("buyer-a", "isos.bench.app", Duration.ofMinutes(10));
            long t3 = System.nanoTime();
            HostedApp hosted = world.hosting().host(TestWorld.grant(lease, signed), signed);
            long t4 = System.nanoTime();
            if (!"ACTIVE".equals(hosted.state())) {
                throw new AssertionError("bench app not ACTIVE: " + hosted);
            }
            world.hosting().end(lease.id(), "bench");
            long t5 = System.nanoTime();
            if (measured) {
                plainStart.add(t1 - t0);
                plainStop.add(t2 - t1);
                leaseStart.add(t4 - t3);
                leaseEnd.add(t5 - t4);
            }
        }
        System.out.printf(Locale.ROOT, "%nbench: lease to ACTIVE, signed %d KB bundle (%d runs, security %s)%n",
                signed.length / 1024, RUNS, world.secure ? "on" : "off");
        report("plain Felix installBundle+start (unsigned)", plainStart, null);
        report("kernel host(lease, bundle) -> ACTIVE", leaseStart, plainStart);
        report("plain Felix uninstall+refresh", plainStop, null);
        report("kernel end(lease): stop, uninstall, refresh, store, record", leaseEnd, plainStop);
    }

    @Test
    void activitySignalToEveryTaskPaused() throws Exception {
        TestWorld world = benchWorld();
        byte[] echo = TestWorld.app("isos.testapp.echo");
        Lease lease = TestWorld.lease("buyer-a", "isos.testapp.echo", Duration.ofMinutes(10));
        world.hosting().host(TestWorld.grant(lease, echo), echo);
        List<Long> pause = new ArrayList<>();
        try (AppClient client = new AppClient(world.peers().localAddress(), world.caCertificate(), "buyer-a",
                "isos.testapp.echo")) {
            client.ask("work a 100000000");
            client.ask("work b 100000000");
            Thread.sleep(300);
            for (int i = 0; i < WARMUP + RUNS; i++) {
                long t0 = System.nanoTime();
                world.availability().suspend("bench");
                if (!world.availability().awaitPaused(Duration.ofSeconds(5))) {
                    throw new AssertionError("tasks did not pause within 5 s");
                }
                long t1 = System.nanoTime();
                world.availability().resume();
                Thread.sleep(30);
                if (i >= WARMUP) {
                    pause.add(t1 - t0);
                }
            }
        } finally {
            world.availability().resume();
            world.hosting().end(lease.id(), "bench");
        }
        System.out.printf(Locale.ROOT, "%nbench: activity signal to every app task paused (2 busy tasks, checkpoint every 2 ms, %d runs)%n", RUNS);
        report("suspend() -> no task holds a worker", pause, null);
    }

    private static TestWorld benchWorld() throws Exception {
        TestWorld world = TestWorld.get();
        assumeTrue("true".equals(world.context.getProperty("isos.bench")), "benchmarks run only with ./isos bench");
        return world;
    }

    private static void refresh(FrameworkWiring wiring, Bundle bundle) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        wiring.refreshBundles(List.of(bundle), e -> {
            if (e.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                done.complete(null);
            }
        });
        done.get();
    }

    private static void report(String what, List<Long> nanos, List<Long> baseline) {
        long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        double median = sorted[sorted.length / 2] / 1e6;
        double p99 = sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)] / 1e6;
        String ratio = "";
        if (baseline != null) {
            long[] base = baseline.stream().mapToLong(Long::longValue).sorted().toArray();
            ratio = String.format(Locale.ROOT, "   ratio to baseline (median): %.2fx", median / (base[base.length / 2] / 1e6));
        }
        System.out.printf(Locale.ROOT, "  %-60s median %8.2f ms   p99 %8.2f ms%s%n", what, median, p99, ratio);
    }

    /** A ~200 KB app bundle: 150 small classes and incompressible data, the size the brief names. */
    static byte[] benchBundle() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        for (int i = 0; i < 150; i++) {
            entries.put("org/isos/bench/app/Part" + i + ".class", part("org/isos/bench/app/Part" + i));
        }
        byte[] data = new byte[150 * 1024];
        new Random(42).nextBytes(data);
        entries.put("data/weights.bin", data);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Bundle-ManifestVersion", "2");
        headers.put("Bundle-SymbolicName", "isos.bench.app");
        headers.put("Bundle-Version", "1.0.0");
        return TestJars.jar(headers, entries);
    }

    private static byte[] part(String name) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC, name, null, "java/lang/Object", null);
        for (int m = 0; m < 8; m++) {
            MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "step" + m, "(J)J", null, null);
            mv.visitCode();
            mv.visitVarInsn(Opcodes.LLOAD, 0);
            mv.visitLdcInsn(31L + m);
            mv.visitInsn(Opcodes.LMUL);
            mv.visitInsn(Opcodes.ICONST_3);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Long", "rotateLeft", "(JI)J", false);
            mv.visitInsn(Opcodes.LRETURN);
            mv.visitMaxs(0, 0);
            mv.visitEnd();
        }
        cw.visitEnd();
        return cw.toByteArray();
    }
}
