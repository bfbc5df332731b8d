package org.isos.kernel.api;

import org.osgi.annotation.versioning.ProviderType;

/** What the calling app's lease has consumed on this host so far, as the kernel meters it. */
@ProviderType
public interface Metering {

    Usage usage();
}
