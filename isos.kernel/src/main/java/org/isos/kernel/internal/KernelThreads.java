package org.isos.kernel.internal;

import java.security.AccessController;
import java.security.PrivilegedAction;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads of the kernel. Pools start threads lazily, often inside a call an app made; a thread
 * inherits the access control context of whoever creates it, so each is created privileged and
 * carries only the kernel's own protection domain, never the calling app's.
 */
@SuppressWarnings("removal")
final class KernelThreads implements ThreadFactory {

    private final String name;
    private final int priority;
    private final AtomicInteger count = new AtomicInteger();

    private KernelThreads(String name, int priority) {
        this.name = name;
        this.priority = priority;
    }

    static KernelThreads named(String name) {
        return new KernelThreads(name, Thread.NORM_PRIORITY);
    }

    /** App work runs below the owner's own programs. */
    static KernelThreads lowPriority(String name) {
        return new KernelThreads(name, Thread.MIN_PRIORITY);
    }

    @Override
    public Thread newThread(Runnable work) {
        return AccessController.doPrivileged((PrivilegedAction<Thread>) () -> {
            Thread t = new Thread(work, name + "-" + count.incrementAndGet());
            t.setDaemon(true);
            t.setPriority(priority);
            return t;
        });
    }
}
