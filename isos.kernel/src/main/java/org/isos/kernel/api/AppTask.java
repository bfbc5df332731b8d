package org.isos.kernel.api;

/** A unit of app work run by the kernel's workers. */
@FunctionalInterface
public interface AppTask {

    /**
     * Does the work. Long work calls {@link TaskContext#checkpoint} often: that is where the kernel
     * pauses it, shares the CPU, and saves its state for a later resume.
     */
    void run(TaskContext context) throws Exception;
}
