package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
        new KernelPlacement(context((String) null), configAdmin());
        assertNull(stored.get());
    }

    @Test
    void launchPropertiesReachTheKernelAndThePolicyTyped() throws Exception {
        Map<String, String> launch = Map.of("isos.data", "/srv/isos", "isos.kernel.trustAnchors", "/pki/ca.pem",
                "isos.kernel.identityKeyStore", "/pki/host-1.p12", "isos.kernel.identityPassword", "secret",
                "isos.kernel.checkpointGraceMillis", "500", "isos.kernel.workers", "2",
                "isos.agent.policy.activityThreshold", "1.0", "isos.agent.policy.idlePeriodSeconds", "0.5",
                "isos.agent.policy.allowedHours", "08:00-12:00, 13:00-17:00", "isos.agent.policy.sampleMillis", "often");
        new KernelPlacement(context(launch), configAdmin());
        Dictionary<String, Object> kernel = stored.get();
        assertEquals(Path.of("/srv/isos", "kernel").toString(), kernel.get("dataDirectory"));
        assertEquals("/pki/ca.pem", kernel.get("trustAnchors"));
        assertEquals("/pki/host-1.p12", kernel.get("identityKeyStore"));
        assertEquals("secret", kernel.get("identityPassword"));
        assertEquals(500L, kernel.get("checkpointGraceMillis"));
        assertEquals(2, kernel.get("workers"));
        assertEquals(1, updates);
        Dictionary<String, Object> policy = storedPolicy.get();
        assertEquals(1.0, policy.get("activityThreshold"));
        assertEquals(0.5, policy.get("idlePeriodSeconds"));
        assertArrayEquals(new String[] { "08:00-12:00", "13:00-17:00" }, (String[]) policy.get("allowedHours"));
        assertNull(policy.get("sampleMillis"), "a bad value is logged and left out");

        // the same launch again changes nothing, so the kernel is not restarted for nothing
        new KernelPlacement(context(launch), configAdmin());
        assertEquals(1, updates);
        assertEquals(1, policyUpdates);
        // a changed one wins over what the configuration held
        Map<String, String> changed = new java.util.HashMap<>(launch);
        changed.put("isos.kernel.checkpointGraceMillis", "900");
        new KernelPlacement(context(changed), configAdmin());
        assertEquals(2, updates);
        assertEquals(900L, stored.get().get("checkpointGraceMillis"));
    }

    private static BundleContext context(String data) {
        return context(data == null ? Map.of() : Map.of("isos.data", data));
    }

    private static BundleContext context(Map<String, String> properties) {
        return (BundleContext) Proxy.newProxyInstance(KernelPlacementTest.class.getClassLoader(),
                new Class<?>[] { BundleContext.class }, (p, m, a) -> {
                    if (m.getName().equals("getProperty")) {
                        return properties.get(a[0]);
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    private final AtomicReference<Dictionary<String, Object>> storedPolicy = new AtomicReference<>();
    private int policyUpdates;

    private ConfigurationAdmin configAdmin() {
        Configuration kernel = configuration(stored, () -> updates++);
        Configuration policy = configuration(storedPolicy, () -> policyUpdates++);
        return (ConfigurationAdmin) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { ConfigurationAdmin.class }, (p, m, a) -> {
                    if (m.getName().equals("getConfiguration") && "org.isos.kernel".equals(a[0]) && "?".equals(a[1])) {
                        return kernel;
                    }
                    if (m.getName().equals("getConfiguration") && "org.isos.agent.policy".equals(a[0]) && "?".equals(a[1])) {
                        return policy;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    @SuppressWarnings("unchecked")
    private Configuration configuration(AtomicReference<Dictionary<String, Object>> stored, Runnable counter) {
        return (Configuration) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { Configuration.class }, (p, m, a) -> switch (m.getName()) {
                    case "getProperties" -> stored.get() == null ? null : new Hashtable<>(Map.ofEntries(
                            java.util.Collections.list(stored.get().keys()).stream()
                                    .map(k -> Map.entry(k, stored.get().get(k))).toArray(Map.Entry[]::new)));
                    case "update" -> {
                        counter.run();
                        stored.set((Dictionary<String, Object>) a[0]);
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }
}
