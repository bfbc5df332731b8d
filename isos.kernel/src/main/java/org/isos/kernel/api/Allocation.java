package org.isos.kernel.api;

import org.osgi.annotation.versioning.ProviderType;

/** What this host has allocated to the calling app: its lease and its private store. */
@ProviderType
public interface Allocation {

    /** The current terms; a renewal shows here as a later expiry. */
    Lease lease();

    /** The app's private store on this host, limited to {@link Lease#storageQuotaBytes()}. */
    BlobStore store();
}
