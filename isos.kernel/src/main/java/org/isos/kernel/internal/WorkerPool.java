package org.isos.kernel.internal;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.isos.kernel.api.AppTask;
import org.isos.kernel.api.QuotaExceededException;
import org.isos.kernel.api.SchedulingListener;
import org.isos.kernel.api.TaskCancelledException;
import org.isos.kernel.api.TaskContext;
import org.isos.kernel.api.TaskHandle;
import org.isos.kernel.api.TaskState;
import org.isos.kernel.host.Availability;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The host's low-priority workers. At most {@code slots} app tasks run at once; the next slot goes
 * to the lease that has used the least CPU for its granted share (stride scheduling), and a task
 * that has run a full quantum while another lease waits gives its slot up at its next pause point.
 * <p>
 * Java threads cannot be stopped safely from outside, so pausing is cooperative: when the host
 * becomes busy no task gets a slot, and each running task parks at its next pause point (every
 * {@link TaskContext} call and every send). "All paused" means no task holds a slot.
 */
@Component(service = { WorkerPool.class, Availability.class })
public class WorkerPool implements Availability {

    private static final Logger LOG = Logger.getLogger(WorkerPool.class.getName());
    private static final long QUANTUM_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private final Tenancy tenancy;
    /** Workers the configuration allows; the owner's CPU share may lower what is in use. */
    private final int maxSlots;
    private volatile int slots;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private final Map<Tenant, Queue> queues = new HashMap<>();
    private final ExecutorService threads;
    private final ExecutorService notifier;
    private final ThreadLocal<Task> current = new ThreadLocal<>();
    private volatile int running;
    private volatile boolean suspended;
    private volatile String reason = "";
    /** Bumped whenever a lease with work waits: running tasks look at it to decide whether to yield. */
    private volatile int waiters;

    @Activate
    public WorkerPool(@Reference KernelHome home, @Reference Tenancy tenancy) {
        this.tenancy = tenancy;
        this.maxSlots = home.workers();
        this.slots = maxSlots;
        this.threads = Executors.newCachedThreadPool(KernelThreads.lowPriority("isos-worker"));
        this.notifier = Executors.newSingleThreadExecutor(KernelThreads.named("isos-scheduling-events"));
    }

    @Deactivate
    void deactivate() {
        lock.lock();
        try {
            queues.values().forEach(q -> q.waiting.forEach(t -> t.cancel()));
        } finally {
            lock.unlock();
        }
        threads.shutdownNow();
        notifier.shutdownNow();
    }

    Task submit(Tenant tenant, String name, AppTask work) {
        if (tenant.ending) {
            throw new IllegalStateException("lease " + tenant.id() + " is ending; no new tasks");
        }
        Task task = new Task(tenant, name, work);
        tenant.tasks.add(task);
        lock.lock();
        try {
            queue(tenant).waiting.addLast(task);
            dispatch();
        } finally {
            lock.unlock();
        }
        return task;
    }

    @Override
    public void suspend(String why) {
        lock.lock();
        try {
            if (suspended) {
                return;
            }
            reason = why;
            suspended = true;
        } finally {
            lock.unlock();
        }
        tell(l -> l.suspended(why));
    }

    @Override
    public void resume() {
        lock.lock();
        try {
            if (!suspended) {
                return;
            }
            suspended = false;
            dispatch();
        } finally {
            lock.unlock();
        }
        tell(SchedulingListener::resumed);
    }

    @Override
    public boolean suspended() {
        return suspended;
    }

    @Override
    public void cpuShare(double share) {
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("CPU share must be in (0, 1], was " + share);
        }
        int cores = Runtime.getRuntime().availableProcessors();
        lock.lock();
        try {
            slots = Math.max(1, Math.min(maxSlots, (int) Math.floor(cores * share + 1e-9)));
            dispatch();
        } finally {
            lock.unlock();
        }
    }

    /** Workers in use at most now. */
    int slots() {
        return slots;
    }

    @Override
    public boolean awaitPaused(java.time.Duration timeout) throws InterruptedException {
        long left = timeout.toNanos();
        lock.lock();
        try {
            while (running > 0) {
                if (left <= 0) {
                    return false;
                }
                left = idle.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** A pause point for kernel calls an app makes from one of its tasks (sends, for instance). */
    void pausePointOfCaller() throws TaskCancelledException {
        Task task = current.get();
        if (task != null) {
            task.yieldPoint();
        }
    }

    private void tell(java.util.function.Consumer<SchedulingListener> event) {
        for (Tenant tenant : tenancy.all()) {
            SchedulingListener listener = tenant.schedulingListener;
            if (listener != null) {
                notifier.execute(() -> {
                    try {
                        event.accept(listener);
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "scheduling listener of lease " + tenant.id() + " failed", e);
                    }
                });
            }
        }
    }

    private Queue queue(Tenant tenant) {
        if (tenant.ending && !queues.containsKey(tenant)) {
            return new Queue(tenant); // a straggler of an ended lease: nothing to share with
        }
        return queues.computeIfAbsent(tenant, t -> {
            Queue q = new Queue(t);
            // a lease that was idle starts level with the others rather than with banked credit
            q.pass = queues.values().stream().mapToDouble(o -> o.pass).min().orElse(0);
            return q;
        });
    }

    /** Hands free slots to waiting work, lowest pass first. Called with the lock held. */
    private void dispatch() {
        while (!suspended && running < slots) {
            Queue next = null;
            for (Queue q : queues.values()) {
                if (!q.waiting.isEmpty() && (next == null || q.pass < next.pass)) {
                    next = q;
                }
            }
            if (next == null) {
                break;
            }
            Task task = next.waiting.pollFirst();
            running++;
            if (task.thread != null) {
                task.granted = true;
                task.wake.signal();
            } else {
                task.thread = Thread.currentThread(); // reserved; the worker replaces it
                threads.execute(task::runOnWorker);
            }
        }
        int w = 0;
        for (Queue q : queues.values()) {
            w += q.waiting.size();
        }
        waiters = w;
        if (running == 0) {
            idle.signalAll();
        }
    }

    /** The task gives its slot back: its slice's CPU moves its lease's pass forward. */
    private void release(Task task) {
        long sliceCpu = task.meter() - task.cpuStart;
        Queue q = queues.get(task.tenant);
        if (q != null) {
            q.pass += sliceCpu / task.tenant.lease().cpuShare();
        }
        running--;
    }

    private final class Queue {
        final Tenant tenant;
        final Deque<Task> waiting = new ArrayDeque<>();
        double pass;

        Queue(Tenant tenant) {
            this.tenant = tenant;
        }
    }

    /** One app task: its handle for the app, its context while it runs. */
    final class Task implements TaskHandle, TaskContext {
        final Tenant tenant;
        private final String name;
        private final AppTask work;
        private final CompletableFuture<Void> completion = new CompletableFuture<>();
        private final Condition wake = lock.newCondition();
        private volatile TaskState state = TaskState.QUEUED;
        private volatile boolean cancelled;
        Thread thread;
        boolean granted;
        private long sliceStart;
        private long cpuStart;

        Task(Tenant tenant, String name, AppTask work) {
            this.tenant = tenant;
            this.name = name;
            this.work = work;
        }

        void runOnWorker() {
            lock.lock();
            try {
                thread = Thread.currentThread();
            } finally {
                lock.unlock();
            }
            current.set(this);
            startSlice();
            state = TaskState.RUNNING;
            try {
                if (cancelled || tenant.ending) {
                    throw new TaskCancelledException("task " + name + " cancelled before it started");
                }
                work.run(this);
                state = TaskState.DONE;
                completion.complete(null);
            } catch (TaskCancelledException e) {
                state = TaskState.CANCELLED;
                completion.completeExceptionally(e);
            } catch (Throwable e) {
                state = TaskState.FAILED;
                completion.completeExceptionally(e);
                if (e instanceof Error && !(e instanceof LinkageError) && !(e instanceof StackOverflowError)) {
                    LOG.log(Level.WARNING, "task " + name + " of lease " + tenant.id() + " died", e);
                }
            } finally {
                current.remove();
                tenant.tasks.remove(this);
                lock.lock();
                try {
                    release(this);
                    dispatch();
                } finally {
                    lock.unlock();
                }
            }
        }

        private long cpuMetered;

        private void startSlice() {
            sliceStart = System.nanoTime();
            cpuStart = CPU.getCurrentThreadCpuTime();
            cpuMetered = cpuStart;
        }

        /** Charges the lease for this thread's CPU since the last reading; at every pause point, so meters stay current. */
        long meter() {
            long now = CPU.getCurrentThreadCpuTime();
            tenant.usage().addCpu(now - cpuMetered);
            cpuMetered = now;
            return now;
        }

        @Override
        public void yieldPoint() throws TaskCancelledException {
            if (Thread.currentThread() != thread) {
                throw new IllegalStateException("task " + name + ": pause points belong to the task's own thread");
            }
            throwIfCancelled();
            meter();
            boolean overQuantum = waiters > 0 && System.nanoTime() - sliceStart > QUANTUM_NANOS;
            if (!suspended && !overQuantum && running <= slots) {
                return;
            }
            lock.lock();
            try {
                if (!suspended && running <= slots && !someoneAhead()) {
                    sliceStart = System.nanoTime();
                    return;
                }
                release(this);
                state = TaskState.PAUSED;
                granted = false;
                queue(tenant).waiting.addFirst(this);
                dispatch();
                while (!granted && !cancelled && !tenant.ending) {
                    wake.awaitUninterruptibly();
                }
                if (!granted) {
                    queue(tenant).waiting.remove(this);
                    running++; // it runs on to its end, where the slot is given back
                    dispatch();
                }
            } finally {
                lock.unlock();
            }
            state = TaskState.RUNNING;
            startSlice();
            throwIfCancelled();
        }

        /**
         * Another lease with work waiting has used less of its share than this one would have after
         * the slice now running (a lease's pass moves only when a slice ends).
         */
        private boolean someoneAhead() {
            Queue mine = queue(tenant);
            double myPass = mine.pass + (CPU.getCurrentThreadCpuTime() - cpuStart) / tenant.lease().cpuShare();
            for (Queue q : queues.values()) {
                if (q != mine && !q.waiting.isEmpty() && q.pass < myPass) {
                    return true;
                }
            }
            return false;
        }

        private void throwIfCancelled() throws TaskCancelledException {
            if (cancelled) {
                throw new TaskCancelledException("task " + name + " was cancelled");
            }
            if (tenant.ending) {
                throw new TaskCancelledException("lease " + tenant.id() + " is ending");
            }
        }

        @Override
        public void checkpoint(byte[] state) throws TaskCancelledException, QuotaExceededException {
            tenant.store().put(checkpointKey(), state);
            yieldPoint();
        }

        @Override
        public Optional<byte[]> restore() {
            return tenant.store().get(checkpointKey());
        }

        private String checkpointKey() {
            return ".checkpoint/" + name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public TaskState state() {
            return state;
        }

        @Override
        public CompletionStage<Void> completion() {
            return completion.minimalCompletionStage();
        }

        @Override
        public void cancel() {
            cancelled = true;
            lock.lock();
            try {
                if (state == TaskState.QUEUED && queue(tenant).waiting.remove(this)) {
                    state = TaskState.CANCELLED;
                    tenant.tasks.remove(this);
                    completion.completeExceptionally(new TaskCancelledException("task " + name + " was cancelled"));
                    dispatch();
                } else {
                    wake.signal();
                }
            } finally {
                lock.unlock();
            }
        }

        /** Lease ending: wake the task if it is parked so it can see the end. */
        void leaseEnding() {
            lock.lock();
            try {
                if (state == TaskState.QUEUED && queue(tenant).waiting.remove(this)) {
                    state = TaskState.CANCELLED;
                    tenant.tasks.remove(this);
                    completion.completeExceptionally(new TaskCancelledException("lease " + tenant.id() + " ended"));
                    dispatch();
                } else {
                    wake.signal();
                }
            } finally {
                lock.unlock();
            }
        }

        CompletableFuture<Void> done() {
            return completion;
        }
    }

    /** Forgets a tenant's queue once its lease is over. */
    void forget(Tenant tenant) {
        lock.lock();
        try {
            queues.remove(tenant);
            dispatch();
        } finally {
            lock.unlock();
        }
    }

    String reason() {
        return reason;
    }
}
