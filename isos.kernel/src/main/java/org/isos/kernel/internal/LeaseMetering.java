package org.isos.kernel.internal;

import org.isos.kernel.api.Metering;
import org.isos.kernel.api.Usage;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ServiceScope;

/** {@link Metering} for one app: what its lease has consumed here. */
@Component(scope = ServiceScope.BUNDLE)
public class LeaseMetering implements Metering {

    private final Tenant tenant;

    @Activate
    public LeaseMetering(ComponentContext context, @Reference Tenancy tenancy) {
        this.tenant = tenancy.of(context.getUsingBundle());
    }

    @Override
    public Usage usage() {
        return tenant.usage().snapshot();
    }
}
