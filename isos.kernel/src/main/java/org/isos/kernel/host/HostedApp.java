package org.isos.kernel.host;

import org.isos.kernel.api.Lease;

/** One app running on this host under a lease. */
public record HostedApp(Lease lease, String bundleSha256, long bundleId, String symbolicName, String version,
        String state) {
}
