package org.isos.kernel.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.isos.kernel.api.Communication.MessageListener;
import org.isos.kernel.api.Lease;
import org.isos.kernel.api.SchedulingListener;

/**
 * One lease as the kernel holds it while its app runs: terms, store, meter, bandwidth, and the
 * listeners its app registered. Everything the app touches through the API goes through here.
 */
final class Tenant {

    private volatile Lease lease;
    private volatile String bundleSha256;
    private final LeaseStore store;
    private final LeaseUsage usage;
    private final TokenBucket outbound;
    volatile long bundleId = -1;
    volatile SchedulingListener schedulingListener;
    volatile MessageListener messageListener;
    /** Set when the lease starts ending: tasks see cancellation at their next pause point. */
    volatile boolean ending;
    final Set<WorkerPool.Task> tasks = ConcurrentHashMap.newKeySet();

    Tenant(Lease lease, String bundleSha256, LeaseStore store, LeaseUsage usage) {
        this.lease = lease;
        this.bundleSha256 = bundleSha256;
        this.store = store;
        this.usage = usage;
        this.outbound = new TokenBucket(lease.bandwidthBytesPerSecond());
    }

    Lease lease() {
        return lease;
    }

    void lease(Lease renewed) {
        this.lease = renewed;
        store.quota(renewed.storageQuotaBytes());
        outbound.rate(renewed.bandwidthBytesPerSecond());
    }

    String id() {
        return lease.id();
    }

    String bundleSha256() {
        return bundleSha256;
    }

    /** An in-place update: same lease, store and meter, new bundle bytes. */
    void bundleSha256(String updated) {
        this.bundleSha256 = updated;
    }

    LeaseStore store() {
        return store;
    }

    LeaseUsage usage() {
        return usage;
    }

    TokenBucket outbound() {
        return outbound;
    }

    /** Where the app's bundle is installed: the location names tenant and lease, so isolation needs no lookup. */
    static String location(Lease lease) {
        return AppLocation.of(lease.buyer(), lease.id());
    }
}
