package org.isos.kernel.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The kernel's configuration (PID {@value #PID}), set by the agent through Config Admin. */
@ObjectClassDefinition(id = KernelConfig.PID, name = "ISOS kernel",
        description = "Where the kernel keeps its state, who this host is, and how apps are hosted")
public @interface KernelConfig {

    String PID = "org.isos.kernel";

    @AttributeDefinition(description = "Directory for leases, bundles, app stores and usage records; "
            + "empty means the kernel bundle's data area")
    String dataDirectory() default "";

    @AttributeDefinition(description = "PKCS#12 file with this host's key and certificate chain (from enrollment); "
            + "empty means a key and self-signed certificate generated in the data directory")
    String identityKeyStore() default "";

    @AttributeDefinition(description = "Password of the identity key store", type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD)
    String identityPassword() default "isos-host";

    @AttributeDefinition(description = "Host id used when the kernel generates its own identity")
    String hostId() default "";

    @AttributeDefinition(description = "PEM file of the ISOS CA certificates that app signers and peer hosts must chain to")
    String trustAnchors() default "";

    @AttributeDefinition(description = "Address the kernel's transport binds to")
    String transportHost() default "127.0.0.1";

    @AttributeDefinition(description = "Port of the kernel's transport; 0 picks a free one")
    int transportPort() default 0;

    @AttributeDefinition(description = "Worker threads running app tasks at once; 0 means one per core")
    int workers() default 0;

    @AttributeDefinition(description = "Grace period an ending lease's app has to checkpoint, in milliseconds")
    long checkpointGraceMillis() default 2000;

    @AttributeDefinition(description = "Length of a usage period; each closes into one signed record per lease")
    long usagePeriodSeconds() default 60;

    @AttributeDefinition(description = "This host's own upload limit in bytes per second, shared by all its leases on "
            + "top of each lease's cap (a host whose line is slower than the caps it sold); 0 means none")
    long uplinkBytesPerSecond() default 0;

    @AttributeDefinition(description = "Packages app bundles may import (a trailing .* matches sub-packages); "
            + "empty means the ISOS defaults of isos.admission")
    String[] allowedImports() default {};
}
