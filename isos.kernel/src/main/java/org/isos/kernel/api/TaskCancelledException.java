package org.isos.kernel.api;

/** Thrown at a pause point of a task that was cancelled or whose lease is ending. */
public class TaskCancelledException extends Exception {
    private static final long serialVersionUID = 1L;

    public TaskCancelledException(String message) {
        super(message);
    }
}
