package org.isos.agent.host.internal;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Puts the kernel's state under the agent's data directory ({@code <isos.data>/kernel}) instead of
 * the framework cache, so wiping the cache to repair a broken install never loses leases, app stores
 * or unsent usage records. A kernel configuration that already names a directory is left alone: the
 * owner or an installer may have put it elsewhere on purpose.
 *
 * <p>
 * It also carries launch settings into Config Admin, so an agent can be configured from its command
 * line ({@code --property}) or {@code framework.properties}: framework properties
 * {@code isos.kernel.<attribute>} (trustAnchors, identityKeyStore, identityPassword, hostId,
 * transportHost, transportPort, workers, checkpointGraceMillis, usagePeriodSeconds) go into the
 * kernel's configuration (PID {@value #KERNEL_PID}), and {@code isos.agent.policy.<attribute>} into
 * the owner's usage policy (PID {@value UsagePolicy#PID}). Set ones win over what the configuration
 * held; a configuration is updated only when a value changes, since an update restarts the kernel.
 */
@Component(immediate = true, service = {})
public class KernelPlacement {

    static final String KERNEL_PID = "org.isos.kernel";
    static final String DATA_DIRECTORY = "dataDirectory";
    static final String KERNEL_PREFIX = "isos.kernel.";
    static final String POLICY_PREFIX = "isos.agent.policy.";
    /** Held while reading and updating the kernel's configuration (this component and {@link ServerEnrollment}). */
    static final Object CONFIGURATION_LOCK = new Object();
    private static final Logger LOG = System.getLogger(KernelPlacement.class.getName());

    /** Kernel attributes settable by framework property, with how to read their values. */
    static final Map<String, Function<String, Object>> KERNEL_ATTRIBUTES = new LinkedHashMap<>();
    /** Usage policy attributes settable by framework property. */
    static final Map<String, Function<String, Object>> POLICY_ATTRIBUTES = new LinkedHashMap<>();

    static {
        for (String s : new String[] { "trustAnchors", "identityKeyStore", "identityPassword", "hostId", "transportHost" }) {
            KERNEL_ATTRIBUTES.put(s, String::trim);
        }
        KERNEL_ATTRIBUTES.put("transportPort", v -> Integer.valueOf(v.trim()));
        KERNEL_ATTRIBUTES.put("workers", v -> Integer.valueOf(v.trim()));
        KERNEL_ATTRIBUTES.put("checkpointGraceMillis", v -> Long.valueOf(v.trim()));
        KERNEL_ATTRIBUTES.put("usagePeriodSeconds", v -> Long.valueOf(v.trim()));
        KERNEL_ATTRIBUTES.put("uplinkBytesPerSecond", v -> Long.valueOf(v.trim()));

        Function<String, Object> list = v -> Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .toArray(String[]::new);
        POLICY_ATTRIBUTES.put("allowedHours", list);
        POLICY_ATTRIBUTES.put("acceptedCategories", list);
        for (String d : new String[] { "minimumPriceOutsideHours", "maxCpuShare", "activityThreshold", "idlePeriodSeconds" }) {
            POLICY_ATTRIBUTES.put(d, v -> Double.valueOf(v.trim()));
        }
        for (String l : new String[] { "storageQuotaBytes", "bandwidthCapBytesPerSecond", "sampleMillis" }) {
            POLICY_ATTRIBUTES.put(l, v -> Long.valueOf(v.trim()));
        }
    }

    @Activate
    public KernelPlacement(BundleContext context, @Reference(name = "configurationAdmin") ConfigurationAdmin configurationAdmin) throws IOException {
        Map<String, Object> kernelSettings = settings(context, KERNEL_PREFIX, KERNEL_ATTRIBUTES);
        String data = context.getProperty(AgentData.DATA_PROPERTY);
        if (data == null || data.isBlank()) {
            LOG.log(Level.INFO, "no " + AgentData.DATA_PROPERTY + " property: the kernel keeps its state in its bundle data area");
        }
        if ((data != null && !data.isBlank()) || !kernelSettings.isEmpty()) {
            synchronized (CONFIGURATION_LOCK) {
                // "?" lets the kernel bundle bind it, whatever its location
                Configuration kernel = configurationAdmin.getConfiguration(KERNEL_PID, "?");
                Dictionary<String, Object> properties = kernel.getProperties();
                Dictionary<String, Object> updated = properties == null ? new Hashtable<>() : properties;
                boolean changed = false;
                if (data != null && !data.isBlank() && (properties == null || properties.get(DATA_DIRECTORY) == null
                        || String.valueOf(properties.get(DATA_DIRECTORY)).isBlank())) {
                    String directory = Path.of(data, "kernel").toAbsolutePath().toString();
                    updated.put(DATA_DIRECTORY, directory);
                    LOG.log(Level.INFO, "kernel data directory set to {0}", directory);
                    changed = true;
                }
                changed |= merge(updated, kernelSettings);
                if (changed) {
                    kernel.update(updated);
                }
            }
        }
        Map<String, Object> policySettings = settings(context, POLICY_PREFIX, POLICY_ATTRIBUTES);
        if (!policySettings.isEmpty()) {
            Configuration policy = configurationAdmin.getConfiguration(UsagePolicy.PID, "?");
            Dictionary<String, Object> properties = policy.getProperties();
            Dictionary<String, Object> updated = properties == null ? new Hashtable<>() : properties;
            if (merge(updated, policySettings)) {
                policy.update(updated);
                LOG.log(Level.INFO, "usage policy settings from framework properties: {0}", policySettings.keySet());
            }
        }
    }

    /** The framework properties {@code prefix + attribute} that are set, read; bad values are logged and skipped. */
    static Map<String, Object> settings(BundleContext context, String prefix, Map<String, Function<String, Object>> attributes) {
        Map<String, Object> found = new LinkedHashMap<>();
        attributes.forEach((attribute, read) -> {
            String value = context.getProperty(prefix + attribute);
            if (value == null) {
                return;
            }
            try {
                found.put(attribute, read.apply(value));
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "framework property " + prefix + attribute + "='" + value + "' ignored: not a "
                        + (e instanceof NumberFormatException ? "number" : "valid value"));
            }
        });
        return found;
    }

    /** Puts {@code settings} into {@code target}; whether anything changed. */
    private static boolean merge(Dictionary<String, Object> target, Map<String, Object> settings) {
        boolean changed = false;
        for (Map.Entry<String, Object> e : settings.entrySet()) {
            Object old = target.get(e.getKey());
            boolean same = old instanceof Object[] a && e.getValue() instanceof Object[] b ? Arrays.equals(a, b)
                    : Objects.equals(old, e.getValue());
            if (!same) {
                target.put(e.getKey(), e.getValue());
                changed = true;
            }
        }
        return changed;
    }
}
