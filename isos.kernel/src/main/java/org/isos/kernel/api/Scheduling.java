package org.isos.kernel.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The host's low-priority worker pool. All app work runs here, where it is metered, shared fairly
 * between leases by their granted CPU share, and paused when the owner uses the machine.
 * <p>
 * Pausing is cooperative: a running task stops at its next {@link TaskContext#checkpoint} or other
 * kernel call, and no new task starts, until the kernel resumes.
 */
@ProviderType
public interface Scheduling {

    /** Queues a task; it runs when a worker is free and the lease's fair share allows. */
    TaskHandle submit(String name, AppTask task);

    /**
     * Registers the app's listener for suspension, resumption and the end of the lease (its last
     * chance to checkpoint). One listener per app; a second call replaces the first.
     */
    void listen(SchedulingListener listener);

    /** Whether app work is paused now. */
    boolean suspended();
}
