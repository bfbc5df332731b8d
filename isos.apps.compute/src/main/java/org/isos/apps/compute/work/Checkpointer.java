package org.isos.apps.compute.work;

/**
 * Where a running workload hands its state at step boundaries. On a host this is
 * {@code TaskContext::checkpoint}, which saves the state and may pause or cancel the task (by throwing).
 */
@FunctionalInterface
public interface Checkpointer {

    /** Discards every state: for runs that are never resumed. */
    Checkpointer NONE = state -> {
    };

    void checkpoint(byte[] state) throws Exception;
}
