package org.isos.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.isos.launcher.FrameworkLauncher.LaunchException;
import org.isos.launcher.FrameworkLauncher.Options;
import org.isos.launcher.FrameworkLauncher.UsageException;
import org.isos.launcher.probe.ProbeActivator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.startlevel.BundleStartLevel;

class FrameworkLauncherTest {

    @TempDir
    Path tmp;

    private FrameworkLauncher launcher;
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @AfterEach
    void stop() {
        if (launcher != null) {
            launcher.stop();
        }
    }

    @Test
    void installsAndStartsBundlesButNotFragments() throws Exception {
        Path bundles = Files.createDirectories(tmp.resolve("bundles"));
        probeBundle(bundles.resolve("probe.jar"));
        fragment(bundles.resolve("probe-fragment.jar"));
        Path data = tmp.resolve("data");

        Framework fw = launch("--bundles", bundles.toString(), "--data", data.toString(), "--property",
                "probe.setting=from-command-line");

        Bundle probe = bundle(fw, "isos.probe");
        assertEquals(Bundle.ACTIVE, probe.getState());
        assertEquals(2, probe.adapt(BundleStartLevel.class).getStartLevel(), "a library: after ServiceLoader providers");
        assertEquals(Bundle.RESOLVED, bundle(fw, "isos.probe.fragment").getState());
        assertEquals(data.toAbsolutePath() + "|from-command-line", System.getProperty(ProbeActivator.STARTED));
        assertTrue(Files.isDirectory(data.resolve("felix-cache")), "framework storage lives under --data");

        launcher.stop();
        assertEquals(Bundle.RESOLVED, fw.getState());
        assertNull(System.getProperty(ProbeActivator.STARTED), "stopping the framework stopped the bundle");
    }

    @Test
    void restartReusesTheCacheAndDropsBundlesRemovedFromTheDirectory() throws Exception {
        Path bundles = Files.createDirectories(tmp.resolve("bundles"));
        probeBundle(bundles.resolve("probe.jar"));
        fragment(bundles.resolve("probe-fragment.jar"));
        String[] args = { "--bundles", bundles.toString(), "--data", tmp.resolve("data").toString() };
        Framework fw = launch(args);
        long id = bundle(fw, "isos.probe").getBundleId();
        launcher.stop();

        Files.delete(bundles.resolve("probe-fragment.jar"));
        fw = launch(args);
        assertEquals(id, bundle(fw, "isos.probe").getBundleId(), "same bundle, not a second copy");
        assertEquals(2, fw.getBundleContext().getBundles().length, "system bundle and probe only");
    }

    @Test
    void propertiesFileIsReadAndCommandLineWins() throws Exception {
        Path bundles = Files.createDirectories(tmp.resolve("dist/bundles"));
        probeBundle(bundles.resolve("probe.jar"));
        Files.writeString(tmp.resolve("dist/framework.properties"), "probe.setting=from-file\nother=x\n");

        Framework fw = launch("--bundles", bundles.toString(), "--data", tmp.resolve("d").toString());
        assertEquals("from-file", fw.getBundleContext().getProperty("probe.setting"), "default file beside bundles/");
        launcher.stop();

        Path explicit = Files.writeString(tmp.resolve("p.properties"), "probe.setting=explicit\n");
        fw = launch("--bundles", bundles.toString(), "--data", tmp.resolve("d").toString(), "--properties",
                explicit.toString(), "--property", "other=cli");
        assertEquals("explicit", fw.getBundleContext().getProperty("probe.setting"));
        assertEquals("cli", fw.getBundleContext().getProperty("other"));
    }

    @Test
    void missingBundleDirectoryIsReported() {
        LaunchException e = assertThrows(LaunchException.class,
                () -> launch("--bundles", tmp.resolve("nope").toString(), "--data", tmp.toString()));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void aBundleThatFailsToInstallIsNamed() throws Exception {
        Path bundles = Files.createDirectories(tmp.resolve("bundles"));
        Files.writeString(bundles.resolve("broken.jar"), "not a jar");
        LaunchException e = assertThrows(LaunchException.class,
                () -> launch("--bundles", bundles.toString(), "--data", tmp.resolve("d").toString()));
        assertTrue(e.getMessage().startsWith("bundle broken.jar failed: "), e.getMessage());
    }

    @Test
    void aBundleThatFailsToStartIsReportedAndTheRestRuns() throws Exception {
        Path bundles = Files.createDirectories(tmp.resolve("bundles"));
        probeBundle(bundles.resolve("probe.jar"));
        Manifest mf = manifest("isos.unresolvable");
        mf.getMainAttributes().putValue("Import-Package", "org.isos.nowhere");
        jar(bundles.resolve("unresolvable.jar"), mf);

        Framework fw = launch("--bundles", bundles.toString(), "--data", tmp.resolve("d").toString());
        assertEquals(Bundle.ACTIVE, bundle(fw, "isos.probe").getState());
        String report = err.toString(StandardCharsets.UTF_8);
        assertTrue(report.contains("bundle isos.unresolvable 1.0.0 failed: "), report);
        assertTrue(report.contains("org.isos.nowhere"), report);
    }

    @Test
    void secureNeedsTheSecurityExtension() throws Exception {
        Path bundles = Files.createDirectories(tmp.resolve("bundles"));
        LaunchException e = assertThrows(LaunchException.class,
                () -> launch("--bundles", bundles.toString(), "--data", tmp.toString(), "--secure"));
        assertTrue(e.getMessage().contains("org.apache.felix.framework.security"), e.getMessage());
    }

    @Test
    void argumentsAreChecked() throws Exception {
        assertNull(assertThrows(UsageException.class, () -> Options.parse("--help")).getMessage());
        assertEquals("--data is required",
                assertThrows(UsageException.class, () -> Options.parse("--bundles", "b")).getMessage());
        assertEquals("--bundles needs a value",
                assertThrows(UsageException.class, () -> Options.parse("--bundles")).getMessage());
        assertEquals("unknown argument '--nope'",
                assertThrows(UsageException.class, () -> Options.parse("--nope")).getMessage());
        assertTrue(assertThrows(UsageException.class,
                () -> Options.parse("--bundles", "b", "--data", "d", "--property", "novalue")).getMessage()
                .contains("KEY=VALUE"));
        Options o = Options.parse("--bundles", "b", "--data", "d", "--property", "a=1=2", "--secure");
        assertEquals("1=2", o.properties().get("a"));
        assertTrue(o.secure());
    }

    private Framework launch(String... args) throws Exception {
        launcher = new FrameworkLauncher(Options.parse(args), new PrintStream(OutputStream.nullOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return launcher.start();
    }

    private static Bundle bundle(Framework fw, String bsn) {
        return Arrays.stream(fw.getBundleContext().getBundles()).filter(b -> bsn.equals(b.getSymbolicName()))
                .findFirst().orElseThrow(() -> new AssertionError("no bundle " + bsn));
    }

    private static void probeBundle(Path jar) throws IOException {
        Manifest mf = manifest("isos.probe");
        mf.getMainAttributes().putValue("Bundle-Activator", ProbeActivator.class.getName());
        mf.getMainAttributes().putValue("Import-Package", "org.osgi.framework");
        String entry = ProbeActivator.class.getName().replace('.', '/') + ".class";
        try (InputStream in = ProbeActivator.class.getClassLoader().getResourceAsStream(entry)) {
            jar(jar, mf, entry, in.readAllBytes());
        }
    }

    private static void fragment(Path jar) throws IOException {
        Manifest mf = manifest("isos.probe.fragment");
        mf.getMainAttributes().putValue("Fragment-Host", "isos.probe");
        jar(jar, mf);
    }

    private static Manifest manifest(String bsn) {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Version", "1.0.0");
        return mf;
    }

    private static void jar(Path jar, Manifest mf, Object... entries) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), mf)) {
            for (int i = 0; i < entries.length; i += 2) {
                out.putNextEntry(new JarEntry((String) entries[i]));
                out.write((byte[]) entries[i + 1]);
                out.closeEntry();
            }
        }
    }
}
