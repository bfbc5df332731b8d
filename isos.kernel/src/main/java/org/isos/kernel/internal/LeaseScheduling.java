package org.isos.kernel.internal;

import org.isos.kernel.api.AppTask;
import org.isos.kernel.api.Scheduling;
import org.isos.kernel.api.SchedulingListener;
import org.isos.kernel.api.TaskHandle;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ServiceScope;

/** {@link Scheduling} for one app: its tasks go to the host's worker pool under its lease. */
@Component(scope = ServiceScope.BUNDLE)
public class LeaseScheduling implements Scheduling {

    private final Tenant tenant;
    private final WorkerPool pool;

    @Activate
    public LeaseScheduling(ComponentContext context, @Reference Tenancy tenancy, @Reference WorkerPool pool) {
        this.tenant = tenancy.of(context.getUsingBundle());
        this.pool = pool;
    }

    @Override
    public TaskHandle submit(String name, AppTask task) {
        if (name == null || !name.matches("[A-Za-z0-9._\\-]{1,100}")) {
            throw new IllegalArgumentException("task name '" + name + "' must be 1-100 characters of A-Z a-z 0-9 . _ -");
        }
        if (task == null) {
            throw new IllegalArgumentException("task " + name + " has no work");
        }
        return pool.submit(tenant, name, task);
    }

    @Override
    public void listen(SchedulingListener listener) {
        tenant.schedulingListener = listener;
    }

    @Override
    public boolean suspended() {
        return pool.suspended();
    }
}
