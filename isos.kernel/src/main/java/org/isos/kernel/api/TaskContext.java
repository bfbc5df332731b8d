package org.isos.kernel.api;

import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/** What a running task sees of the kernel. */
@ProviderType
public interface TaskContext {

    /** The task's name, as submitted. */
    String name();

    /** State saved by an earlier {@link #checkpoint(byte[])} of a task of this name under this lease. */
    Optional<byte[]> restore();

    /**
     * Saves {@code state} (in the lease's store, counted against its quota) and yields: returns at
     * once, or after the kernel has paused the task and resumed it.
     *
     * @throws TaskCancelledException when the task has been cancelled or its lease is ending
     */
    void checkpoint(byte[] state) throws TaskCancelledException, QuotaExceededException;

    /** Yields without saving state; the same pause point as {@link #checkpoint(byte[])}. */
    void yieldPoint() throws TaskCancelledException;
}
