package org.isos.kernel.internal;

import org.isos.kernel.api.Allocation;
import org.isos.kernel.api.BlobStore;
import org.isos.kernel.api.Lease;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ServiceScope;

/** {@link Allocation} for the app that gets it: bundle scope gives each app its own, bound to its lease. */
@Component(scope = ServiceScope.BUNDLE)
public class LeaseAllocation implements Allocation {

    private final Tenant tenant;

    @Activate
    public LeaseAllocation(ComponentContext context, @Reference Tenancy tenancy) {
        this.tenant = tenancy.of(context.getUsingBundle());
    }

    @Override
    public Lease lease() {
        return tenant.lease();
    }

    @Override
    public BlobStore store() {
        return tenant.store();
    }
}
