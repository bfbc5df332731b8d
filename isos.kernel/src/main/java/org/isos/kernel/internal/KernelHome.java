package org.isos.kernel.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Set;

import org.isos.admission.AdmissionPolicy;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The kernel's place on this host: its data directory, its identity and its configuration. The
 * other kernel components take it as their first reference, so a new configuration restarts them all.
 */
@Component(service = KernelHome.class, configurationPid = KernelConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = KernelConfig.class)
public class KernelHome {

    private final KernelConfig config;
    private final Path dataDirectory;
    private final HostIdentity identity;

    @Activate
    public KernelHome(KernelConfig config, BundleContext context) throws IOException, GeneralSecurityException {
        this.config = config;
        this.dataDirectory = config.dataDirectory().isBlank() ? context.getDataFile("").toPath()
                : Path.of(config.dataDirectory());
        Files.createDirectories(dataDirectory);
        this.identity = HostIdentity.load(config, dataDirectory);
    }

    public KernelConfig config() {
        return config;
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    public Path leases() {
        return dataDirectory.resolve("leases");
    }

    public Path bundles() {
        return dataDirectory.resolve("bundles");
    }

    public Path stores() {
        return dataDirectory.resolve("stores");
    }

    public Path usage() {
        return dataDirectory.resolve("usage");
    }

    public HostIdentity identity() {
        return identity;
    }

    /** The admission rules configured for this host; the platform's own packages are added by the caller. */
    public AdmissionPolicy admissionPolicy() {
        String[] imports = config.allowedImports();
        return imports.length == 0 ? AdmissionPolicy.defaults()
                : AdmissionPolicy.defaults().withAllowedImports(Set.of(imports));
    }

    public int workers() {
        return config.workers() > 0 ? config.workers() : Runtime.getRuntime().availableProcessors();
    }
}
