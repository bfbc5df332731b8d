package org.isos.agent.host.internal;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;

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
 */
@Component(immediate = true, service = {})
public class KernelPlacement {

    static final String KERNEL_PID = "org.isos.kernel";
    static final String DATA_DIRECTORY = "dataDirectory";
    private static final Logger LOG = System.getLogger(KernelPlacement.class.getName());

    @Activate
    public KernelPlacement(BundleContext context, @Reference(name = "configurationAdmin") ConfigurationAdmin configurationAdmin) throws IOException {
        String data = context.getProperty(AgentData.DATA_PROPERTY);
        if (data == null || data.isBlank()) {
            LOG.log(Level.INFO, "no " + AgentData.DATA_PROPERTY + " property: the kernel keeps its state in its bundle data area");
            return;
        }
        // "?" lets the kernel bundle bind it, whatever its location
        Configuration kernel = configurationAdmin.getConfiguration(KERNEL_PID, "?");
        Dictionary<String, Object> properties = kernel.getProperties();
        if (properties != null && properties.get(DATA_DIRECTORY) != null
                && !String.valueOf(properties.get(DATA_DIRECTORY)).isBlank()) {
            return;
        }
        Dictionary<String, Object> updated = properties == null ? new Hashtable<>() : properties;
        String directory = Path.of(data, "kernel").toAbsolutePath().toString();
        updated.put(DATA_DIRECTORY, directory);
        kernel.update(updated);
        LOG.log(Level.INFO, "kernel data directory set to {0}", directory);
    }
}
