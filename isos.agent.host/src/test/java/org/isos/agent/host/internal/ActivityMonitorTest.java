package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.isos.agent.host.ActivitySource;
import org.isos.kernel.host.Availability;
import org.junit.jupiter.api.Test;

class ActivityMonitorTest {

    /** Stands in for the kernel's worker pool: records what the monitor told it. */
    static final class FakeAvailability implements Availability {
        final List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>(); // the sampler thread adds too
        volatile boolean suspended;
        volatile long suspendedAtNanos;

        @Override
        public synchronized void suspend(String reason) {
            calls.add("suspend: " + reason);
            suspended = true;
            suspendedAtNanos = System.nanoTime();
        }

        @Override
        public synchronized void resume() {
            calls.add("resume");
            suspended = false;
        }

        @Override
        public boolean suspended() {
            return suspended;
        }

        volatile double cpuShare = 1;

        @Override
        public void cpuShare(double share) {
            cpuShare = share;
        }

        @Override
        public boolean awaitPaused(java.time.Duration timeout) {
            return suspended; // no tasks here: paused as soon as suspended
        }
    }

    private final FakeAvailability kernel = new FakeAvailability();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-10T10:00:00Z"));
    private volatile double cpu;

    private ActivityMonitor monitor(Map<String, Object> config) {
        return new ActivityMonitor(Policies.of(config), kernel, clock, () -> cpu, null);
    }

    @Test
    void ownerActivitySuspendsAtOnceAndWorkResumesAfterTheIdlePeriod() {
        ActivityMonitor m = monitor(Map.of("idlePeriodSeconds", 5.0));
        assertTrue(kernel.calls.isEmpty(), "nothing to do on a free machine");

        long before = System.nanoTime();
        m.ownerActive("mouse moved");
        assertTrue(kernel.suspended, "suspended before ownerActive returned");
        assertTrue(kernel.suspendedAtNanos - before < TimeUnit.MILLISECONDS.toNanos(50));
        assertTrue(m.holding());
        assertEquals("mouse moved", m.reason());

        clock.advance(Duration.ofSeconds(4));
        m.sample();
        assertTrue(kernel.suspended);
        clock.advance(Duration.ofSeconds(1));
        m.sample();
        assertFalse(kernel.suspended);
        assertFalse(m.holding());
        assertEquals(List.of("suspend: mouse moved", "resume"), kernel.calls);
    }

    @Test
    void theOwnersCpuShareReachesTheKernel() {
        monitor(Map.of("maxCpuShare", 0.25));
        assertEquals(0.25, kernel.cpuShare);
    }

    @Test
    void busyCpuAndActivitySourcesSuspendOnlyOnce() {
        ActivityMonitor m = monitor(Map.of("idlePeriodSeconds", 2.0));
        cpu = 0.9;
        m.sample();
        clock.advance(Duration.ofSeconds(1));
        m.sample();
        cpu = 0.0;
        ActivitySource keyboard = new ActivitySource() {
            @Override
            public boolean active() {
                return true;
            }

            @Override
            public String name() {
                return "keyboard";
            }
        };
        m.addSource(keyboard);
        assertEquals("owner activity reported by keyboard", m.reason());
        m.removeSource(keyboard);
        clock.advance(Duration.ofSeconds(2));
        m.sample();
        assertEquals(List.of("suspend: other processes use 90% of the CPU (threshold 25%)", "resume"), kernel.calls);
    }

    @Test
    void aFailingActivitySourceIsIgnored() {
        ActivityMonitor m = monitor(Map.of());
        m.addSource(() -> {
            throw new IllegalStateException("broken sensor");
        });
        assertFalse(m.holding());
    }

    @Test
    void refusedPolicyHoldsWorkUntilAGoodOneArrives() {
        ActivityMonitor m = monitor(Map.of("maxCpuShare", 7.0));
        assertTrue(kernel.suspended);
        assertTrue(m.reason().contains("maxCpuShare 7.0: must be in (0, 1]"), m.reason());
        assertTrue(m.policy().isEmpty());

        m.configure(Policies.defaults());
        assertFalse(kernel.suspended);
        assertTrue(m.policy().isPresent());
    }

    @Test
    void closingHoursSuspendAndOpeningHoursResume() {
        ActivityMonitor m = monitor(Map.of("allowedHours", new String[] { "22:00-07:00" }));
        assertEquals("suspend: outside the owner's hours [22:00-07:00]", kernel.calls.get(0));
        clock.set(Instant.parse("2026-03-10T22:00:00Z"));
        m.sample();
        assertFalse(kernel.suspended);
    }

    @Test
    void aNewMonitorCorrectsWhatAnEarlierOneLeft() {
        kernel.suspended = true;
        monitor(Map.of());
        assertEquals(List.of("resume"), kernel.calls);
    }

    @Test
    void stoppingTheMonitorLeavesWorkSuspended() {
        ActivityMonitor m = monitor(Map.of());
        m.deactivate();
        assertTrue(kernel.suspended);
    }

    @Test
    void theSamplerThreadDrivesResumption() throws Exception {
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        ActivityMonitor m = new ActivityMonitor(Policies.of(Map.of("idlePeriodSeconds", 0.05, "sampleMillis", 10L)), kernel,
                java.time.Clock.systemUTC(), () -> 0.0, sampler);
        try {
            m.ownerActive("test");
            // the call itself, not the state: on a loaded machine the sampler may resume within the idle period
            assertTrue(kernel.calls.stream().anyMatch(c -> c.startsWith("suspend")), kernel.calls::toString);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (kernel.suspended && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertFalse(kernel.suspended, "resumed by the sampler after the idle period");
        } finally {
            m.deactivate();
        }
    }
}
