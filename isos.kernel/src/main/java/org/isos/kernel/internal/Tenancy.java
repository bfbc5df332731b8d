package org.isos.kernel.internal;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.Bundle;
import org.osgi.service.component.annotations.Component;

/** Which leases this host is running, found by lease id or by the app bundle that calls the kernel. */
@Component(service = Tenancy.class)
public class Tenancy {

    private final Map<String, Tenant> byLease = new ConcurrentHashMap<>();

    void add(Tenant tenant) {
        byLease.put(tenant.id(), tenant);
    }

    void remove(String leaseId) {
        byLease.remove(leaseId);
    }

    Optional<Tenant> lease(String leaseId) {
        return Optional.ofNullable(byLease.get(leaseId));
    }

    /** The tenant whose app is {@code bundle}; fails for a bundle that holds no lease here. */
    Tenant of(Bundle bundle) {
        if (!AppLocation.isApp(bundle)) {
            throw new IllegalStateException("bundle " + bundle.getSymbolicName() + " [" + bundle.getBundleId()
                    + "] is not an app running under a lease; the kernel API serves leased apps only");
        }
        Tenant tenant = byLease.get(AppLocation.leaseId(bundle));
        if (tenant == null) {
            throw new IllegalStateException("lease " + AppLocation.leaseId(bundle) + " is not active on this host");
        }
        return tenant;
    }

    /** The running app of {@code buyer} named {@code app}: where a peer's message for it goes. */
    Optional<Tenant> app(String buyer, String app) {
        return app(buyer, app, "");
    }

    /** As {@link #app(String, String)}, narrowed to one lease when {@code leaseId} is not empty. */
    Optional<Tenant> app(String buyer, String app, String leaseId) {
        return byLease.values().stream()
                .filter(t -> t.lease().buyer().equals(buyer) && t.lease().app().equals(app) && !t.ending)
                .filter(t -> leaseId.isEmpty() || t.id().equals(leaseId))
                .findFirst();
    }

    Collection<Tenant> all() {
        return List.copyOf(byLease.values());
    }
}
