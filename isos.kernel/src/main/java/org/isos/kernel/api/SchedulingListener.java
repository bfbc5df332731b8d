package org.isos.kernel.api;

import org.osgi.annotation.versioning.ConsumerType;

/** An app's view of the host's availability. Calls come on a kernel thread; keep them short. */
@ConsumerType
public interface SchedulingListener {

    /** App work is paused: the owner is using the machine, or the policy window closed. */
    default void suspended(String reason) {
    }

    /** App work runs again. */
    default void resumed() {
    }

    /**
     * The lease is ending (expiry or revocation): the app has a short grace period to save state in
     * its store before it is stopped. The store is deleted afterwards unless the lease is renewed.
     */
    default void leaseEnding(Lease lease) {
    }
}
