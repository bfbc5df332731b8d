package org.isos.kernel.host;

import java.time.Instant;
import java.util.List;

import org.isos.admission.AdmissionRefused;
import org.isos.kernel.wire.LeaseGrant;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Runs application bundles under leases: admits, installs, starts, renews, hot-swaps and ends them.
 * What it hosts survives a restart of the agent: leases and bundles live in the kernel's data
 * directory, and a restarted kernel reinstalls what is still leased and ends what expired meanwhile.
 */
@ProviderType
public interface AppHosting {

    /**
     * Admits {@code bundle} under {@code grant} and starts it.
     *
     * @throws AdmissionRefused naming the rule the bundle broke; nothing of it stays installed
     */
    HostedApp host(LeaseGrant grant, byte[] bundle) throws AdmissionRefused;

    /** Extends a lease in place; the app keeps running. */
    HostedApp renew(String leaseId, Instant newExpiry);

    /**
     * Replaces the app's bundle in place, keeping its lease and store. A bundle that fails admission
     * or fails to start leaves the old version running.
     */
    HostedApp update(String leaseId, String newBundleSha256, byte[] bundle) throws AdmissionRefused;

    /**
     * Ends a lease now (revocation) or at expiry: the app is told, given a grace period to
     * checkpoint, stopped, uninstalled, its store deleted, and a final usage record is written.
     */
    void end(String leaseId, String reason);

    List<HostedApp> hosted();
}
