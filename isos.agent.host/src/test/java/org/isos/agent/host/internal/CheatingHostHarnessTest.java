package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

/** The cheating-host test harness: off unless its property is set, and then it swaps only the named app. */
class CheatingHostHarnessTest {

    @TempDir
    Path dir;

    @Test
    void offByDefaultAndForMalformedValues() throws Exception {
        byte[] leased = { 1, 2, 3 };
        for (Map<String, String> properties : java.util.List.of(Map.<String, String>of(),
                Map.of(CheatingHostHarness.PROPERTY, ""), Map.of(CheatingHostHarness.PROPERTY, "no-equals-sign"),
                Map.of(CheatingHostHarness.PROPERTY, "=x.jar"), Map.of(CheatingHostHarness.PROPERTY, "app="))) {
            CheatingHostHarness harness = CheatingHostHarness.from(context(properties));
            assertSame(CheatingHostHarness.OFF, harness, properties.toString());
            assertSame(leased, harness.jarFor("isos.apps.compute", leased));
        }
    }

    @Test
    void swapsTheNamedAppOnlyReadingTheJarWhenHosting() throws Exception {
        Path jar = dir.resolve("patched.jar");
        CheatingHostHarness harness = CheatingHostHarness.from(context(Map.of(CheatingHostHarness.PROPERTY,
                "isos.apps.compute=" + jar)));
        byte[] leased = { 1, 2, 3 };
        assertSame(leased, harness.jarFor("isos.testapp.echo", leased), "other apps run as leased");
        assertThrows(IOException.class, () -> harness.jarFor("isos.apps.compute", leased), "no jar there yet");
        Files.write(jar, new byte[] { 9, 9 });
        assertArrayEquals(new byte[] { 9, 9 }, harness.jarFor("isos.apps.compute", leased));
    }

    private static BundleContext context(Map<String, String> properties) {
        return (BundleContext) Proxy.newProxyInstance(CheatingHostHarnessTest.class.getClassLoader(),
                new Class<?>[] { BundleContext.class }, (p, m, a) -> {
                    if (m.getName().equals("getProperty")) {
                        return properties.get((String) a[0]);
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }
}
