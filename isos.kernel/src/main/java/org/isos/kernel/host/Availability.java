package org.isos.kernel.host;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The agent's switch over app work: it suspends everything the moment the owner uses the machine or
 * the policy window closes, and resumes it afterwards.
 */
@ProviderType
public interface Availability {

    void suspend(String reason);

    void resume();

    boolean suspended();

    /**
     * The owner's cap on app work: the share of this host's cores it may use, in (0, 1]. Takes
     * effect at once: no new task starts above it, and running tasks above it park at their next
     * pause point.
     *
     * @throws IllegalArgumentException for a share outside (0, 1]
     */
    void cpuShare(double share);

    /**
     * Waits until no app task holds a worker: after {@link #suspend(String)}, the moment every
     * running task has parked at its pause point.
     *
     * @return whether that happened within {@code timeout}
     */
    boolean awaitPaused(java.time.Duration timeout) throws InterruptedException;
}
