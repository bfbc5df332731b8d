package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

class KernelPlacementTest {

    private final AtomicReference<Dictionary<String, Object>> stored = new AtomicReference<>();
    private int updates;

    @Test
    void anAbsentKernelConfigurationGetsTheAgentsDataDirectory() throws Exception {
        new KernelPlacement(context("/srv/isos"), configAdmin());
        assertEquals(Path.of("/srv/isos", "kernel").toString(), stored.get().get("dataDirectory"));
    }

    @Test
    void aChosenDirectoryIsLeftAloneAndOtherSettingsAreKept() throws Exception {
        Dictionary<String, Object> existing = new Hashtable<>(Map.of("dataDirectory", "/elsewhere"));
        stored.set(existing);
        new KernelPlacement(context("/srv/isos"), configAdmin());
        assertEquals(0, updates);

        stored.set(new Hashtable<>(Map.of("workers", 2)));
        new KernelPlacement(context("/srv/isos"), configAdmin());
        assertEquals(2, stored.get().get("workers"));
        assertEquals(Path.of("/srv/isos", "kernel").toString(), stored.get().get("dataDirectory"));
    }

    @Test
    void withoutADataPropertyNothingIsWritten() throws Exception {
        new KernelPlacement(context(null), configAdmin());
        assertNull(stored.get());
    }

    private static BundleContext context(String data) {
        return (BundleContext) Proxy.newProxyInstance(KernelPlacementTest.class.getClassLoader(),
                new Class<?>[] { BundleContext.class }, (p, m, a) -> {
                    if (m.getName().equals("getProperty")) {
                        return "isos.data".equals(a[0]) ? data : null;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    @SuppressWarnings("unchecked")
    private ConfigurationAdmin configAdmin() {
        Configuration kernel = (Configuration) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { Configuration.class }, (p, m, a) -> switch (m.getName()) {
                    case "getProperties" -> stored.get() == null ? null : new Hashtable<>(Map.ofEntries(
                            java.util.Collections.list(stored.get().keys()).stream()
                                    .map(k -> Map.entry(k, stored.get().get(k))).toArray(Map.Entry[]::new)));
                    case "update" -> {
                        updates++;
                        stored.set((Dictionary<String, Object>) a[0]);
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        return (ConfigurationAdmin) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { ConfigurationAdmin.class }, (p, m, a) -> {
                    if (m.getName().equals("getConfiguration") && "org.isos.kernel".equals(a[0]) && "?".equals(a[1])) {
                        return kernel;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }
}
