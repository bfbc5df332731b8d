package org.isos.kernel.api;

/** Where a task is in its life. */
public enum TaskState {
    QUEUED, RUNNING, PAUSED, DONE, FAILED, CANCELLED
}
